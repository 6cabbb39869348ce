//go:build !(wasip1 && h3wasi_hostcrypto)

package hostcrypto

import "crypto/cipher"

// Enabled reports whether the package was built to use host functions
// (GOOS=wasip1 and the h3wasi_hostcrypto build tag).
const Enabled = false

// NewAEAD returns an AEAD for a TLS 1.3 cipher suite whose Seal and Open
// run in the host. Without host crypto it returns ErrUnavailable.
func NewAEAD(suite uint16, key []byte) (cipher.AEAD, error) {
	return nil, ErrUnavailable
}

// NewBlockEncrypter returns the header protection mask function of a
// TLS 1.3 cipher suite for its header protection key, running in the
// host. Without host
// crypto it returns ErrUnavailable.
func NewBlockEncrypter(suite uint16, key []byte) (Encrypter, error) {
	return nil, ErrUnavailable
}
