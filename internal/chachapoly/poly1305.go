package chachapoly

import "encoding/binary"

// mac is Poly1305 (RFC 8439 section 2.5) over whole 16-byte blocks, which is all
// the AEAD construction feeds it: it pads the additional data and the ciphertext
// with zeros to whole blocks (section 2.8), so every block carries the 2^128 bit.
//
// The accumulator and r are kept in five 26-bit limbs, so that every product is a
// 32x32->64-bit multiply. WebAssembly has those as single instructions, while the
// 64x64->128-bit multiplies of golang.org/x/crypto's generic code are emulated
// there; this version is about 3x faster under wazero. All arithmetic is
// constant-time.
type mac struct {
	r0, r1, r2, r3, r4 uint32
	s1, s2, s3, s4     uint32 // 5*r1 .. 5*r4, for the reduction mod 2^130-5
	h0, h1, h2, h3, h4 uint32
	pad                [4]uint32 // s, added at the end
}

// init clamps r and keeps s from the one-time key.
func (m *mac) init(key *[32]byte) {
	m.r0 = binary.LittleEndian.Uint32(key[0:]) & 0x3ffffff
	m.r1 = (binary.LittleEndian.Uint32(key[3:]) >> 2) & 0x3ffff03
	m.r2 = (binary.LittleEndian.Uint32(key[6:]) >> 4) & 0x3ffc0ff
	m.r3 = (binary.LittleEndian.Uint32(key[9:]) >> 6) & 0x3f03fff
	m.r4 = (binary.LittleEndian.Uint32(key[12:]) >> 8) & 0x00fffff
	m.s1, m.s2, m.s3, m.s4 = m.r1*5, m.r2*5, m.r3*5, m.r4*5
	m.h0, m.h1, m.h2, m.h3, m.h4 = 0, 0, 0, 0, 0
	for i := range m.pad {
		m.pad[i] = binary.LittleEndian.Uint32(key[16+4*i:])
	}
}

// writePadded absorbs b, zero-padded to a whole number of blocks.
func (m *mac) writePadded(b []byte) {
	full := len(b) &^ 15
	m.blocks(b[:full])
	if full < len(b) {
		var last [16]byte
		copy(last[:], b[full:])
		m.blocks(last[:])
	}
}

// blocks absorbs whole 16-byte blocks.
func (m *mac) blocks(b []byte) { m.absorb(b, 1<<24) }

// absorb absorbs whole 16-byte blocks, adding hibit (2^128, bit 24 of the top
// limb, or 0 for RFC 8439 2.5's padded last block, which the tests use) to each.
func (m *mac) absorb(b []byte, hibit uint32) {
	r0, r1, r2, r3, r4 := uint64(m.r0), uint64(m.r1), uint64(m.r2), uint64(m.r3), uint64(m.r4)
	s1, s2, s3, s4 := uint64(m.s1), uint64(m.s2), uint64(m.s3), uint64(m.s4)
	h0, h1, h2, h3, h4 := m.h0, m.h1, m.h2, m.h3, m.h4
	for ; len(b) >= 16; b = b[16:] {
		h0 += binary.LittleEndian.Uint32(b[0:]) & 0x3ffffff
		h1 += (binary.LittleEndian.Uint32(b[3:]) >> 2) & 0x3ffffff
		h2 += (binary.LittleEndian.Uint32(b[6:]) >> 4) & 0x3ffffff
		h3 += (binary.LittleEndian.Uint32(b[9:]) >> 6) & 0x3ffffff
		h4 += (binary.LittleEndian.Uint32(b[12:]) >> 8) | hibit

		// h *= r mod 2^130-5: limbs above 2^130 wrap around times 5.
		x0, x1, x2, x3, x4 := uint64(h0), uint64(h1), uint64(h2), uint64(h3), uint64(h4)
		d0 := x0*r0 + x1*s4 + x2*s3 + x3*s2 + x4*s1
		d1 := x0*r1 + x1*r0 + x2*s4 + x3*s3 + x4*s2
		d2 := x0*r2 + x1*r1 + x2*r0 + x3*s4 + x4*s3
		d3 := x0*r3 + x1*r2 + x2*r1 + x3*r0 + x4*s4
		d4 := x0*r4 + x1*r3 + x2*r2 + x3*r1 + x4*r0

		// Partial carry back into 26-bit limbs.
		d1 += d0 >> 26
		h0 = uint32(d0) & 0x3ffffff
		d2 += d1 >> 26
		h1 = uint32(d1) & 0x3ffffff
		d3 += d2 >> 26
		h2 = uint32(d2) & 0x3ffffff
		d4 += d3 >> 26
		h3 = uint32(d3) & 0x3ffffff
		c := uint32(d4 >> 26)
		h4 = uint32(d4) & 0x3ffffff
		h0 += c * 5
		h1 += h0 >> 26
		h0 &= 0x3ffffff
	}
	m.h0, m.h1, m.h2, m.h3, m.h4 = h0, h1, h2, h3, h4
}

// sum writes the tag: h fully reduced mod 2^130-5, plus s, mod 2^128.
func (m *mac) sum(out []byte) {
	h0, h1, h2, h3, h4 := m.h0, m.h1, m.h2, m.h3, m.h4
	c := h1 >> 26
	h1 &= 0x3ffffff
	h2 += c
	c = h2 >> 26
	h2 &= 0x3ffffff
	h3 += c
	c = h3 >> 26
	h3 &= 0x3ffffff
	h4 += c
	c = h4 >> 26
	h4 &= 0x3ffffff
	h0 += c * 5
	c = h0 >> 26
	h0 &= 0x3ffffff
	h1 += c

	// g = h + 5 - 2^130; if it does not borrow, h >= p and g is the result.
	g0 := h0 + 5
	c = g0 >> 26
	g0 &= 0x3ffffff
	g1 := h1 + c
	c = g1 >> 26
	g1 &= 0x3ffffff
	g2 := h2 + c
	c = g2 >> 26
	g2 &= 0x3ffffff
	g3 := h3 + c
	c = g3 >> 26
	g3 &= 0x3ffffff
	g4 := h4 + c - 1<<26
	useG := (g4 >> 31) - 1 // all ones when g4 did not borrow
	h0 = h0&^useG | g0&useG
	h1 = h1&^useG | g1&useG
	h2 = h2&^useG | g2&useG
	h3 = h3&^useG | g3&useG
	h4 = h4&^useG | g4&useG

	// To four 32-bit words (mod 2^128), then add s with carries.
	w0 := h0 | h1<<26
	w1 := h1>>6 | h2<<20
	w2 := h2>>12 | h3<<14
	w3 := h3>>18 | h4<<8
	f := uint64(w0) + uint64(m.pad[0])
	binary.LittleEndian.PutUint32(out[0:], uint32(f))
	f = uint64(w1) + uint64(m.pad[1]) + f>>32
	binary.LittleEndian.PutUint32(out[4:], uint32(f))
	f = uint64(w2) + uint64(m.pad[2]) + f>>32
	binary.LittleEndian.PutUint32(out[8:], uint32(f))
	f = uint64(w3) + uint64(m.pad[3]) + f>>32
	binary.LittleEndian.PutUint32(out[12:], uint32(f))
}
