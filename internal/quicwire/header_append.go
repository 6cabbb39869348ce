package quicwire

import "encoding/binary"

// LengthFieldLen is the size of the Length field that AppendLongHeader
// reserves. Two bytes hold up to 16383, more than any UDP datagram QUIC sends
// in practice, and keep the header size independent of the payload size.
const LengthFieldLen = 2

// MaxPatchedLength is the largest value PatchLength can write.
const MaxPatchedLength = 16383

// AppendLongHeader appends an Initial, 0-RTT or Handshake long header for the
// given version, followed by a reserved 2-byte Length field and the packet
// number pn truncated to pnLen bytes (1 to 4). The reserved bits are zero and
// the packet number length bits are set from pnLen; header protection is
// applied later. token is written only for Initial packets.
//
// It returns the extended buffer, the offset of the Length field (patch it with
// PatchLength once the payload size is known, before sealing, because the
// header is authenticated) and the offset of the packet number.
func AppendLongHeader(b []byte, t PacketType, version uint32, dcid, scid, token []byte, pn uint64, pnLen int) (out []byte, lengthOff, pnOff int) {
	checkPNLen(pnLen)
	first := 0xc0 | longTypeBits(version, t)<<4 | byte(pnLen-1)
	b = appendLongPrefix(b, first, version, dcid, scid)
	if t == PacketInitial {
		b = AppendVarint(b, uint64(len(token)))
		b = append(b, token...)
	}
	lengthOff = len(b)
	b = append(b, 0x40, 0) // 2-byte varint placeholder
	pnOff = len(b)
	b = AppendPacketNumber(b, pn, pnLen)
	return b, lengthOff, pnOff
}

// PatchLength writes length (packet number + payload + AEAD tag) into the
// 2-byte Length field at lengthOff. It panics if length > MaxPatchedLength.
func PatchLength(b []byte, lengthOff, length int) {
	if length < 0 || length > MaxPatchedLength {
		panic("quicwire: packet Length out of range")
	}
	PutVarintLen(b[lengthOff:], uint64(length), LengthFieldLen)
}

// LongHeaderLen returns the size of the header AppendLongHeader would write,
// including the Length field and the packet number.
func LongHeaderLen(t PacketType, dcid, scid, token []byte, pnLen int) int {
	n := 7 + len(dcid) + len(scid) + LengthFieldLen + pnLen
	if t == PacketInitial {
		n += VarintLen(uint64(len(token))) + len(token)
	}
	return n
}

// AppendShortHeader appends a 1-RTT short header: first byte (fixed bit, spin
// bit, key phase and packet number length; reserved bits zero), the
// Destination Connection ID, and pn truncated to pnLen bytes. It returns the
// extended buffer and the offset of the packet number.
func AppendShortHeader(b []byte, dcid []byte, pn uint64, pnLen int, spin, keyPhase bool) (out []byte, pnOff int) {
	checkPNLen(pnLen)
	first := 0x40 | byte(pnLen-1)
	if spin {
		first |= 0x20
	}
	if keyPhase {
		first |= 0x04
	}
	b = append(b, first)
	b = append(b, dcid...)
	pnOff = len(b)
	return AppendPacketNumber(b, pn, pnLen), pnOff
}

// AppendRetry appends a Retry packet without its Retry Integrity Tag: the tag
// is computed over a pseudo-packet (see AppendRetryPseudoPacket) by the packet
// protection layer and then appended by the caller. unused supplies the four
// unused low bits of the first byte (RFC 9000 section 17.2.5 sets them
// randomly).
func AppendRetry(b []byte, version uint32, dcid, scid, token []byte, unused byte) []byte {
	first := 0xc0 | longTypeBits(version, PacketRetry)<<4 | unused&0x0f
	b = appendLongPrefix(b, first, version, dcid, scid)
	return append(b, token...)
}

// AppendRetryPseudoPacket appends the Retry pseudo-packet of RFC 9001 section
// 5.8: the client's original Destination Connection ID with its length,
// followed by the Retry packet without its tag.
func AppendRetryPseudoPacket(b []byte, origDstConnID, retryWithoutTag []byte) []byte {
	b = append(b, byte(len(origDstConnID)))
	b = append(b, origDstConnID...)
	return append(b, retryWithoutTag...)
}

// AppendVersionNegotiation appends a Version Negotiation packet (RFC 9000
// section 17.2.1). dcid and scid are the client's SCID and DCID echoed back.
// unused supplies the 7 unused bits of the first byte, which servers set
// randomly (and which may grease the fixed bit).
func AppendVersionNegotiation(b []byte, dcid, scid []byte, versions []uint32, unused byte) []byte {
	b = appendLongPrefix(b, 0x80|unused, 0, dcid, scid)
	for _, v := range versions {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	return b
}

// appendLongPrefix appends the version-independent part of a long header.
func appendLongPrefix(b []byte, first byte, version uint32, dcid, scid []byte) []byte {
	if len(dcid) > 255 || len(scid) > 255 {
		panic("quicwire: connection ID too long")
	}
	b = append(b, first)
	b = binary.BigEndian.AppendUint32(b, version)
	b = append(b, byte(len(dcid)))
	b = append(b, dcid...)
	b = append(b, byte(len(scid)))
	return append(b, scid...)
}

func checkPNLen(pnLen int) {
	if pnLen < 1 || pnLen > 4 {
		panic("quicwire: packet number length must be 1 to 4")
	}
}
