package protect

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"runtime"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/h3wasi/h3wasi/internal/chachapoly"
)

// TLS 1.3 cipher suites usable with QUIC, with the same values as the
// crypto/tls constants (kept local so this package does not import
// crypto/tls).
const (
	TLS_AES_128_GCM_SHA256       uint16 = 0x1301
	TLS_AES_256_GCM_SHA384       uint16 = 0x1302
	TLS_CHACHA20_POLY1305_SHA256 uint16 = 0x1303
)

// QUIC versions whose packet protection this package implements.
const (
	Version1 uint32 = 0x00000001 // RFC 9000
	Version2 uint32 = 0x6b3343cf // RFC 9369
)

// TagLen is the length of the AEAD authentication tag appended to every
// protected payload (16 bytes for all QUIC cipher suites).
const TagLen = 16

// SampleLen is the length of the header protection sample (RFC 9001 5.4.2).
const SampleLen = 16

// suiteParams describes the primitives of a TLS 1.3 cipher suite.
type suiteParams struct {
	id      uint16
	keyLen  int
	hashLen int
	chacha  bool
	// confidentiality and integrity limits of RFC 9001 section 6.6, in
	// packets. A zero confidentiality limit means "no limit".
	confLimit  uint64
	integLimit uint64
}

var suites = [...]suiteParams{
	{id: TLS_AES_128_GCM_SHA256, keyLen: 16, hashLen: 32, confLimit: 1 << 23, integLimit: 1 << 52},
	{id: TLS_AES_256_GCM_SHA384, keyLen: 32, hashLen: 48, confLimit: 1 << 23, integLimit: 1 << 52},
	// ChaCha20's confidentiality limit exceeds 2^62 packets and is disregarded.
	{id: TLS_CHACHA20_POLY1305_SHA256, keyLen: 32, hashLen: 32, chacha: true, integLimit: 1 << 36},
}

func lookupSuite(id uint16) (*suiteParams, error) {
	for i := range suites {
		if suites[i].id == id {
			return &suites[i], nil
		}
	}
	return nil, ErrUnsupportedSuite
}

func (s *suiteParams) newHash() hash.Hash {
	if s.hashLen == 48 {
		return sha512.New384()
	}
	return sha256.New()
}

// expandLabel is HKDF-Expand-Label from RFC 8446 section 7.1 with an empty
// context, as used by QUIC for every derivation it makes.
func (s *suiteParams) expandLabel(secret []byte, label string, length int) []byte {
	return expandLabel(s.newHash, secret, label, length)
}

func expandLabel(h func() hash.Hash, secret []byte, label string, length int) []byte {
	const prefix = "tls13 "
	info := make([]byte, 0, 4+len(prefix)+len(label))
	info = append(info, byte(length>>8), byte(length), byte(len(prefix)+len(label)))
	info = append(info, prefix...)
	info = append(info, label...)
	info = append(info, 0) // empty context
	out, err := hkdf.Expand(h, secret, string(info), length)
	if err != nil {
		// Expand fails only for lengths above 255*hashLen, which the
		// fixed lengths used here never reach.
		panic("quic protect: HKDF-Expand-Label: " + err.Error())
	}
	return out
}

// labels holds the version-specific HKDF labels (RFC 9369 section 3.3.2).
type labels struct {
	key, iv, hp, ku string
}

func versionLabels(version uint32) (labels, error) {
	switch version {
	case Version1:
		return labels{"quic key", "quic iv", "quic hp", "quic ku"}, nil
	case Version2:
		return labels{"quicv2 key", "quicv2 iv", "quicv2 hp", "quicv2 ku"}, nil
	}
	return labels{}, ErrUnsupportedVersion
}

// newAEAD creates the payload AEAD of a suite from a packet protection key.
func (s *suiteParams) newAEAD(key []byte) cipher.AEAD {
	if a := newHostAEAD(s.id, key); a != nil {
		return a
	}
	if s.chacha {
		newChaCha := chacha20poly1305.New
		if runtime.GOARCH == "wasm" {
			// No assembly there: internal/chachapoly's Poly1305 makes the
			// AEAD about 1.3x faster than x/crypto's generic code.
			newChaCha = chachapoly.New
		}
		a, err := newChaCha(key)
		if err != nil {
			panic("quic protect: chacha20poly1305: " + err.Error())
		}
		return a
	}
	return newGCM(key)
}

func newGCM(key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic("quic protect: aes: " + err.Error())
	}
	a, err := cipher.NewGCM(block)
	if err != nil {
		panic("quic protect: gcm: " + err.Error())
	}
	return a
}
