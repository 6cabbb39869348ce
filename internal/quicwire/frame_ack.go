package quicwire

// AckRange is a range of acknowledged packet numbers, both ends included.
type AckRange struct {
	Smallest, Largest uint64
}

// AckFrame is an ACK or ACK_ECN frame (RFC 9000 section 19.3).
type AckFrame struct {
	// Ranges are the acknowledged ranges in descending order, separated by
	// gaps of at least one packet: Ranges[0].Largest is the Largest
	// Acknowledged field. An encodable frame has at least one range.
	Ranges []AckRange
	// AckDelay is the raw ACK Delay field, in units of 2^ack_delay_exponent
	// microseconds; the caller scales it.
	AckDelay uint64
	// HasECN selects the ACK_ECN type (0x03), which carries the three counts.
	HasECN bool
	// ECT0, ECT1 and ECNCE are the ECN counts (RFC 9000 section 19.3.2).
	ECT0, ECT1, ECNCE uint64
}

// Largest returns the largest acknowledged packet number.
func (f AckFrame) Largest() uint64 { return f.Ranges[0].Largest }

// frameType returns the type this frame encodes as.
func (f AckFrame) frameType() FrameType {
	if f.HasECN {
		return FrameTypeAckECN
	}
	return FrameTypeAck
}

// Len returns the encoded size of the frame.
func (f AckFrame) Len() int {
	first := f.Ranges[0]
	n := 1 + VarintLen(first.Largest) + VarintLen(f.AckDelay) +
		VarintLen(uint64(len(f.Ranges)-1)) + VarintLen(first.Largest-first.Smallest)
	prev := first.Smallest
	for _, r := range f.Ranges[1:] {
		n += VarintLen(prev-r.Largest-2) + VarintLen(r.Largest-r.Smallest)
		prev = r.Smallest
	}
	if f.HasECN {
		n += VarintLen(f.ECT0) + VarintLen(f.ECT1) + VarintLen(f.ECNCE)
	}
	return n
}

// Append appends the encoded frame. Ranges must be non-empty, descending and
// separated by gaps; Append does not check.
func (f AckFrame) Append(b []byte) []byte {
	first := f.Ranges[0]
	b = append(b, byte(f.frameType()))
	b = AppendVarint(b, first.Largest)
	b = AppendVarint(b, f.AckDelay)
	b = AppendVarint(b, uint64(len(f.Ranges)-1))
	b = AppendVarint(b, first.Largest-first.Smallest)
	prev := first.Smallest
	for _, r := range f.Ranges[1:] {
		// Gap counts the unacknowledged packets between the ranges minus
		// one (section 19.3.1), hence the 2.
		b = AppendVarint(b, prev-r.Largest-2)
		b = AppendVarint(b, r.Largest-r.Smallest)
		prev = r.Smallest
	}
	if f.HasECN {
		b = AppendVarint(b, f.ECT0)
		b = AppendVarint(b, f.ECT1)
		b = AppendVarint(b, f.ECNCE)
	}
	return b
}

// ParseAckFrame parses an ACK or ACK_ECN frame at the start of b. The ranges
// are appended to ranges[:0], so a caller that reuses its slice allocates
// nothing in steady state; the returned frame's Ranges aliases that slice.
// Ranges that would go below packet number 0 are a FRAME_ENCODING_ERROR.
func ParseAckFrame(b []byte, ranges []AckRange) (AckFrame, int, error) {
	t, n, err := expectType(b, FrameTypeAck, FrameTypeAckECN)
	if err != nil {
		return AckFrame{}, 0, err
	}
	c := cursor{b: b, n: n}
	largest := c.varint()
	f := AckFrame{AckDelay: c.varint(), HasECN: t == FrameTypeAckECN}
	count := c.varint()
	firstLen := c.varint()
	if c.bad {
		return AckFrame{}, 0, truncated(t)
	}
	if firstLen > largest {
		return AckFrame{}, 0, frameError(FrameEncodingError, t, "first ACK range below zero")
	}
	// Each further range takes at least two bytes; checking first keeps a
	// forged count from growing the caller's slice beyond the input's size.
	if count > uint64(len(b)-c.n)/2 {
		return AckFrame{}, 0, truncated(t)
	}
	smallest := largest - firstLen
	ranges = append(ranges[:0], AckRange{Smallest: smallest, Largest: largest})
	for i := uint64(0); i < count; i++ {
		gap, length := c.varint(), c.varint()
		if c.bad {
			return AckFrame{}, 0, truncated(t)
		}
		if gap+2 > smallest || length > smallest-gap-2 {
			return AckFrame{}, 0, frameError(FrameEncodingError, t, "ACK range below zero")
		}
		hi := smallest - gap - 2
		smallest = hi - length
		ranges = append(ranges, AckRange{Smallest: smallest, Largest: hi})
	}
	if f.HasECN {
		f.ECT0, f.ECT1, f.ECNCE = c.varint(), c.varint(), c.varint()
		if c.bad {
			return AckFrame{}, 0, truncated(t)
		}
	}
	f.Ranges = ranges
	return f, c.n, nil
}
