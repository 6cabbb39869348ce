//go:build !(wasip1 && h3wasi_hostcrypto)

package protect

import "crypto/cipher"

// newHostAEAD and newHostBlock offload AEADs and header protection to a WebAssembly host only in modules built
// with GOOS=wasip1 and -tags h3wasi_hostcrypto (see aead_host.go).
func newHostAEAD(suite uint16, key []byte) cipher.AEAD { return nil }

func newHostBlock(suite uint16, key []byte) blockEncrypter { return nil }
