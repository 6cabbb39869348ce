package protect

import (
	"crypto/aes"
	"encoding/binary"
)

// headerKey computes header protection masks (RFC 9001 section 5.4). The
// cipher object is built once; mask computation allocates nothing.
type headerKey struct {
	block     blockEncrypter // AES-ECB for the AES-GCM suites, the host's mask function, or nil for ChaCha20
	chachaKey [8]uint32      // little-endian key words
	buf       [16]byte       // AES output; a field so the slice passed to the interface does not escape
}

// blockEncrypter is the part of cipher.Block that header protection uses;
// the host's mask functions (aead_host.go) have it too, the ChaCha20 one
// writing its keystream block, whose first five bytes are the mask.
type blockEncrypter interface {
	Encrypt(dst, src []byte)
}

func newHeaderKey(s *suiteParams, key []byte) *headerKey {
	h := &headerKey{}
	if b := newHostBlock(s.id, key); b != nil {
		h.block = b // the host's mask; for ChaCha20 the first bytes of its block
		return h
	}
	if s.chacha {
		for i := range h.chachaKey {
			h.chachaKey[i] = binary.LittleEndian.Uint32(key[4*i:])
		}
		return h
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		panic("quic protect: aes: " + err.Error())
	}
	h.block = b
	return h
}

// mask returns the first five bytes of the header protection mask for a
// 16-byte sample.
func (h *headerKey) mask(sample []byte) [5]byte {
	var m [5]byte
	if h.block != nil {
		h.block.Encrypt(h.buf[:], sample[:SampleLen])
		copy(m[:], h.buf[:5])
		return m
	}
	// RFC 9001 5.4.4: mask = ChaCha20(hp_key, counter, nonce, {0,0,0,0,0}).
	return chachaMask(&h.chachaKey, sample)
}

// apply XORs the mask into the first byte and the packet number field. The
// packet number length is read from the first byte before masking when
// protecting (the first byte is still plain) and after unmasking when
// removing protection, so apply takes it as an argument.
func applyMask(pkt []byte, pnOffset, pnLen int, m *[5]byte) {
	if pkt[0]&0x80 != 0 {
		pkt[0] ^= m[0] & 0x0f // long header: 4 bits protected
	} else {
		pkt[0] ^= m[0] & 0x1f // short header: 5 bits protected
	}
	for i := 0; i < pnLen; i++ {
		pkt[pnOffset+i] ^= m[1+i]
	}
}

// protectHeader applies header protection to a sealed packet.
func (h *headerKey) protectHeader(pkt []byte, pnOffset, pnLen int) {
	m := h.mask(pkt[pnOffset+4 : pnOffset+4+SampleLen])
	applyMask(pkt, pnOffset, pnLen, &m)
}

// unprotectHeader removes header protection in place and returns the packet
// number length and the truncated packet number.
func (h *headerKey) unprotectHeader(pkt []byte, pnOffset int) (pnLen int, truncated uint64, err error) {
	if pnOffset < 1 || pnOffset > len(pkt)-4-SampleLen { // written to avoid overflow
		return 0, 0, ErrPacketTooShort
	}
	m := h.mask(pkt[pnOffset+4 : pnOffset+4+SampleLen])
	if pkt[0]&0x80 != 0 {
		pkt[0] ^= m[0] & 0x0f
	} else {
		pkt[0] ^= m[0] & 0x1f
	}
	pnLen = int(pkt[0]&0x03) + 1
	for i := 0; i < pnLen; i++ {
		pkt[pnOffset+i] ^= m[1+i]
		truncated = truncated<<8 | uint64(pkt[pnOffset+i])
	}
	return pnLen, truncated, nil
}
