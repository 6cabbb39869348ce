package chachapoly

import (
	"bytes"
	"crypto/cipher"
	"encoding/hex"
	"math/rand/v2"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"
	//lint:ignore SA1019 the reference implementation the benchmark compares with
	"golang.org/x/crypto/poly1305"
)

func unhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// TestRFC8439 checks the AEAD example of RFC 8439 section 2.8.2 and the
// Poly1305 example of section 2.5.2.
func TestRFC8439(t *testing.T) {
	key := unhex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")
	nonce := unhex("070000004041424344454647")
	aad := unhex("50515253c0c1c2c3c4c5c6c7")
	pt := []byte("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.")
	want := unhex("d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116" +
		"1ae10b594f09e26a7e902ecbd0600691")
	a, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	got := a.Seal(nil, nonce, pt, aad)
	if !bytes.Equal(got, want) {
		t.Fatalf("Seal:\n got %x\nwant %x", got, want)
	}
	back, err := a.Open(nil, nonce, got, aad)
	if err != nil || !bytes.Equal(back, pt) {
		t.Fatalf("Open = %q, %v", back, err)
	}

	var m mac
	var k [32]byte
	copy(k[:], unhex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b"))
	m.init(&k)
	msg := []byte("Cryptographic Forum Research Group")
	// Section 2.5.2 hashes 34 bytes with an unpadded last block, which the AEAD
	// never does; feed the whole blocks, then the last one by hand.
	m.blocks(msg[:32])
	tag := polyLastPartial(&m, msg[32:])
	if want := unhex("a8061dc1305136c6c22b8baf0c0127a9"); !bytes.Equal(tag, want) {
		t.Fatalf("Poly1305 tag %x, want %x", tag, want)
	}
}

// polyLastPartial absorbs a final partial block the RFC 8439 2.5 way (a 1 byte
// after the message, no 2^128 bit) and returns the tag.
func polyLastPartial(m *mac, tail []byte) []byte {
	var last [16]byte
	copy(last[:], tail)
	last[len(tail)] = 1
	m.absorb(last[:], 0)
	out := make([]byte, 16)
	m.sum(out)
	return out
}

// TestMatchesXCrypto seals and opens random messages with random keys, nonces
// and additional data, against golang.org/x/crypto's implementation.
func TestMatchesXCrypto(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		key := make([]byte, KeySize)
		nonce := make([]byte, NonceSize)
		fill(r, key)
		fill(r, nonce)
		pt := make([]byte, r.IntN(1500))
		aad := make([]byte, r.IntN(64))
		fill(r, pt)
		fill(r, aad)
		if i%7 == 0 { // all-ones data stresses the carries
			for j := range pt {
				pt[j] = 0xff
			}
		}
		checkAgainstXCrypto(t, key, nonce, pt, aad)
	}
}

func fill(r *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(r.Uint32())
	}
}

func checkAgainstXCrypto(t *testing.T, key, nonce, pt, aad []byte) {
	t.Helper()
	ours, _ := New(key)
	ref, _ := chacha20poly1305.New(key)
	got := ours.Seal(nil, nonce, pt, aad)
	want := ref.Seal(nil, nonce, pt, aad)
	if !bytes.Equal(got, want) {
		t.Fatalf("Seal(len %d, aad %d) differs from x/crypto", len(pt), len(aad))
	}
	back, err := ours.Open(nil, nonce, want, aad)
	if err != nil || !bytes.Equal(back, pt) {
		t.Fatalf("Open(len %d, aad %d) = %v", len(pt), len(aad), err)
	}
	// Any flipped bit is refused.
	if len(want) > 0 {
		bad := bytes.Clone(want)
		bad[len(bad)/2] ^= 1
		if _, err := ours.Open(nil, nonce, bad, aad); err == nil {
			t.Fatal("Open accepted a corrupted ciphertext")
		}
	}
}

// TestInPlace seals and opens in place, as internal/protect does.
func TestInPlace(t *testing.T) {
	key, nonce := make([]byte, KeySize), make([]byte, NonceSize)
	a, _ := New(key)
	buf := make([]byte, 100, 100+Overhead)
	for i := range buf {
		buf[i] = byte(i)
	}
	orig := bytes.Clone(buf)
	sealed := a.Seal(buf[:0], nonce, buf, []byte("hdr"))
	opened, err := a.Open(sealed[:0], nonce, sealed, []byte("hdr"))
	if err != nil || !bytes.Equal(opened, orig) {
		t.Fatalf("in place: %v", err)
	}
	var _ cipher.AEAD = a
}

// FuzzMatchesXCrypto compares with golang.org/x/crypto on fuzzed inputs.
func FuzzMatchesXCrypto(f *testing.F) {
	f.Add(make([]byte, 32), make([]byte, 12), []byte("hello"), []byte("aad"))
	f.Add(bytes.Repeat([]byte{0xff}, 32), bytes.Repeat([]byte{0xff}, 12), bytes.Repeat([]byte{0xff}, 1350), bytes.Repeat([]byte{0xff}, 21))
	f.Fuzz(func(t *testing.T, key, nonce, pt, aad []byte) {
		if len(key) != KeySize || len(nonce) != NonceSize {
			return
		}
		checkAgainstXCrypto(t, key, nonce, pt, aad)
	})
}

func BenchmarkSeal1350(b *testing.B) {
	for _, impl := range []struct {
		name string
		new  func([]byte) (cipher.AEAD, error)
	}{{"chachapoly", New}, {"x-crypto", chacha20poly1305.New}} {
		b.Run(impl.name, func(b *testing.B) {
			a, _ := impl.new(make([]byte, KeySize))
			buf := make([]byte, 1350+Overhead)
			nonce, hdr := make([]byte, NonceSize), make([]byte, 20)
			b.SetBytes(1350)
			b.ReportAllocs()
			for b.Loop() {
				a.Seal(buf[:0], nonce, buf[:1350], hdr)
			}
		})
	}
}

// BenchmarkMAC1350 compares the Poly1305 alone with x/crypto's.
func BenchmarkMAC1350(b *testing.B) {
	msg := make([]byte, 1350)
	var key [32]byte
	b.Run("chachapoly", func(b *testing.B) {
		out := make([]byte, 16)
		b.SetBytes(1350)
		for b.Loop() {
			var m mac
			m.init(&key)
			m.writePadded(msg)
			m.sum(out)
		}
	})
	b.Run("x-crypto", func(b *testing.B) {
		var out [16]byte
		b.SetBytes(1350)
		for b.Loop() {
			poly1305.Sum(&out, msg, &key)
		}
	})
}
