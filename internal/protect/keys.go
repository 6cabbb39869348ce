package protect

import (
	"crypto/cipher"
	"encoding/binary"
)

// packetKey is an AEAD key with its IV (RFC 9001 section 5.3).
type packetKey struct {
	aead  cipher.AEAD
	iv    [12]byte
	nonce [12]byte // scratch; a field so nonce slices never escape to the heap
}

func newPacketKey(s *suiteParams, key, iv []byte) *packetKey {
	k := &packetKey{aead: s.newAEAD(key)}
	copy(k.iv[:], iv)
	return k
}

// derivePacketKey derives the AEAD key and IV from a traffic secret.
func derivePacketKey(s *suiteParams, l labels, secret []byte) *packetKey {
	return newPacketKey(s, s.expandLabel(secret, l.key, s.keyLen), s.expandLabel(secret, l.iv, 12))
}

func (k *packetKey) setNonce(pn uint64) {
	k.nonce = k.iv
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], pn)
	for i := range b {
		k.nonce[4+i] ^= b[i]
	}
}

// seal encrypts pkt[hdrLen:] in place with pkt[:hdrLen] as associated data.
// The caller guarantees cap(pkt) >= len(pkt)+TagLen.
func (k *packetKey) seal(pkt []byte, hdrLen int, pn uint64) []byte {
	k.setNonce(pn)
	ct := k.aead.Seal(pkt[hdrLen:hdrLen], k.nonce[:], pkt[hdrLen:], pkt[:hdrLen])
	return pkt[:hdrLen+len(ct)]
}

// open decrypts pkt[hdrLen:] in place and returns the plaintext sub-slice.
func (k *packetKey) open(pkt []byte, hdrLen int, pn uint64) ([]byte, error) {
	k.setNonce(pn)
	pt, err := k.aead.Open(pkt[hdrLen:hdrLen], k.nonce[:], pkt[hdrLen:], pkt[:hdrLen])
	if err != nil {
		return nil, ErrDecryptionFailed
	}
	return pt, nil
}

// Keys protects packets in one direction at one encryption level whose keys
// never change: Initial, 0-RTT and Handshake. 1-RTT packets use OneRTTKeys.
type Keys struct {
	suite        *suiteParams
	pkt          *packetKey
	hp           *headerKey
	authFailures uint64
}

// NewKeys derives packet and header protection keys from a TLS traffic
// secret for a cipher suite (crypto/tls value) and a QUIC version.
func NewKeys(suite uint16, secret []byte, version uint32) (*Keys, error) {
	s, err := lookupSuite(suite)
	if err != nil {
		return nil, err
	}
	l, err := versionLabels(version)
	if err != nil {
		return nil, err
	}
	if len(secret) != s.hashLen {
		return nil, ErrBadSecret
	}
	return &Keys{
		suite: s,
		pkt:   derivePacketKey(s, l, secret),
		hp:    newHeaderKey(s, s.expandLabel(secret, l.hp, s.keyLen)),
	}, nil
}

// Suite returns the TLS cipher suite of the keys.
func (k *Keys) Suite() uint16 { return k.suite.id }

// Seal protects a packet in place. pkt holds the complete unprotected
// header, whose packet number field of pnLen bytes starts at pnOffset and
// encodes pn, followed by the plaintext payload; a long header's Length field
// must already count the TagLen bytes that Seal appends. Seal encrypts the
// payload, appends the tag (within cap(pkt) when it has room, so that a
// buffer with TagLen spare capacity is never reallocated) and applies header
// protection. The packet must be long enough for the header protection
// sample: len(pkt)+TagLen >= pnOffset+4+SampleLen, padding it otherwise.
func (k *Keys) Seal(pkt []byte, pnOffset, pnLen int, pn uint64) ([]byte, error) {
	return seal(k.pkt, k.hp, pkt, pnOffset, pnLen, pn)
}

// Open removes the protection of a packet in place. pkt must be exactly one
// QUIC packet (for long headers, sliced to its Length field), pnOffset the
// offset of its packet number field, and largest the largest packet number
// received so far in the packet number space (-1 if none). Open returns the
// full packet number and the plaintext payload (a sub-slice of pkt); after it
// returns, pkt[0] holds the unprotected first byte (reserved bits to check)
// and pkt[:pnOffset+pnLen] the unprotected header. Errors are
// ErrPacketTooShort and ErrDecryptionFailed: the packet is to be dropped.
func (k *Keys) Open(pkt []byte, pnOffset int, largest int64) (pn uint64, payload []byte, err error) {
	pnLen, trunc, err := k.hp.unprotectHeader(pkt, pnOffset)
	if err != nil {
		return 0, nil, err
	}
	pn = DecodePacketNumber(largest, trunc, pnLen)
	payload, err = k.pkt.open(pkt, pnOffset+pnLen, pn)
	if err != nil {
		k.authFailures++
	}
	return pn, payload, err
}

// AuthFailures returns the number of packets that failed authentication
// with these keys. RFC 9001 section 6.6 counts failures across all keys of
// a connection against the integrity limit; OneRTTKeys enforces the limit on
// its own count, and a connection may add these counts to be exact.
func (k *Keys) AuthFailures() uint64 { return k.authFailures }

// seal is Keys.Seal with explicit keys, shared with OneRTTKeys.
func seal(pk *packetKey, hk *headerKey, pkt []byte, pnOffset, pnLen int, pn uint64) ([]byte, error) {
	if pnLen < 1 || pnLen > 4 || pnOffset < 1 || pnOffset > len(pkt)-pnLen ||
		len(pkt)+TagLen < pnOffset+4+SampleLen {
		return pkt, ErrBadPacketLayout
	}
	hdrLen := pnOffset + pnLen
	if cap(pkt)-len(pkt) < TagLen {
		grown := make([]byte, len(pkt), len(pkt)+TagLen)
		copy(grown, pkt)
		pkt = grown
	}
	pkt = pk.seal(pkt, hdrLen, pn)
	hk.protectHeader(pkt, pnOffset, pnLen)
	return pkt, nil
}
