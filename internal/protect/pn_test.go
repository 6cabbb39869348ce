package protect

import (
	"bytes"
	"testing"
)

// TestPacketNumberLen covers RFC 9000 Appendix A.2 and the boundaries of
// each encoding length.
func TestPacketNumberLen(t *testing.T) {
	tests := []struct {
		pn           uint64
		largestAcked int64
		want         int
	}{
		{0xac5c02, 0xabe8b3, 2}, // A.2 example: 16 bits
		{0xace8fe, 0xabe8b3, 3}, // A.2 example: 24 bits
		{0, -1, 1},
		{127, -1, 1},
		{128, -1, 2},
		{128, 0, 1},
		{129, 0, 2},
		{1<<15 + 10, 10, 2},
		{1<<15 + 11, 10, 3},
		{1<<23 + 5, 5, 3},
		{1<<23 + 6, 5, 4},
		{1 << 40, 0, 4},
	}
	for _, tt := range tests {
		if got := PacketNumberLen(tt.pn, tt.largestAcked); got != tt.want {
			t.Errorf("PacketNumberLen(%#x, %#x) = %d, want %d", tt.pn, tt.largestAcked, got, tt.want)
		}
	}
}

// TestDecodePacketNumber covers RFC 9000 Appendix A.3 and the window edges.
func TestDecodePacketNumber(t *testing.T) {
	tests := []struct {
		largest   int64
		truncated uint64
		pnLen     int
		want      uint64
	}{
		{0xa82f30ea, 0x9b32, 2, 0xa82f9b32}, // A.3 example
		{-1, 0, 1, 0},
		{-1, 0xff, 1, 0xff},
		{0xff, 0x00, 1, 0x100},                          // wrap forward
		{0x100, 0xff, 1, 0xff},                          // just behind
		{0x17f, 0x00, 1, 0x200},                         // candidate 0x100 <= expected-hwin: next window
		{0x180, 0x01, 1, 0x201},                         // expected 0x181
		{0x101, 0xfe, 1, 0xfe},                          // candidate 0x1fe > expected+hwin: previous window
		{MaxPacketNumber - 1, 0xff, 1, MaxPacketNumber}, // no overflow past 2^62
		{0x12345678, 0x12345679, 4, 0x12345679},
	}
	for _, tt := range tests {
		if got := DecodePacketNumber(tt.largest, tt.truncated, tt.pnLen); got != tt.want {
			t.Errorf("DecodePacketNumber(%#x, %#x, %d) = %#x, want %#x", tt.largest, tt.truncated, tt.pnLen, got, tt.want)
		}
	}
}

// TestPacketNumberRoundTrip checks that any packet number encoded with the
// length PacketNumberLen chooses decodes back for a receiver whose largest
// received number lies between the sender's largest acknowledged and pn.
func TestPacketNumberRoundTrip(t *testing.T) {
	var seed uint64 = 1
	next := func() uint64 { // xorshift, deterministic
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		return seed
	}
	for i := 0; i < 20000; i++ {
		acked := int64(next()>>(2+next()%60)) - 1
		gap := next() >> (33 + next()%31) // up to 2^31
		pn := uint64(acked+1) + gap
		if pn > MaxPacketNumber {
			continue
		}
		n := PacketNumberLen(pn, acked)
		enc := AppendPacketNumber(nil, pn, n)
		var trunc uint64
		for _, b := range enc {
			trunc = trunc<<8 | uint64(b)
		}
		largest := acked
		if gap > 0 {
			largest += int64(next() % gap)
		}
		if got := DecodePacketNumber(largest, trunc, n); got != pn {
			t.Fatalf("pn %#x acked %#x len %d largest %#x: decoded %#x", pn, acked, n, largest, got)
		}
	}
}

func TestAppendPacketNumber(t *testing.T) {
	got := AppendPacketNumber([]byte{0xff}, 0xa82f9b32, 2)
	if !bytes.Equal(got, []byte{0xff, 0x9b, 0x32}) {
		t.Errorf("got %x", got)
	}
}
