package wasihost

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero/api"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/h3wasi/h3wasi/internal/wasiabi"
)

// Guest memory layout of the crypto tests: key at 0, handle at 64, nonce
// at 80, additional data at 128, packet at 4096.
const (
	cKey, cHandle, cNonce, cAD, cPkt = 0, 64, 80, 128, 4096
)

// refAEAD is the native AEAD the host results are compared with.
func refAEAD(t testing.TB, suite uint32, key []byte) cipher.AEAD {
	t.Helper()
	if suite == wasiabi.SuiteChaCha20Poly1305 {
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

// call invokes a crypto function with i32 arguments.
func call(fn cryptoFunc, mod api.Module, args ...uint32) uint32 {
	var s [8]uint64
	for i, a := range args {
		s[i] = uint64(a)
	}
	return fn(mod, s[:len(args)])
}

// newKey creates a key through aead_new and returns its handle.
func newKey(t testing.TB, tb *cryptoTable, mod api.Module, suite uint32, key []byte) uint32 {
	t.Helper()
	mod.Memory().Write(cKey, key)
	if e := call(tb.aeadNew, mod, suite, cKey, uint32(len(key)), cHandle); e != wasiabi.ErrnoSuccess {
		t.Fatalf("aead_new: errno %d", e)
	}
	h, _ := mod.Memory().ReadUint32Le(cHandle)
	return h
}

func TestCryptoSealOpenMatchesNative(t *testing.T) {
	mod := newMemModule(t)
	mem := mod.Memory()
	tests := []struct {
		name   string
		suite  uint32
		keyLen int
	}{
		{"AES128GCM", wasiabi.SuiteAES128GCM, 16},
		{"AES256GCM", wasiabi.SuiteAES256GCM, 32},
		{"ChaCha20Poly1305", wasiabi.SuiteChaCha20Poly1305, 32},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tb := newCryptoTable(8)
			key := bytes.Repeat([]byte{byte(tc.keyLen)}, tc.keyLen)
			h := newKey(t, tb, mod, tc.suite, key)
			ref := refAEAD(t, tc.suite, key)
			nonce := []byte("twelve bytes")
			ad := []byte("header")
			pt := bytes.Repeat([]byte("payload "), 100)
			want := ref.Seal(nil, nonce, pt, ad)
			mem.Write(cNonce, nonce)
			mem.Write(cAD, ad)
			mem.Write(cPkt, pt)
			// In place, as QUIC does.
			if e := call(tb.aeadSeal, mod, h, cNonce, cAD, uint32(len(ad)), cPkt, uint32(len(pt)), cPkt); e != 0 {
				t.Fatalf("aead_seal: errno %d", e)
			}
			got, _ := mem.Read(cPkt, uint32(len(want)))
			if !bytes.Equal(got, want) {
				t.Fatal("aead_seal differs from the native AEAD")
			}
			// Open into another buffer, then in place.
			if e := call(tb.aeadOpen, mod, h, cNonce, cAD, uint32(len(ad)), cPkt, uint32(len(want)), 20000); e != 0 {
				t.Fatalf("aead_open: errno %d", e)
			}
			if e := call(tb.aeadOpen, mod, h, cNonce, cAD, uint32(len(ad)), cPkt, uint32(len(want)), cPkt); e != 0 {
				t.Fatalf("aead_open in place: errno %d", e)
			}
			for _, off := range []uint32{20000, cPkt} {
				if got, _ := mem.Read(off, uint32(len(pt))); !bytes.Equal(got, pt) {
					t.Fatalf("aead_open at %d: wrong plaintext", off)
				}
			}
			// A flipped bit fails authentication.
			mem.Write(cPkt, want)
			mem.WriteByte(cPkt+7, want[7]^1)
			if e := call(tb.aeadOpen, mod, h, cNonce, cAD, uint32(len(ad)), cPkt, uint32(len(want)), cPkt); e != wasiabi.ErrnoBadmsg {
				t.Fatalf("aead_open of a corrupted packet: errno %d, want EBADMSG", e)
			}
			if e := call(tb.keyClose, mod, h); e != 0 {
				t.Fatalf("key_close: errno %d", e)
			}
			if e := call(tb.aeadSeal, mod, h, cNonce, cAD, 0, cPkt, 0, cPkt); e != wasiabi.ErrnoBadf {
				t.Fatalf("aead_seal after key_close: errno %d, want EBADF", e)
			}
		})
	}
}

// TestCryptoBadArguments checks that bad handles, suites, keys, pointers,
// lengths and overlaps give their errno.
func TestCryptoBadArguments(t *testing.T) {
	mod := newMemModule(t)
	const memSize = 65536
	tb := newCryptoTable(8)
	h := newKey(t, tb, mod, wasiabi.SuiteAES128GCM, make([]byte, 16))
	tests := []struct {
		name string
		fn   cryptoFunc
		args []uint32
		want uint32
	}{
		{"new: unknown suite", tb.aeadNew, []uint32{0x1304, cKey, 16, cHandle}, wasiabi.ErrnoInval},
		{"new: short key", tb.aeadNew, []uint32{wasiabi.SuiteAES256GCM, cKey, 16, cHandle}, wasiabi.ErrnoInval},
		{"new: chacha key length", tb.aeadNew, []uint32{wasiabi.SuiteChaCha20Poly1305, cKey, 16, cHandle}, wasiabi.ErrnoInval},
		{"new: key out of memory", tb.aeadNew, []uint32{wasiabi.SuiteAES128GCM, memSize - 8, 16, cHandle}, wasiabi.ErrnoFault},
		{"new: key length wraps", tb.aeadNew, []uint32{wasiabi.SuiteAES128GCM, 16, 0xfffffff8, cHandle}, wasiabi.ErrnoFault},
		{"new: handle out of memory", tb.aeadNew, []uint32{wasiabi.SuiteAES128GCM, cKey, 16, memSize - 2}, wasiabi.ErrnoFault},
		{"seal: handle 0", tb.aeadSeal, []uint32{0, cNonce, cAD, 4, cPkt, 100, cPkt}, wasiabi.ErrnoBadf},
		{"seal: unknown handle", tb.aeadSeal, []uint32{99, cNonce, cAD, 4, cPkt, 100, cPkt}, wasiabi.ErrnoBadf},
		{"seal: huge handle", tb.aeadSeal, []uint32{0xffffffff, cNonce, cAD, 4, cPkt, 100, cPkt}, wasiabi.ErrnoBadf},
		{"seal: nonce out of memory", tb.aeadSeal, []uint32{h, memSize - 11, cAD, 4, cPkt, 100, cPkt}, wasiabi.ErrnoFault},
		{"seal: ad out of memory", tb.aeadSeal, []uint32{h, cNonce, memSize - 3, 4, cPkt, 100, cPkt}, wasiabi.ErrnoFault},
		{"seal: tag out of memory", tb.aeadSeal, []uint32{h, cNonce, cAD, 4, memSize - 100, 100, memSize - 100}, wasiabi.ErrnoFault},
		{"seal: length wraps", tb.aeadSeal, []uint32{h, cNonce, cAD, 4, cPkt, 0xfffffff8, cPkt}, wasiabi.ErrnoFault},
		{"seal: output overlaps input", tb.aeadSeal, []uint32{h, cNonce, cAD, 4, cPkt, 100, cPkt + 1}, wasiabi.ErrnoInval},
		{"seal: tag overlaps input", tb.aeadSeal, []uint32{h, cNonce, cAD, 4, cPkt, 100, cPkt - 110}, wasiabi.ErrnoInval},
		{"seal: output overlaps ad", tb.aeadSeal, []uint32{h, cNonce, cPkt + 110, 4, cPkt, 100, cPkt}, wasiabi.ErrnoInval},
		{"open: output overlaps ad", tb.aeadOpen, []uint32{h, cNonce, cPkt + 50, 4, cPkt, 100, cPkt}, wasiabi.ErrnoInval},
		{"seal: empty", tb.aeadSeal, []uint32{h, cNonce, 0, 0, 0, 0, cPkt}, wasiabi.ErrnoSuccess},
		{"open: shorter than the tag", tb.aeadOpen, []uint32{h, cNonce, cAD, 4, cPkt, 15, cPkt}, wasiabi.ErrnoBadmsg},
		{"open: short, unknown handle", tb.aeadOpen, []uint32{7, cNonce, cAD, 4, cPkt, 15, cPkt}, wasiabi.ErrnoBadf},
		{"open: input out of memory", tb.aeadOpen, []uint32{h, cNonce, cAD, 4, memSize - 50, 100, cPkt}, wasiabi.ErrnoFault},
		{"open: output overlaps input", tb.aeadOpen, []uint32{h, cNonce, cAD, 4, cPkt, 100, cPkt + 16}, wasiabi.ErrnoInval},
		{"open: not authentic", tb.aeadOpen, []uint32{h, cNonce, cAD, 4, cPkt, 100, cPkt}, wasiabi.ErrnoBadmsg},
		{"close: unknown handle", tb.keyClose, []uint32{5}, wasiabi.ErrnoBadf},
		{"close: handle 0", tb.keyClose, []uint32{0}, wasiabi.ErrnoBadf},
	}
	for _, tc := range tests {
		if got := call(tc.fn, mod, tc.args...); got != tc.want {
			t.Errorf("%s: errno %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestCryptoBlock(t *testing.T) {
	mod := newMemModule(t)
	mem := mod.Memory()
	tb := newCryptoTable(8)
	key := bytes.Repeat([]byte{3}, 32)
	mem.Write(cKey, key)
	if e := call(tb.blockNew, mod, wasiabi.SuiteAES256GCM, cKey, 32, cHandle); e != 0 {
		t.Fatalf("block_new: errno %d", e)
	}
	h, _ := mem.ReadUint32Le(cHandle)
	aead := newKey(t, tb, mod, wasiabi.SuiteChaCha20Poly1305, key)
	ref, _ := aes.NewCipher(key)
	sample := []byte("sixteen byte smp")
	want := make([]byte, 16)
	ref.Encrypt(want, sample)
	mem.Write(cPkt, sample)
	if e := call(tb.blockEncrypt, mod, h, cPkt, cPkt); e != 0 {
		t.Fatalf("block_encrypt in place: errno %d", e)
	}
	if got, _ := mem.Read(cPkt, 16); !bytes.Equal(got, want) {
		t.Fatal("block_encrypt differs from crypto/aes")
	}
	tests := []struct {
		name string
		fn   cryptoFunc
		args []uint32
		want uint32
	}{
		{"new: chacha key length", tb.blockNew, []uint32{wasiabi.SuiteChaCha20Poly1305, cKey, 16, cHandle}, wasiabi.ErrnoInval},
		{"new: unknown suite", tb.blockNew, []uint32{0x1305, cKey, 16, cHandle}, wasiabi.ErrnoInval},
		{"new: key length", tb.blockNew, []uint32{wasiabi.SuiteAES128GCM, cKey, 32, cHandle}, wasiabi.ErrnoInval},
		{"new: key out of memory", tb.blockNew, []uint32{wasiabi.SuiteAES128GCM, 65530, 16, cHandle}, wasiabi.ErrnoFault},
		{"new: handle out of memory", tb.blockNew, []uint32{wasiabi.SuiteAES128GCM, cKey, 16, 65535}, wasiabi.ErrnoFault},
		{"encrypt: AEAD handle", tb.blockEncrypt, []uint32{aead, cPkt, cPkt}, wasiabi.ErrnoBadf},
		{"encrypt: unknown handle", tb.blockEncrypt, []uint32{7, cPkt, cPkt}, wasiabi.ErrnoBadf},
		{"encrypt: out of memory", tb.blockEncrypt, []uint32{h, cPkt, 65530}, wasiabi.ErrnoFault},
		{"encrypt: overlap", tb.blockEncrypt, []uint32{h, cPkt, cPkt + 8}, wasiabi.ErrnoInval},
		{"seal: block handle", tb.aeadSeal, []uint32{h, cNonce, cAD, 0, cPkt, 0, cPkt}, wasiabi.ErrnoBadf},
		{"open: block handle", tb.aeadOpen, []uint32{h, cNonce, cAD, 0, cPkt, 0, cPkt}, wasiabi.ErrnoBadf},
		{"close", tb.keyClose, []uint32{h}, wasiabi.ErrnoSuccess},
		{"encrypt: closed handle", tb.blockEncrypt, []uint32{h, cPkt, cPkt}, wasiabi.ErrnoBadf},
	}
	for _, tc := range tests {
		if got := call(tc.fn, mod, tc.args...); got != tc.want {
			t.Errorf("%s: errno %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestCryptoChaChaBlock checks the ChaCha20 mask against RFC 9001
// Appendix A.5: sample 5e5cd55c41f69080575d7999c25a5bfb gives the mask
// aefefe7d03.
func TestCryptoChaChaBlock(t *testing.T) {
	mod := newMemModule(t)
	mem := mod.Memory()
	tb := newCryptoTable(8)
	key := []byte{0x25, 0xa2, 0x82, 0xb9, 0xe8, 0x2f, 0x06, 0xf2, 0x1f, 0x48, 0x89, 0x17, 0xa4, 0xfc, 0x8f, 0x1b,
		0x73, 0x57, 0x36, 0x85, 0x60, 0x85, 0x97, 0xd0, 0xef, 0xcb, 0x07, 0x6b, 0x0a, 0xb7, 0xa7, 0xa4}
	sample := []byte{0x5e, 0x5c, 0xd5, 0x5c, 0x41, 0xf6, 0x90, 0x80, 0x57, 0x5d, 0x79, 0x99, 0xc2, 0x5a, 0x5b, 0xfb}
	mem.Write(cKey, key)
	if e := call(tb.blockNew, mod, wasiabi.SuiteChaCha20Poly1305, cKey, 32, cHandle); e != 0 {
		t.Fatalf("block_new: errno %d", e)
	}
	h, _ := mem.ReadUint32Le(cHandle)
	mem.Write(cPkt, sample)
	if e := call(tb.blockEncrypt, mod, h, cPkt, cPkt); e != 0 {
		t.Fatalf("block_encrypt: errno %d", e)
	}
	if got, _ := mem.Read(cPkt, 5); !bytes.Equal(got, []byte{0xae, 0xfe, 0xfe, 0x7d, 0x03}) {
		t.Fatalf("mask %x, want aefefe7d03", got)
	}
	// The largest counter is one block from overflow, still valid.
	mem.Write(cPkt, []byte{0xff, 0xff, 0xff, 0xff})
	if e := call(tb.blockEncrypt, mod, h, cPkt, cPkt+16); e != 0 {
		t.Fatalf("block_encrypt at the last counter: errno %d", e)
	}
	args := [3]uint64{uint64(h), cPkt, cPkt + 16}
	if n := testing.AllocsPerRun(20, func() { tb.blockEncrypt(mod, args[:]) }); n != 0 {
		t.Fatalf("%v allocations per ChaCha20 block", n)
	}
}

func TestCryptoTableBounded(t *testing.T) {
	mod := newMemModule(t)
	tb := newCryptoTable(3)
	key := make([]byte, 32)
	var hs []uint32
	for range 3 {
		hs = append(hs, newKey(t, tb, mod, wasiabi.SuiteChaCha20Poly1305, key))
	}
	if e := call(tb.aeadNew, mod, wasiabi.SuiteChaCha20Poly1305, cKey, 32, cHandle); e != wasiabi.ErrnoMfile {
		t.Fatalf("aead_new on a full table: errno %d, want EMFILE", e)
	}
	if e := call(tb.keyClose, mod, hs[1]); e != 0 {
		t.Fatalf("key_close: errno %d", e)
	}
	if e := call(tb.keyClose, mod, hs[1]); e != wasiabi.ErrnoBadf {
		t.Fatalf("second key_close: errno %d, want EBADF", e)
	}
	if h := newKey(t, tb, mod, wasiabi.SuiteChaCha20Poly1305, key); h != hs[1] || tb.open != 3 {
		t.Fatalf("freed handle not reused: got %d, want %d (%d open)", h, hs[1], tb.open)
	}
	tb.closeAll()
	if tb.open != 0 || tb.get(hs[0]) != nil {
		t.Fatal("closeAll left keys")
	}
}

func TestCryptoZeroAllocs(t *testing.T) {
	mod := newMemModule(t)
	tb := newCryptoTable(8)
	h := newKey(t, tb, mod, wasiabi.SuiteAES128GCM, make([]byte, 16))
	var seal, open [7]uint64
	for i, v := range []uint32{h, cNonce, cAD, 13, cPkt, 1200, cPkt} {
		seal[i] = uint64(v)
		open[i] = uint64(v)
	}
	open[5] = 1216
	allocs := testing.AllocsPerRun(100, func() {
		if tb.aeadSeal(mod, seal[:]) != 0 || tb.aeadOpen(mod, open[:]) != 0 {
			t.Fatal("seal/open failed")
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per seal and open", allocs)
	}
}

// cryptoModule returns a module importing hostcrypto functions: name
// with nparams i32 parameters and an i32 result.
func cryptoModule(name string, nparams int) []byte {
	vec := func(b []byte) []byte { return append([]byte{byte(len(b))}, b...) }
	section := func(id byte, body []byte) []byte { return append([]byte{id, byte(len(body))}, body...) }
	typ := []byte{1, 0x60, byte(nparams)}
	for range nparams {
		typ = append(typ, 0x7f)
	}
	typ = append(typ, 1, 0x7f)
	imp := append([]byte{1}, vec([]byte(wasiabi.ModuleCrypto))...)
	imp = append(imp, vec([]byte(name))...)
	imp = append(imp, 0x00, 0x00) // func, type 0
	mod := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	mod = append(mod, section(1, typ)...)
	mod = append(mod, section(2, imp)...)
	return mod
}

func TestCryptoImports(t *testing.T) {
	tests := []struct {
		name    string
		fn      string
		nparams int
		wantErr string
	}{
		{"known", "aead_seal", 7, ""},
		{"unknown function", "aead_frob", 2, "imports h3wasi_crypto.aead_frob, which this host does not offer"},
		{"known block function", "block_encrypt", 3, ""},
		{"wrong signature", "aead_new", 3, "imports h3wasi_crypto.aead_new, which this host does not offer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, err := Run(context.Background(), cryptoModule(tc.fn, tc.nparams), Config{MaxSockets: -1})
			if tc.wantErr == "" {
				if err != nil || code != 0 {
					t.Fatalf("Run: %d, %v", code, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "h3wasi_offload") {
				t.Fatalf("Run: %v, want an error naming %q and the build tag", err, tc.wantErr)
			}
		})
	}
}

// BenchmarkCryptoSealOpen measures the host side of sealing and opening
// one 1,350-byte packet in place in guest memory, per suite.
func BenchmarkCryptoSealOpen(b *testing.B) {
	mod := newMemModule(b)
	for _, s := range []struct {
		name   string
		suite  uint32
		keyLen int
	}{
		{"AES128GCM", wasiabi.SuiteAES128GCM, 16},
		{"ChaCha20Poly1305", wasiabi.SuiteChaCha20Poly1305, 32},
	} {
		b.Run(s.name, func(b *testing.B) {
			tb := newCryptoTable(8)
			h := newKey(b, tb, mod, s.suite, make([]byte, s.keyLen))
			seal := [7]uint64{uint64(h), cNonce, cPkt, 20, cPkt + 20, 1314, cPkt + 20}
			open := seal
			open[5] = 1330
			b.SetBytes(1350)
			b.ReportAllocs()
			for b.Loop() {
				if tb.aeadSeal(mod, seal[:]) != 0 || tb.aeadOpen(mod, open[:]) != 0 {
					b.Fatal("seal/open failed")
				}
			}
		})
	}
}
