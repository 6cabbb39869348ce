package quicwire

// MaxPacketNumber is the largest QUIC packet number (2^62-1).
const MaxPacketNumber = 1<<62 - 1

// AppendPacketNumber appends the low pnLen bytes (1 to 4) of pn, big-endian.
func AppendPacketNumber(b []byte, pn uint64, pnLen int) []byte {
	switch pnLen {
	case 1:
		return append(b, byte(pn))
	case 2:
		return append(b, byte(pn>>8), byte(pn))
	case 3:
		return append(b, byte(pn>>16), byte(pn>>8), byte(pn))
	case 4:
		return append(b, byte(pn>>24), byte(pn>>16), byte(pn>>8), byte(pn))
	}
	panic("quicwire: packet number length must be 1 to 4")
}

// PacketNumberLen returns how many bytes are needed to encode pn so that a
// peer that has acknowledged largestAcked decodes it unambiguously (RFC 9000
// section 17.1 and Appendix A.2). Pass hasAcked false if nothing has been
// acknowledged yet in this packet number space.
func PacketNumberLen(pn, largestAcked uint64, hasAcked bool) int {
	var unacked uint64
	if hasAcked {
		unacked = pn - largestAcked
	} else {
		unacked = pn + 1
	}
	// Twice the distance must fit: the peer decodes relative to the middle
	// of a window of 2^(8n) values.
	switch r := 2 * unacked; {
	case r < 1<<8:
		return 1
	case r < 1<<16:
		return 2
	case r < 1<<24:
		return 3
	default:
		return 4
	}
}

// ReadPacketNumber reads a truncated packet number of pnLen bytes (1 to 4)
// from the start of b (after header protection was removed).
func ReadPacketNumber(b []byte, pnLen int) (uint64, bool) {
	if pnLen < 1 || pnLen > 4 || len(b) < pnLen {
		return 0, false
	}
	var v uint64
	for _, c := range b[:pnLen] {
		v = v<<8 | uint64(c)
	}
	return v, true
}

// DecodePacketNumber reconstructs a full packet number from its truncated
// encoding of pnLen bytes, given the largest packet number received so far in
// the space (RFC 9000 Appendix A.3). Pass hasLargest false before any packet
// was received in the space.
func DecodePacketNumber(largest uint64, hasLargest bool, truncated uint64, pnLen int) uint64 {
	expected := uint64(0)
	if hasLargest {
		expected = largest + 1
	}
	win := uint64(1) << (8 * uint(pnLen))
	hwin := win / 2
	mask := win - 1
	candidate := (expected &^ mask) | truncated
	if candidate+hwin <= expected && candidate < (1<<62)-win {
		return candidate + win
	}
	if candidate > expected+hwin && candidate >= win {
		return candidate - win
	}
	return candidate
}
