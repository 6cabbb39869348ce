//go:build wasip1 && (h3wasi_offload || h3wasi_hostcrypto)

package hostaead

import (
	"crypto/cipher"
	"os"
	"runtime"
	"unsafe"

	"github.com/h3wasi/h3wasi/internal/aeadbuf"
	"github.com/h3wasi/h3wasi/internal/wasiabi"
)

// Enabled reports whether the package was built to use host functions
// (GOOS=wasip1 and the build tag h3wasi_offload or h3wasi_hostcrypto).
const Enabled = true

//go:wasmimport h3wasi_crypto aead_new
//go:noescape
func aead_new(suite uint32, key *byte, keyLen uint32, handle *uint32) uint32

//go:wasmimport h3wasi_crypto aead_seal
//go:noescape
func aead_seal(handle uint32, nonce *byte, ad *byte, adLen uint32, in *byte, inLen uint32, out *byte) uint32

//go:wasmimport h3wasi_crypto aead_open
//go:noescape
func aead_open(handle uint32, nonce *byte, ad *byte, adLen uint32, in *byte, inLen uint32, out *byte) uint32

//go:wasmimport h3wasi_crypto key_close
func key_close(handle uint32) uint32

// advertised is read once: the environment does not change under a module.
var advertised = os.Getenv(wasiabi.CryptoEnv) == wasiabi.CryptoVersion

// NewAEAD returns an AEAD for a TLS 1.3 cipher suite whose Seal and Open
// run in the host. It returns ErrUnavailable when the host does not
// advertise the functions, and an Errno when the host refuses the key (bad
// suite or key length, ErrnoInval; full table, ErrnoMfile). The host key
// is released when the AEAD is garbage collected.
func NewAEAD(suite uint16, key []byte) (cipher.AEAD, error) {
	if !advertised {
		return nil, ErrUnavailable
	}
	var h uint32
	if e := aead_new(uint32(suite), unsafe.SliceData(key), uint32(len(key)), &h); e != wasiabi.ErrnoSuccess {
		return nil, Errno(e)
	}
	a := &hostAEAD{handle: h}
	runtime.AddCleanup(a, release, h)
	return a, nil
}

func release(h uint32) { key_close(h) }

// hostAEAD is a cipher.AEAD whose key lives in the host's table.
type hostAEAD struct {
	handle uint32
}

func (a *hostAEAD) NonceSize() int { return wasiabi.NonceSize }
func (a *hostAEAD) Overhead() int  { return wasiabi.TagSize }

// Seal follows cipher.AEAD: it appends the ciphertext and tag to dst, and
// plaintext may be dst's spare capacity exactly (in place) but must not
// overlap it otherwise, and additionalData must not overlap the output.
func (a *hostAEAD) Seal(dst, nonce, plaintext, additionalData []byte) []byte {
	if len(nonce) != wasiabi.NonceSize {
		panic("hostcrypto: incorrect nonce length given to AEAD")
	}
	ret, out := aeadbuf.SliceForAppend(dst, len(plaintext)+wasiabi.TagSize)
	if aeadbuf.InexactOverlap(out, plaintext) {
		panic("hostcrypto: invalid buffer overlap of output and input")
	}
	if aeadbuf.AnyOverlap(out, additionalData) {
		panic("hostcrypto: invalid buffer overlap of output and additional data")
	}
	e := aead_seal(a.handle, unsafe.SliceData(nonce),
		unsafe.SliceData(additionalData), uint32(len(additionalData)),
		unsafe.SliceData(plaintext), uint32(len(plaintext)), unsafe.SliceData(out))
	runtime.KeepAlive(a) // the cleanup must not close the handle mid-call
	if e != wasiabi.ErrnoSuccess {
		// Only a host that broke its contract gets here: the arguments
		// were checked above and the handle is alive.
		panic(Errno(e).Error())
	}
	return ret
}

// Open follows cipher.AEAD: it appends the plaintext to dst, with the same
// overlap rules as crypto/cipher's GCM (the output must not inexactly
// overlap the ciphertext including its tag, nor overlap additionalData at
// all). On failure the output is cleared.
func (a *hostAEAD) Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error) {
	if len(nonce) != wasiabi.NonceSize {
		panic("hostcrypto: incorrect nonce length given to AEAD")
	}
	if len(ciphertext) < wasiabi.TagSize {
		return nil, ErrOpen
	}
	ret, out := aeadbuf.SliceForAppend(dst, len(ciphertext)-wasiabi.TagSize)
	if aeadbuf.InexactOverlap(out, ciphertext) {
		panic("hostcrypto: invalid buffer overlap of output and input")
	}
	if aeadbuf.AnyOverlap(out, additionalData) {
		panic("hostcrypto: invalid buffer overlap of output and additional data")
	}
	e := aead_open(a.handle, unsafe.SliceData(nonce),
		unsafe.SliceData(additionalData), uint32(len(additionalData)),
		unsafe.SliceData(ciphertext), uint32(len(ciphertext)), unsafe.SliceData(out))
	runtime.KeepAlive(a)
	switch e {
	case wasiabi.ErrnoSuccess:
		return ret, nil
	case wasiabi.ErrnoBadmsg:
		clear(out)
		return nil, ErrOpen
	}
	panic(Errno(e).Error())
}
