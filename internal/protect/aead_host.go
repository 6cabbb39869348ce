//go:build wasip1 && h3wasi_hostcrypto

package protect

import (
	"crypto/cipher"

	"github.com/h3wasi/h3wasi/wasi/hostcrypto"
)

// newHostAEAD returns an AEAD whose Seal and Open run natively in the
// WebAssembly host (package wasi/hostcrypto), or nil when the host does
// not offer it or its key table is full: the caller then uses its own
// pure-Go AEAD, which is 50-100x slower inside WebAssembly.
func newHostAEAD(suite uint16, key []byte) cipher.AEAD {
	a, err := hostcrypto.NewAEAD(suite, key)
	if err != nil {
		return nil
	}
	return a
}

// newHostBlock returns the header protection mask function of a suite
// running in the host, or nil (no host crypto, full table): a mask costs
// about 1 µs inside WebAssembly against a fraction of that for the host
// call.
func newHostBlock(suite uint16, key []byte) blockEncrypter {
	b, err := hostcrypto.NewBlockEncrypter(suite, key)
	if err != nil {
		return nil
	}
	return b
}
