package protect

import (
	"crypto/cipher"

	"github.com/h3wasi/h3wasi/internal/hostaead"
)

// newHostAEAD returns an AEAD whose Seal and Open run natively in the
// WebAssembly host (internal/hostaead, public as wasi/hostcrypto), or nil
// when the module was built without host crypto (GOOS=wasip1 and
// -tags h3wasi_offload), the host does not offer it or its key table is
// full: the caller then uses its own pure-Go AEAD, which is 50-100x slower
// inside WebAssembly.
func newHostAEAD(suite uint16, key []byte) cipher.AEAD {
	if !hostaead.Enabled {
		return nil
	}
	a, err := hostaead.NewAEAD(suite, key)
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
	if !hostaead.Enabled {
		return nil
	}
	b, err := hostaead.NewBlockEncrypter(suite, key)
	if err != nil {
		return nil
	}
	return b
}
