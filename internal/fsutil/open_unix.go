//go:build unix

package fsutil

import (
	"os"
	"syscall"
)

// openNonBlocking opens path for reading with O_NONBLOCK, so opening a FIFO with no writer
// returns at once instead of hanging; the mode check that follows refuses it.
func openNonBlocking(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
