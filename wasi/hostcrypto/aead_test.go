package hostcrypto_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"os"
	"runtime"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/h3wasi/h3wasi/internal/wasiabi"
	"github.com/h3wasi/h3wasi/wasi/hostcrypto"
)

// These tests run the host functions only under wasihost with the tag:
//
//	GOOS=wasip1 GOARCH=wasm go test -tags h3wasi_offload -exec /tmp/wasmexec ./wasi/hostcrypto

var suites = []struct {
	name   string
	id     uint16
	keyLen int
}{
	{"AES128GCM", hostcrypto.SuiteAES128GCM, 16},
	{"AES256GCM", hostcrypto.SuiteAES256GCM, 32},
	{"ChaCha20Poly1305", hostcrypto.SuiteChaCha20Poly1305, 32},
}

// pure returns the guest's own AEAD for a suite, the reference.
func pure(t testing.TB, suite uint16, key []byte) cipher.AEAD {
	t.Helper()
	if suite == hostcrypto.SuiteChaCha20Poly1305 {
		a, err := chacha20poly1305.New(key)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func hostAEAD(t testing.TB, suite uint16, key []byte) cipher.AEAD {
	t.Helper()
	if !hostcrypto.Enabled {
		t.Skip("built without GOOS=wasip1 -tags h3wasi_offload")
	}
	a, err := hostcrypto.NewAEAD(suite, key)
	if err != nil {
		t.Fatalf("NewAEAD: %v", err)
	}
	return a
}

func TestUnavailableWithoutTag(t *testing.T) {
	if hostcrypto.Enabled {
		if os.Getenv(wasiabi.CryptoEnv) != wasiabi.CryptoVersion {
			t.Fatalf("the host does not advertise %s=%s", wasiabi.CryptoEnv, wasiabi.CryptoVersion)
		}
		return
	}
	if _, err := hostcrypto.NewAEAD(hostcrypto.SuiteAES128GCM, make([]byte, 16)); !errors.Is(err, hostcrypto.ErrUnavailable) {
		t.Fatalf("NewAEAD: %v, want ErrUnavailable", err)
	}
}

func TestMatchesPureGo(t *testing.T) {
	for _, s := range suites {
		t.Run(s.name, func(t *testing.T) {
			key := bytes.Repeat([]byte{0x5a}, s.keyLen)
			h, ref := hostAEAD(t, s.id, key), pure(t, s.id, key)
			if h.NonceSize() != 12 || h.Overhead() != 16 {
				t.Fatalf("NonceSize %d, Overhead %d", h.NonceSize(), h.Overhead())
			}
			nonce := []byte("nonce-twelve")
			for _, n := range []int{0, 1, 15, 16, 17, 1200} {
				pt := bytes.Repeat([]byte{byte(n)}, n)
				ad := []byte("header bytes")
				want := ref.Seal([]byte("prefix"), nonce, pt, ad)
				got := h.Seal([]byte("prefix"), nonce, pt, ad)
				if !bytes.Equal(got, want) {
					t.Fatalf("len %d: Seal with a prefix differs", n)
				}
				// In place in one buffer, header then payload, as QUIC does.
				buf := make([]byte, len(ad)+n, len(ad)+n+16)
				copy(buf, ad)
				copy(buf[len(ad):], pt)
				ct := h.Seal(buf[len(ad):len(ad)], nonce, buf[len(ad):], buf[:len(ad)])
				if !bytes.Equal(ct, want[6:]) {
					t.Fatalf("len %d: in-place Seal differs", n)
				}
				pkt := buf[:len(ad)+len(ct)]
				out, err := h.Open(pkt[len(ad):len(ad)], nonce, pkt[len(ad):], pkt[:len(ad)])
				if err != nil || !bytes.Equal(out, pt) {
					t.Fatalf("len %d: in-place Open: %v", n, err)
				}
				out, err = h.Open(nil, nonce, want[6:], ad)
				if err != nil || !bytes.Equal(out, pt) {
					t.Fatalf("len %d: Open: %v", n, err)
				}
			}
		})
	}
}

func TestOpenFailures(t *testing.T) {
	for _, s := range suites {
		t.Run(s.name, func(t *testing.T) {
			key := make([]byte, s.keyLen)
			h := hostAEAD(t, s.id, key)
			nonce := make([]byte, 12)
			ct := h.Seal(nil, nonce, []byte("hello, world"), nil)
			tests := []struct {
				name  string
				ct    []byte
				ad    []byte
				nonce []byte
			}{
				{"flipped bit", append([]byte{ct[0] ^ 1}, ct[1:]...), nil, nonce},
				{"wrong ad", ct, []byte("x"), nonce},
				{"wrong nonce", ct, nil, []byte("other nonce!")},
				{"shorter than the tag", ct[:15], nil, nonce},
				{"empty", nil, nil, nonce},
			}
			for _, tc := range tests {
				dst := make([]byte, 0, 64)
				if out, err := h.Open(dst, tc.nonce, tc.ct, tc.ad); !errors.Is(err, hostcrypto.ErrOpen) || out != nil {
					t.Errorf("%s: Open = %q, %v; want ErrOpen", tc.name, out, err)
				}
				if n := len(tc.ct) - 16; n > 0 && !bytes.Equal(dst[:n], make([]byte, n)) {
					t.Errorf("%s: output not cleared", tc.name)
				}
			}
		})
	}
}

func TestPanicsLikeCryptoCipher(t *testing.T) {
	h := hostAEAD(t, hostcrypto.SuiteChaCha20Poly1305, make([]byte, 32))
	buf := make([]byte, 100)
	ct := h.Seal(nil, make([]byte, 12), buf[:40], nil)
	tests := []struct {
		name string
		f    func()
	}{
		{"seal: short nonce", func() { h.Seal(nil, make([]byte, 8), nil, nil) }},
		{"open: long nonce", func() { h.Open(nil, make([]byte, 13), ct, nil) }},
		{"seal: inexact overlap", func() { h.Seal(buf[:1], make([]byte, 12), buf[:40], nil) }},
		{"seal: output overlaps ad", func() { h.Seal(buf[:0], make([]byte, 12), buf[:40], buf[50:60]) }},
		{"open: inexact overlap", func() { copy(buf, ct); h.Open(buf[1:1], make([]byte, 12), buf[:len(ct)], nil) }},
	}
	for _, tc := range tests {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tc.name)
				}
			}()
			tc.f()
		}()
	}
}

func TestZeroAllocs(t *testing.T) {
	h := hostAEAD(t, hostcrypto.SuiteAES128GCM, make([]byte, 16))
	pkt := make([]byte, 1350)
	nonce := make([]byte, 12)
	allocs := testing.AllocsPerRun(50, func() {
		ct := h.Seal(pkt[20:20], nonce, pkt[20:1334], pkt[:20])
		if _, err := h.Open(pkt[20:20], nonce, ct, pkt[:20]); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per Seal and Open", allocs)
	}
}

// TestTableFullAndReleased fills the host's table, then checks that keys
// the guest dropped are released by their cleanups.
func TestTableFullAndReleased(t *testing.T) {
	hostAEAD(t, hostcrypto.SuiteAES128GCM, make([]byte, 16))
	key := make([]byte, 16)
	var keep []cipher.AEAD
	var err error
	for range wasiabi.MaxKeys + 1 {
		var a cipher.AEAD
		if a, err = hostcrypto.NewAEAD(hostcrypto.SuiteAES128GCM, key); err != nil {
			break
		}
		keep = append(keep, a)
	}
	if !errors.Is(err, hostcrypto.Errno(hostcrypto.ErrnoMfile)) || len(keep) > wasiabi.MaxKeys {
		t.Fatalf("after %d keys: %v, want the table full", len(keep), err)
	}
	runtime.KeepAlive(keep)
	keep = nil
	for i := 0; ; i++ {
		runtime.GC()
		runtime.Gosched() // cleanups run on their own goroutine
		if _, err = hostcrypto.NewAEAD(hostcrypto.SuiteAES128GCM, key); err == nil {
			return
		}
		if i == 100 {
			t.Fatalf("dropped keys were not released: %v", err)
		}
	}
}

func TestBlockEncrypter(t *testing.T) {
	if !hostcrypto.Enabled {
		if _, err := hostcrypto.NewBlockEncrypter(hostcrypto.SuiteAES128GCM, make([]byte, 16)); !errors.Is(err, hostcrypto.ErrUnavailable) {
			t.Fatalf("NewBlockEncrypter: %v, want ErrUnavailable", err)
		}
		t.Skip("built without GOOS=wasip1 -tags h3wasi_offload")
	}
	for _, s := range suites[:2] {
		key := bytes.Repeat([]byte{9}, s.keyLen)
		b, err := hostcrypto.NewBlockEncrypter(s.id, key)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		ref, _ := aes.NewCipher(key)
		src := []byte("a 16-byte sample and more")
		want, got := make([]byte, 16), make([]byte, 16)
		ref.Encrypt(want, src)
		b.Encrypt(got, src)
		if !bytes.Equal(got, want) || b.BlockSize() != 16 {
			t.Fatalf("%s: Encrypt differs from crypto/aes", s.name)
		}
		b.Encrypt(src, src) // in place
		if !bytes.Equal(src[:16], want) {
			t.Fatalf("%s: in-place Encrypt differs", s.name)
		}
		if n := testing.AllocsPerRun(20, func() { b.Encrypt(got, src) }); n != 0 {
			t.Fatalf("%s: %v allocations per Encrypt", s.name, n)
		}
	}
	if _, err := hostcrypto.NewBlockEncrypter(hostcrypto.SuiteChaCha20Poly1305, make([]byte, 16)); !errors.Is(err, hostcrypto.Errno(hostcrypto.ErrnoInval)) {
		t.Fatalf("NewBlockEncrypter(ChaCha20, 16-byte key): %v, want EINVAL", err)
	}
}

func BenchmarkSeal(b *testing.B) {
	for _, s := range suites {
		b.Run(s.name, func(b *testing.B) {
			h := hostAEAD(b, s.id, make([]byte, s.keyLen))
			pkt := make([]byte, 1350)
			nonce := make([]byte, 12)
			b.SetBytes(1334)
			b.ReportAllocs()
			for b.Loop() {
				h.Seal(pkt[20:20], nonce, pkt[20:1334], pkt[:20])
			}
		})
	}
}
