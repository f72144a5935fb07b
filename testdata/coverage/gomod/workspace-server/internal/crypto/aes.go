// Package crypto stands in for molecule-core's internal/crypto: a critical path.
package crypto

import "errors"

// Seal XORs data with a repeating key (a stand-in, not cryptography).
func Seal(key, data []byte) ([]byte, error) {
	if len(key) == 0 {
		return nil, errors.New("empty key")
	}
	out := make([]byte, len(data))
	for i := range data {
		out[i] = data[i] ^ key[i%len(key)]
	}
	return out, nil
}

// Open reverses Seal.
func Open(key, data []byte) ([]byte, error) { return Seal(key, data) }
