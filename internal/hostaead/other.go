//go:build !(wasip1 && (h3wasi_offload || h3wasi_hostcrypto))

package hostaead

import "crypto/cipher"

// Enabled reports whether the package was built to use host functions
// (GOOS=wasip1 and the build tag h3wasi_offload or h3wasi_hostcrypto).
const Enabled = false

// NewAEAD returns ErrUnavailable: the package was built without host
// crypto.
func NewAEAD(suite uint16, key []byte) (cipher.AEAD, error) {
	return nil, ErrUnavailable
}

// NewBlockEncrypter returns ErrUnavailable: the package was built without
// host crypto.
func NewBlockEncrypter(suite uint16, key []byte) (Encrypter, error) {
	return nil, ErrUnavailable
}
