// Package fsutil owns how molecule-ci touches files a pull request may control: reads are of
// regular files only and bounded in size, and writes are atomic (a reader or a crash sees the old
// file or the new one, never half of either).
package fsutil

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// DefaultMaxRead is the size limit ReadRegular applies when given 0: far above any workflow,
// Dockerfile, config or coverage report a repository has, far below what would hurt the runner.
const DefaultMaxRead = 64 << 20

// TooLargeError is returned when a file is over the read limit; its message names the file, its
// size and the limit, and how to raise it.
type TooLargeError struct {
	Path  string
	Size  int64 // -1 when unknown (the file grew while being read)
	Limit int64
}

func (e *TooLargeError) Error() string {
	if e.Size < 0 {
		return fmt.Sprintf("%s: larger than the %d-byte read limit", e.Path, e.Limit)
	}
	return fmt.Sprintf("%s: %d bytes is larger than the %d-byte read limit", e.Path, e.Size, e.Limit)
}

// NotRegularError is returned for a path that is a device, FIFO, socket or directory: reading one
// could block forever or never end.
type NotRegularError struct {
	Path string
	Mode fs.FileMode
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s: not a regular file (%s)", e.Path, Kind(e.Mode))
}

// Kind names what a non-regular file is ("a named pipe", "a directory"), for messages.
func Kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSymlink != 0:
		return "a symlink"
	default:
		return "mode " + m.String()
	}
}

// ReadRegular reads path when it is (or a symlink resolves to) a regular file of at most limit
// bytes (DefaultMaxRead when limit is 0). The file is opened without blocking and checked on the
// open descriptor, so a FIFO or device swapped in after a Stat is still refused.
func ReadRegular(path string, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = DefaultMaxRead
	}
	f, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > limit {
		return nil, &TooLargeError{Path: path, Size: st.Size(), Limit: limit}
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Path: path, Size: -1, Limit: limit}
	}
	return data, nil
}

// OpenRegular opens path for reading when it is (or a symlink resolves to) a regular file, for
// streaming readers that bound what they read themselves. Anything else is a *NotRegularError,
// checked on the open descriptor so nothing can be swapped in between.
func OpenRegular(path string) (*os.File, error) {
	f, err := openNonBlocking(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, &NotRegularError{Path: path, Mode: st.Mode()}
	}
	return f, nil
}

// WriteFile writes data to path atomically: into a temporary file in the same directory, synced,
// then renamed over path, then the directory synced. On any error path is untouched and the
// temporary file removed.
func WriteFile(path string, data []byte, perm fs.FileMode) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Chmod(perm); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil {
		// Best effort: some filesystems refuse fsync on a directory; the rename already happened.
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// IsLimit reports whether err is one of this package's refusals (too large, not regular), which
// callers turn into a finding or a usage error rather than a tool failure.
func IsLimit(err error) bool {
	var tl *TooLargeError
	var nr *NotRegularError
	return errors.As(err, &tl) || errors.As(err, &nr)
}
