package wasihost

import (
	"crypto/aes"
	"encoding/binary"
	"testing"

	"github.com/h3wasi/h3wasi/internal/wasiabi"
)

// FuzzCryptoCalls calls the host crypto functions with arbitrary guest
// memory and arguments on a table holding an AEAD of each suite (handles
// 1-3) and AES and ChaCha20 header protection keys (4, 5): they must
// answer a known errno and never panic. Input: function selector, seven
// little-endian u32 arguments, then the start of guest memory.
func FuzzCryptoCalls(f *testing.F) {
	seed := func(fn byte, args []uint32, mem []byte) []byte {
		b := []byte{fn}
		for i := range 7 {
			var v uint32
			if i < len(args) {
				v = args[i]
			}
			b = binary.LittleEndian.AppendUint32(b, v)
		}
		return append(b, mem...)
	}
	mem := make([]byte, 256)
	copy(mem[cNonce:], "twelve bytes")
	copy(mem[cAD:], "header")
	f.Add(seed(0, []uint32{wasiabi.SuiteAES128GCM, cKey, 16, cHandle}, mem))
	f.Add(seed(0, []uint32{wasiabi.SuiteChaCha20Poly1305, cKey, 32, cHandle}, mem))
	f.Add(seed(1, []uint32{1, cNonce, cAD, 6, 160, 50, 160}, mem))
	f.Add(seed(2, []uint32{3, cNonce, cAD, 6, 160, 66, 160}, mem))
	f.Add(seed(2, []uint32{2, cNonce, cAD, 6, 160, 66, 161}, mem))
	f.Add(seed(3, []uint32{2}, nil))
	f.Add(seed(4, []uint32{wasiabi.SuiteAES256GCM, cKey, 32, cHandle}, mem))
	f.Add(seed(5, []uint32{4, 160, 160}, mem))
	f.Add(seed(5, []uint32{5, 160, 176}, mem))
	mod := newMemModule(f)
	tb := newCryptoTable(8)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 29 {
			return
		}
		m := mod.Memory()
		buf, _ := m.Read(0, m.Size())
		clear(buf)
		copy(buf, data[29:])
		tb.closeAll()
		for _, k := range []struct {
			suite uint32
			n     int
		}{{wasiabi.SuiteAES128GCM, 16}, {wasiabi.SuiteAES256GCM, 32}, {wasiabi.SuiteChaCha20Poly1305, 32}} {
			a, errno := newHostAEAD(k.suite, make([]byte, k.n))
			if errno != 0 {
				t.Fatalf("newHostAEAD: errno %d", errno)
			}
			tb.add(hostKey{aead: a})
		}
		b, _ := aes.NewCipher(make([]byte, 16))
		tb.add(hostKey{block: b})
		tb.add(hostKey{block: &chachaBlock{}})
		var stack [7]uint64
		for i := range stack {
			stack[i] = uint64(binary.LittleEndian.Uint32(data[1+4*i:]))
		}
		fns := []cryptoFunc{tb.aeadNew, tb.aeadSeal, tb.aeadOpen, tb.keyClose, tb.blockNew, tb.blockEncrypt}
		nparams := []int{4, 7, 7, 1, 4, 3}
		i := int(data[0]) % len(fns)
		switch errno := fns[i](mod, stack[:nparams[i]]); errno {
		case wasiabi.ErrnoSuccess, wasiabi.ErrnoBadf, wasiabi.ErrnoBadmsg,
			wasiabi.ErrnoFault, wasiabi.ErrnoInval, wasiabi.ErrnoMfile:
		default:
			t.Fatalf("function %d returned errno %d", i, errno)
		}
	})
}
