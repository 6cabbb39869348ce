package wasihost

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"golang.org/x/crypto/chacha20"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/h3wasi/h3wasi/internal/wasiabi"
)

// Host crypto offload: the functions of the wasiabi.ModuleCrypto host
// module (see internal/wasiabi for the ABI, package wasi/hostcrypto for
// its semantics) seal and open packets
// with native AEADs, in place in guest memory, and compute header
// protection masks. Keys live in a bounded per-module table; the seal,
// open and mask calls allocate nothing. The module is always offered (and
// advertised through wasiabi.CryptoEnv); only guests built with the
// h3wasi_offload tag (or its alias h3wasi_hostcrypto) import it.

// hostKey is one entry of a crypto table: an AEAD (aead_new) or a header
// protection cipher (block_new).
type hostKey struct {
	aead  cipher.AEAD
	block blockEncrypter
}

// blockEncrypter computes 16-byte header protection masks from 16-byte
// samples: AES-ECB (*aes.Block) or chachaBlock.
type blockEncrypter interface {
	Encrypt(dst, src []byte)
}

// chachaBlock computes the first 16 bytes of the ChaCha20 block whose
// counter and nonce are the sample (RFC 9001 section 5.4.4); of those the
// guest uses five.
type chachaBlock struct {
	key [chacha20.KeySize]byte
}

func (c *chachaBlock) Encrypt(dst, src []byte) {
	s, err := chacha20.NewUnauthenticatedCipher(c.key[:], src[4:16])
	if err != nil {
		panic("wasihost: chacha20: " + err.Error()) // the lengths are fixed
	}
	s.SetCounter(binary.LittleEndian.Uint32(src[0:4]))
	var zero [16]byte
	s.XORKeyStream(dst[:16], zero[:])
}

// cryptoTable is the key table of one module instance. wazero calls
// a module's host functions on the goroutine running it, one at a time
// (wasip1 modules have one thread), and the table is cleared only after
// the module has returned, so it needs no lock.
type cryptoTable struct {
	stop *stopFlag
	max  int
	keys []hostKey // handle h is keys[h-1]; zero: free
	free []uint32  // free handles, reused last-in first-out
	open int
}

func newCryptoTable(max int) *cryptoTable {
	return &cryptoTable{max: max}
}

// add stores a key and returns its handle, or ErrnoMfile when the table
// is full.
func (t *cryptoTable) add(k hostKey) (uint32, uint32) {
	if n := len(t.free); n > 0 {
		h := t.free[n-1]
		t.free = t.free[:n-1]
		t.keys[h-1] = k
		t.open++
		return h, wasiabi.ErrnoSuccess
	}
	if len(t.keys) >= t.max {
		return 0, wasiabi.ErrnoMfile
	}
	t.keys = append(t.keys, k)
	t.open++
	return uint32(len(t.keys)), wasiabi.ErrnoSuccess
}

func (t *cryptoTable) get(h uint32) *hostKey {
	if h == 0 || uint64(h) > uint64(len(t.keys)) {
		return nil
	}
	if k := &t.keys[h-1]; k.aead != nil || k.block != nil {
		return k
	}
	return nil
}

func (t *cryptoTable) remove(h uint32) uint32 {
	if t.get(h) == nil {
		return wasiabi.ErrnoBadf
	}
	t.keys[h-1] = hostKey{}
	t.free = append(t.free, h)
	t.open--
	return wasiabi.ErrnoSuccess
}

// closeAll drops every key when the module has ended.
func (t *cryptoTable) closeAll() {
	clear(t.keys)
	t.keys, t.free, t.open = nil, nil, 0
}

// newHostAEAD builds the AEAD of a TLS 1.3 cipher suite.
func newHostAEAD(suite uint32, key []byte) (cipher.AEAD, uint32) {
	switch {
	case suite == wasiabi.SuiteAES128GCM && len(key) == 16,
		suite == wasiabi.SuiteAES256GCM && len(key) == 32:
		b, err := aes.NewCipher(key)
		if err != nil {
			return nil, wasiabi.ErrnoInval
		}
		a, err := cipher.NewGCM(b)
		if err != nil {
			return nil, wasiabi.ErrnoInval
		}
		return a, wasiabi.ErrnoSuccess
	case suite == wasiabi.SuiteChaCha20Poly1305 && len(key) == chacha20poly1305.KeySize:
		a, err := chacha20poly1305.New(key)
		if err != nil {
			return nil, wasiabi.ErrnoInval
		}
		return a, wasiabi.ErrnoSuccess
	}
	return nil, wasiabi.ErrnoInval
}

// aead_new(suite, key, key_len, *handle)
func (t *cryptoTable) aeadNew(mod api.Module, s []uint64) uint32 {
	p := u32s(s)
	mem := mod.Memory()
	key, ok := mem.Read(p[1], p[2])
	if !ok {
		return wasiabi.ErrnoFault
	}
	if _, ok := mem.Read(p[3], 4); !ok {
		return wasiabi.ErrnoFault
	}
	a, errno := newHostAEAD(p[0], key)
	if errno != wasiabi.ErrnoSuccess {
		return errno
	}
	h, errno := t.add(hostKey{aead: a})
	if errno != wasiabi.ErrnoSuccess {
		return errno
	}
	mem.WriteUint32Le(p[3], h)
	return wasiabi.ErrnoSuccess
}

// aeadArgs reads the arguments shared by aead_seal and aead_open:
// (handle, nonce, ad, ad_len, in, in_len, out), with out outLen bytes
// long. It refuses an out that overlaps in other than exactly, or that
// overlaps ad at all, as crypto/cipher and x/crypto would panic on them.
func (t *cryptoTable) aeadArgs(mem api.Memory, p *[8]uint32, outLen uint64) (a cipher.AEAD, nonce, ad, in, out []byte, errno uint32) {
	k := t.get(p[0])
	if k == nil || k.aead == nil {
		return nil, nil, nil, nil, nil, wasiabi.ErrnoBadf
	}
	a = k.aead
	if outLen > uint64(^uint32(0)) {
		return nil, nil, nil, nil, nil, wasiabi.ErrnoFault
	}
	var ok1, ok2, ok3, ok4 bool
	nonce, ok1 = mem.Read(p[1], wasiabi.NonceSize)
	ad, ok2 = mem.Read(p[2], p[3])
	in, ok3 = mem.Read(p[4], p[5])
	out, ok4 = mem.Read(p[6], uint32(outLen))
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return nil, nil, nil, nil, nil, wasiabi.ErrnoFault
	}
	if overlapsInexactly(p[6], outLen, p[4], uint64(p[5])) || overlaps(p[6], outLen, p[2], uint64(p[3])) {
		return nil, nil, nil, nil, nil, wasiabi.ErrnoInval
	}
	return a, nonce, ad, in, out, wasiabi.ErrnoSuccess
}

// overlaps reports whether the guest ranges [x, x+xn) and [y, y+yn)
// share a byte.
func overlaps(x uint32, xn uint64, y uint32, yn uint64) bool {
	return xn > 0 && yn > 0 && uint64(x) < uint64(y)+yn && uint64(y) < uint64(x)+xn
}

// overlapsInexactly reports whether the guest ranges [x, x+xn) and
// [y, y+yn) share a byte while starting at different offsets.
func overlapsInexactly(x uint32, xn uint64, y uint32, yn uint64) bool {
	return x != y && overlaps(x, xn, y, yn)
}

// aead_seal(handle, nonce, ad, ad_len, in, in_len, out)
func (t *cryptoTable) aeadSeal(mod api.Module, s []uint64) uint32 {
	p := u32s(s)
	a, nonce, ad, in, out, errno := t.aeadArgs(mod.Memory(), &p, uint64(p[5])+wasiabi.TagSize)
	if errno != wasiabi.ErrnoSuccess {
		return errno
	}
	a.Seal(out[:0], nonce, in, ad)
	return wasiabi.ErrnoSuccess
}

// aead_open(handle, nonce, ad, ad_len, in, in_len, out)
func (t *cryptoTable) aeadOpen(mod api.Module, s []uint64) uint32 {
	p := u32s(s)
	if p[5] < wasiabi.TagSize {
		if k := t.get(p[0]); k == nil || k.aead == nil {
			return wasiabi.ErrnoBadf
		}
		return wasiabi.ErrnoBadmsg
	}
	a, nonce, ad, in, out, errno := t.aeadArgs(mod.Memory(), &p, uint64(p[5])-wasiabi.TagSize)
	if errno != wasiabi.ErrnoSuccess {
		return errno
	}
	if _, err := a.Open(out[:0], nonce, in, ad); err != nil {
		return wasiabi.ErrnoBadmsg
	}
	return wasiabi.ErrnoSuccess
}

// block_new(suite, key, key_len, *handle): the header protection key of
// a suite.
func (t *cryptoTable) blockNew(mod api.Module, s []uint64) uint32 {
	p := u32s(s)
	mem := mod.Memory()
	key, ok := mem.Read(p[1], p[2])
	if !ok {
		return wasiabi.ErrnoFault
	}
	if _, ok := mem.Read(p[3], 4); !ok {
		return wasiabi.ErrnoFault
	}
	var b blockEncrypter
	switch {
	case p[0] == wasiabi.SuiteAES128GCM && len(key) == 16, p[0] == wasiabi.SuiteAES256GCM && len(key) == 32:
		a, err := aes.NewCipher(key)
		if err != nil {
			return wasiabi.ErrnoInval
		}
		b = a
	case p[0] == wasiabi.SuiteChaCha20Poly1305 && len(key) == chacha20.KeySize:
		c := &chachaBlock{}
		copy(c.key[:], key)
		b = c
	default:
		return wasiabi.ErrnoInval
	}
	h, errno := t.add(hostKey{block: b})
	if errno != wasiabi.ErrnoSuccess {
		return errno
	}
	mem.WriteUint32Le(p[3], h)
	return wasiabi.ErrnoSuccess
}

// block_encrypt(handle, in, out): one 16-byte block; out may equal in.
func (t *cryptoTable) blockEncrypt(mod api.Module, s []uint64) uint32 {
	p := u32s(s)
	k := t.get(p[0])
	if k == nil || k.block == nil {
		return wasiabi.ErrnoBadf
	}
	mem := mod.Memory()
	in, ok1 := mem.Read(p[1], aes.BlockSize)
	out, ok2 := mem.Read(p[2], aes.BlockSize)
	if !ok1 || !ok2 {
		return wasiabi.ErrnoFault
	}
	if overlapsInexactly(p[2], aes.BlockSize, p[1], aes.BlockSize) {
		return wasiabi.ErrnoInval
	}
	k.block.Encrypt(out, in)
	return wasiabi.ErrnoSuccess
}

// key_close(handle)
func (t *cryptoTable) keyClose(_ api.Module, s []uint64) uint32 {
	return t.remove(uint32(s[0]))
}

// instantiate builds the wasiabi.ModuleCrypto host module in r.
func (t *cryptoTable) instantiate(ctx context.Context, r wazero.Runtime) error {
	b := r.NewHostModuleBuilder(wasiabi.ModuleCrypto)
	fns := []struct {
		wasiabi.Func
		fn cryptoFunc
	}{
		{wasiabi.AEADNew, t.aeadNew},
		{wasiabi.AEADSeal, t.aeadSeal},
		{wasiabi.AEADOpen, t.aeadOpen},
		{wasiabi.KeyClose, t.keyClose},
		{wasiabi.BlockNew, t.blockNew},
		{wasiabi.BlockEncrypt, t.blockEncrypt},
	}
	for _, f := range fns {
		exportI32(b, t.stop, f.Name, f.Params, f.fn)
	}
	if _, err := b.Instantiate(ctx); err != nil {
		return fmt.Errorf("wasihost: %s: %w", wasiabi.ModuleCrypto, err)
	}
	return nil
}

// cryptoFunc is the shape of the crypto functions: they read their i32
// parameters from wazero's stack themselves, so that no argument array
// escapes to the heap per call.
type cryptoFunc func(mod api.Module, stack []uint64) uint32

// u32s returns the first (at most 8) i32 parameters of a call.
func u32s(stack []uint64) (p [8]uint32) {
	for i := 0; i < len(stack) && i < len(p); i++ {
		p[i] = uint32(stack[i])
	}
	return p
}

// exportI32 exports fn, taking n i32 parameters and returning an i32
// errno, from the host module being built.
func exportI32(b wazero.HostModuleBuilder, stop *stopFlag, name string, n int, fn cryptoFunc) {
	params := make([]api.ValueType, n)
	for i := range params {
		params[i] = api.ValueTypeI32
	}
	b.NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
			stop.checkStop(ctx, mod)
			stack[0] = uint64(fn(mod, stack[:n]))
		}), params, []api.ValueType{api.ValueTypeI32}).
		Export(name)
}

// checkCryptoImports explains, before wazero's terser error, a module
// that imports host crypto or socket extension functions this host does not
// have (a guest built with -tags h3wasi_offload for another ABI version).
func checkCryptoImports(m wazero.CompiledModule) error {
	for _, f := range m.ImportedFunctions() {
		mod, name, _ := f.Import()
		var fns []wasiabi.Func
		switch mod {
		case wasiabi.ModuleCrypto:
			fns = wasiabi.CryptoFuncs
		case wasiabi.ModuleSock:
			fns = wasiabi.SockExtFuncs
		default:
			continue
		}
		ok := false
		for _, fn := range fns {
			ok = ok || fn.Name == name && fn.Params == len(f.ParamTypes()) && len(f.ResultTypes()) == 1
		}
		if !ok {
			return fmt.Errorf("wasihost: the module imports %s.%s, which this host does not offer "+
				"(it implements host crypto ABI %s=%s and segmented sends %s=%s; the module was built with -tags h3wasi_offload for another version)",
				mod, name, wasiabi.CryptoEnv, wasiabi.CryptoVersion, wasiabi.SegmentsEnv, wasiabi.SegmentsVersion)
		}
	}
	return nil
}
