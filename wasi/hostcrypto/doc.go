// Package hostcrypto lets a WebAssembly guest (GOOS=wasip1) seal and open
// packets with AEADs that run natively in its host ("host crypto
// offload"). Inside wazero a 1,350-byte ChaCha20-Poly1305 seal costs about
// 50 µs and AES-GCM far more (no AES instructions, no assembly), against
// well under a microsecond natively, so a QUIC transfer in WebAssembly is
// bound by its crypto; one host call per packet removes that bound.
//
// Measured under wasmexec on a loaded 2-core machine: 1-RTT Seal of a
// 1,350-byte packet (AEAD and header protection) 2.5 µs with the host's
// AES-128-GCM against 650 µs in the guest, 2.8 µs with ChaCha20-Poly1305
// against 56 µs; internal/quicproto's BenchmarkBulkTransfer 27 MB/s
// against 9.6 MB/s.
//
// # Opt-in
//
// The guest side is compiled only with GOOS=wasip1 and the build tag
// h3wasi_offload, which turns on all of wasihost's offloads (this one and
// package wasi's segmented sends). Its older name, h3wasi_hostcrypto, is
// an alias that keeps working. A module built with the tag imports the
// functions of the host module "h3wasi_crypto", which only wasihost offers:
// it does not instantiate on WasmEdge, wasmtime or plain wazero (they
// report an unresolved import of h3wasi_crypto). Without the tag, or on
// any other platform, Enabled is false, NewAEAD returns ErrUnavailable and
// nothing is imported, so the same module runs on any wasip1 host. Build
// and test with, for example:
//
//	GOOS=wasip1 GOARCH=wasm go build -tags h3wasi_offload ./examples/quicecho
//	GOOS=wasip1 GOARCH=wasm go test -tags h3wasi_offload -exec /tmp/wasmexec ./internal/protect
//
// A module built with the tag for a newer ABI than its wasihost offers is
// refused before it starts, with an error naming the missing import.
//
// A host that offers the functions also sets the environment variable
// H3WASI_HOSTCRYPTO to the version of the ABI it implements, "1". A guest built with the tag refuses the host
// functions (NewAEAD returns ErrUnavailable) when the variable is missing
// or names another version, so a host that merely stubs the imports is
// never called; internal/protect then falls back to its pure-Go AEADs.
//
// # ABI
//
// Every parameter is an i32, every function returns a WASI errno (i32);
// pointers are offsets in the guest's memory. Suites are TLS 1.3 cipher
// suite numbers (0x1301 AES-128-GCM, 0x1302 AES-256-GCM, 0x1303
// ChaCha20-Poly1305).
//
//	aead_new(suite, key, key_len, *handle)                     errno
//	aead_seal(handle, nonce, ad, ad_len, in, in_len, out)      errno
//	aead_open(handle, nonce, ad, ad_len, in, in_len, out)      errno
//	key_close(handle)                                          errno
//	block_new(suite, key, key_len, *handle)                    errno
//	block_encrypt(handle, in, out)                             errno
//
// nonce is 12 bytes. aead_seal writes in_len+16 bytes (ciphertext and tag)
// at out; aead_open reads in_len bytes of ciphertext and tag and writes
// in_len-16 bytes of plaintext at out, or answers ErrnoBadmsg when the
// packet does not authenticate. out may equal in (in-place operation) but
// must not otherwise overlap it, nor overlap ad at all: that is
// ErrnoInval, where crypto/cipher would panic. A pointer and length
// outside the guest's memory is ErrnoFault, an unknown handle ErrnoBadf, a
// full handle table ErrnoMfile.
// block_new takes a suite and its header protection key; block_encrypt
// turns a 16-byte sample at in into a 16-byte header protection mask at
// out (in may equal out): the AES-ECB encryption of the sample for the
// AES-GCM suites (RFC 9001 section 5.4.3), the first 16 bytes of the
// ChaCha20 block whose counter and nonce are the sample for
// ChaCha20-Poly1305 (section 5.4.4). Either costs about 1 µs inside
// WebAssembly. key_close releases either kind of handle.
//
// Handles live in a per-module table of at most 4,096 entries, freed when
// the module exits; a guest that runs out falls back to its own AEADs.
//
// The names and numbers of this ABI are defined once, in internal/wasiabi,
// for this package and wasihost; the implementation is internal/hostaead,
// which internal/protect uses directly.
package hostcrypto

import (
	"crypto/cipher"

	"github.com/h3wasi/h3wasi/internal/hostaead"
	"github.com/h3wasi/h3wasi/internal/wasiabi"
)

// Enabled reports whether the package was built to use host functions
// (GOOS=wasip1 and the build tag h3wasi_offload, or its alias
// h3wasi_hostcrypto).
const Enabled = hostaead.Enabled

// TLS 1.3 cipher suites, the suite argument of NewAEAD and
// NewBlockEncrypter.
const (
	SuiteAES128GCM        = wasiabi.SuiteAES128GCM
	SuiteAES256GCM        = wasiabi.SuiteAES256GCM
	SuiteChaCha20Poly1305 = wasiabi.SuiteChaCha20Poly1305
)

// WASI errno values the host functions return, as Errno errors.
const (
	ErrnoSuccess = wasiabi.ErrnoSuccess
	ErrnoBadf    = wasiabi.ErrnoBadf   // unknown handle
	ErrnoBadmsg  = wasiabi.ErrnoBadmsg // authentication failed
	ErrnoFault   = wasiabi.ErrnoFault  // pointer and length outside the guest's memory
	ErrnoInval   = wasiabi.ErrnoInval  // bad suite, key length or buffer overlap
	ErrnoMfile   = wasiabi.ErrnoMfile  // handle table full
)

// Errors of NewAEAD and of an AEAD's Open.
var (
	// ErrUnavailable: the module was built without the h3wasi_offload
	// tag, or its host does not advertise the functions.
	ErrUnavailable = hostaead.ErrUnavailable
	// ErrOpen: the ciphertext did not authenticate.
	ErrOpen = hostaead.ErrOpen
)

// Errno is a WASI errno answered by a host function (one of the Errno
// constants); it is an error.
type Errno = hostaead.Errno

// Encrypter computes header protection masks: Encrypt writes the 16-byte
// mask of the 16-byte sample src to dst (for AES, the block encryption of
// src, as cipher.Block does).
type Encrypter interface {
	BlockSize() int
	Encrypt(dst, src []byte)
}

// NewAEAD returns an AEAD for a TLS 1.3 cipher suite whose Seal and Open
// run in the host. It returns ErrUnavailable without host crypto (see
// Enabled) or when the host does not advertise the functions, and an Errno
// when the host refuses the key (bad suite or key length, ErrnoInval; full
// table, ErrnoMfile). The host key is released when the AEAD is garbage
// collected.
func NewAEAD(suite uint16, key []byte) (cipher.AEAD, error) {
	return hostaead.NewAEAD(suite, key)
}

// NewBlockEncrypter returns the header protection mask function of a
// TLS 1.3 cipher suite for its header protection key, running in the host.
// Errors are as NewAEAD's; the host key is released when the encrypter is
// garbage collected.
func NewBlockEncrypter(suite uint16, key []byte) (Encrypter, error) {
	b, err := hostaead.NewBlockEncrypter(suite, key)
	if err != nil {
		return nil, err
	}
	return b, nil
}
