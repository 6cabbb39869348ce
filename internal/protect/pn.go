package protect

// MaxPacketNumber is the largest packet number (RFC 9000 section 12.3).
const MaxPacketNumber = 1<<62 - 1

// PacketNumberLen returns the number of bytes needed to encode pn so that a
// peer that has seen largestAcked (-1 if nothing was acknowledged yet) can
// recover it: twice the number of unacknowledged packets must fit in the
// encoding (RFC 9000 section 17.1 and Appendix A.2). The result is 1 to 4.
func PacketNumberLen(pn uint64, largestAcked int64) int {
	var unacked uint64
	if largestAcked < 0 {
		unacked = pn + 1
	} else {
		unacked = pn - uint64(largestAcked)
	}
	// log2(unacked)+1 bits fit in n bytes when unacked <= 2^(8n-1).
	for n := 1; n < 4; n++ {
		if unacked <= 1<<(8*n-1) {
			return n
		}
	}
	return 4
}

// AppendPacketNumber appends the pnLen least significant bytes of pn in
// network byte order.
func AppendPacketNumber(b []byte, pn uint64, pnLen int) []byte {
	for i := pnLen - 1; i >= 0; i-- {
		b = append(b, byte(pn>>(8*i)))
	}
	return b
}

// DecodePacketNumber recovers a full packet number from its truncated
// encoding of pnLen bytes, given the largest packet number received so far
// in the space (-1 if none), per RFC 9000 Appendix A.3.
func DecodePacketNumber(largest int64, truncated uint64, pnLen int) uint64 {
	expected := uint64(largest + 1)
	win := uint64(1) << (8 * pnLen)
	hwin := win / 2
	mask := win - 1
	candidate := expected&^mask | truncated&mask
	// The comparisons are arranged to avoid unsigned underflow.
	if candidate+hwin <= expected && candidate < (1<<62)-win {
		return candidate + win
	}
	if candidate > expected+hwin && candidate >= win {
		return candidate - win
	}
	return candidate
}
