package protect

import (
	"encoding/binary"
	"math/bits"
)

// chachaMask computes the first five bytes of one ChaCha20 block (RFC 8439
// section 2.3) for the header protection mask of RFC 9001 section 5.4.4:
// counter = sample[0..3] little-endian, nonce = sample[4..15].
//
// Why not golang.org/x/crypto/chacha20: its Cipher is built for streams (key
// schedule, 64-byte buffering, overlap and counter checks) and has no
// assembly on amd64 or wasm, so one 5-byte mask cost about as much as
// sealing a whole 1,350-byte packet. This computes exactly one block and
// keeps only the two words needed. TestChaChaMaskMatchesXCrypto checks it
// against x/crypto's implementation.
func chachaMask(key *[8]uint32, sample []byte) [5]byte {
	const c0, c1, c2, c3 = 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574
	_ = sample[15]
	x0, x1, x2, x3 := uint32(c0), uint32(c1), uint32(c2), uint32(c3)
	x4, x5, x6, x7 := key[0], key[1], key[2], key[3]
	x8, x9, x10, x11 := key[4], key[5], key[6], key[7]
	x12 := binary.LittleEndian.Uint32(sample[0:4])
	x13 := binary.LittleEndian.Uint32(sample[4:8])
	x14 := binary.LittleEndian.Uint32(sample[8:12])
	x15 := binary.LittleEndian.Uint32(sample[12:16])
	for i := 0; i < 10; i++ {
		// Column rounds.
		x0, x4, x8, x12 = quarterRound(x0, x4, x8, x12)
		x1, x5, x9, x13 = quarterRound(x1, x5, x9, x13)
		x2, x6, x10, x14 = quarterRound(x2, x6, x10, x14)
		x3, x7, x11, x15 = quarterRound(x3, x7, x11, x15)
		// Diagonal rounds.
		x0, x5, x10, x15 = quarterRound(x0, x5, x10, x15)
		x1, x6, x11, x12 = quarterRound(x1, x6, x11, x12)
		x2, x7, x8, x13 = quarterRound(x2, x7, x8, x13)
		x3, x4, x9, x14 = quarterRound(x3, x4, x9, x14)
	}
	// Only output words 0 and 1 are needed: add the initial state back.
	w0 := x0 + c0
	w1 := x1 + c1
	return [5]byte{byte(w0), byte(w0 >> 8), byte(w0 >> 16), byte(w0 >> 24), byte(w1)}
}

func quarterRound(a, b, c, d uint32) (uint32, uint32, uint32, uint32) {
	a += b
	d ^= a
	d = bits.RotateLeft32(d, 16)
	c += d
	b ^= c
	b = bits.RotateLeft32(b, 12)
	a += b
	d ^= a
	d = bits.RotateLeft32(d, 8)
	c += d
	b ^= c
	b = bits.RotateLeft32(b, 7)
	return a, b, c, d
}
