// Package chachapoly is the ChaCha20-Poly1305 AEAD of RFC 8439 for WebAssembly,
// where golang.org/x/crypto has no assembly and its generic Poly1305, built on
// emulated 64x64->128-bit multiplies, is most of a QUIC packet's sealing time. The
// keystream is x/crypto's ChaCha20; Poly1305 is this package's 26-bit-limb version
// (poly1305.go). Natively x/crypto's assembly is far faster: internal/protect uses
// this package only when GOARCH is wasm.
package chachapoly

import (
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"

	"github.com/h3wasi/h3wasi/internal/aeadbuf"

	"golang.org/x/crypto/chacha20"
)

// Sizes of the AEAD's parameters, as in RFC 8439.
const (
	KeySize   = 32
	NonceSize = 12
	Overhead  = 16
)

var errOpen = errors.New("chachapoly: message authentication failed")

type aead struct{ key [KeySize]byte }

// New returns the ChaCha20-Poly1305 AEAD with key, which must be KeySize bytes.
func New(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, errors.New("chachapoly: bad key length")
	}
	a := new(aead)
	copy(a.key[:], key)
	return a, nil
}

func (*aead) NonceSize() int { return NonceSize }
func (*aead) Overhead() int  { return Overhead }

// keyMAC keys m from the keystream's block 0 and moves s to block 1 (RFC 8439
// section 2.6). The cipher is made by the caller, so that it stays on the stack.
func keyMAC(s *chacha20.Cipher, m *mac) {
	var polyKey [32]byte
	s.XORKeyStream(polyKey[:], polyKey[:])
	s.SetCounter(1)
	m.init(&polyKey)
}

// checkNonce panics, as cipher.AEAD implementations do, on a nonce of the wrong size.
func (a *aead) checkNonce(nonce []byte) {
	if len(nonce) != NonceSize {
		panic("chachapoly: bad nonce length")
	}
}

// finish absorbs the lengths block and writes the tag.
func finish(m *mac, aadLen, ctLen int, tag []byte) {
	var lens [16]byte
	binary.LittleEndian.PutUint64(lens[0:], uint64(aadLen))
	binary.LittleEndian.PutUint64(lens[8:], uint64(ctLen))
	m.blocks(lens[:])
	m.sum(tag)
}

func (a *aead) Seal(dst, nonce, plaintext, additionalData []byte) []byte {
	if uint64(len(plaintext)) > (1<<38)-64 {
		panic("chachapoly: plaintext too large")
	}
	a.checkNonce(nonce)
	s, _ := chacha20.NewUnauthenticatedCipher(a.key[:], nonce)
	var m mac
	keyMAC(s, &m)
	ret, out := aeadbuf.SliceForAppend(dst, len(plaintext)+Overhead)
	if aeadbuf.InexactOverlap(out, plaintext) || aeadbuf.AnyOverlap(out, additionalData) {
		panic("chachapoly: invalid buffer overlap")
	}
	ct := out[:len(plaintext)]
	s.XORKeyStream(ct, plaintext)
	m.writePadded(additionalData)
	m.writePadded(ct)
	finish(&m, len(additionalData), len(ct), out[len(plaintext):])
	return ret
}

func (a *aead) Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error) {
	if len(ciphertext) < Overhead {
		return nil, errOpen
	}
	if uint64(len(ciphertext)) > (1<<38)-48 {
		panic("chachapoly: ciphertext too large")
	}
	ct, tag := ciphertext[:len(ciphertext)-Overhead], ciphertext[len(ciphertext)-Overhead:]
	a.checkNonce(nonce)
	s, _ := chacha20.NewUnauthenticatedCipher(a.key[:], nonce)
	var m mac
	keyMAC(s, &m)
	m.writePadded(additionalData)
	m.writePadded(ct)
	var want [Overhead]byte
	finish(&m, len(additionalData), len(ct), want[:])
	ret, out := aeadbuf.SliceForAppend(dst, len(ct))
	if aeadbuf.InexactOverlap(out, ciphertext) || aeadbuf.AnyOverlap(out, additionalData) {
		panic("chachapoly: invalid buffer overlap")
	}
	if subtle.ConstantTimeCompare(want[:], tag) != 1 {
		clear(out)
		return nil, errOpen
	}
	s.XORKeyStream(out, ct)
	return ret, nil
}
