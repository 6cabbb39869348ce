package quicwire

// StreamFrame is a STREAM frame (RFC 9000 section 19.8), any of the types
// 0x08-0x0f.
type StreamFrame struct {
	StreamID uint64
	// Offset is the stream offset of Data; the OFF bit is set iff it is not 0.
	Offset uint64
	// Data aliases the parsed packet.
	Data []byte
	Fin  bool
	// OmitLength clears the LEN bit: the frame then extends to the end of the
	// packet, which saves the Length field in the last frame of a packet.
	OmitLength bool
}

// frameType returns the STREAM type with the OFF, LEN and FIN bits.
func (f StreamFrame) frameType() FrameType {
	t := FrameTypeStream
	if f.Offset != 0 {
		t |= streamFlagOff
	}
	if !f.OmitLength {
		t |= streamFlagLen
	}
	if f.Fin {
		t |= streamFlagFin
	}
	return t
}

// headerLen is the size of everything but the data and the Length field.
func (f StreamFrame) headerLen() int {
	n := 1 + VarintLen(f.StreamID)
	if f.Offset != 0 {
		n += VarintLen(f.Offset)
	}
	return n
}

// Len returns the encoded size of the frame.
func (f StreamFrame) Len() int {
	n := f.headerLen() + len(f.Data)
	if !f.OmitLength {
		n += VarintLen(uint64(len(f.Data)))
	}
	return n
}

// Append appends the encoded frame.
func (f StreamFrame) Append(b []byte) []byte {
	b = append(b, byte(f.frameType()))
	b = AppendVarint(b, f.StreamID)
	if f.Offset != 0 {
		b = AppendVarint(b, f.Offset)
	}
	if !f.OmitLength {
		b = AppendVarint(b, uint64(len(f.Data)))
	}
	return append(b, f.Data...)
}

// MaxDataLen returns how many data bytes fit in a frame of at most space
// bytes with f's StreamID, Offset and OmitLength, or -1 if not even an empty
// frame fits. It does not look at f.Data.
func (f StreamFrame) MaxDataLen(space int) int {
	return maxDataLen(space-f.headerLen(), !f.OmitLength)
}

// ParseStreamFrame parses a STREAM frame at the start of b. A frame whose
// end offset exceeds 2^62-1 is a FRAME_ENCODING_ERROR (section 19.8).
func ParseStreamFrame(b []byte) (StreamFrame, int, error) {
	t, n, err := expectType(b, FrameTypeStream, FrameTypeStreamMax)
	if err != nil {
		return StreamFrame{}, 0, err
	}
	c := cursor{b: b, n: n}
	f := StreamFrame{StreamID: c.varint(), Fin: t&streamFlagFin != 0, OmitLength: t&streamFlagLen == 0}
	if t&streamFlagOff != 0 {
		f.Offset = c.varint()
	}
	if f.OmitLength {
		f.Data = c.bytes(uint64(len(b) - c.n))
	} else {
		f.Data = c.bytes(c.varint())
	}
	if c.bad {
		return StreamFrame{}, 0, truncated(t)
	}
	if f.Offset+uint64(len(f.Data)) > MaxVarint {
		return StreamFrame{}, 0, frameError(FrameEncodingError, t, "stream data beyond 2^62-1")
	}
	return f, c.n, nil
}

// CryptoFrame is a CRYPTO frame (RFC 9000 section 19.6).
type CryptoFrame struct {
	Offset uint64
	// Data aliases the parsed packet.
	Data []byte
}

// Len returns the encoded size of the frame.
func (f CryptoFrame) Len() int {
	return 1 + VarintLen(f.Offset) + VarintLen(uint64(len(f.Data))) + len(f.Data)
}

// Append appends the encoded frame.
func (f CryptoFrame) Append(b []byte) []byte {
	b = append(b, byte(FrameTypeCrypto))
	b = AppendVarint(b, f.Offset)
	b = AppendVarint(b, uint64(len(f.Data)))
	return append(b, f.Data...)
}

// MaxDataLen returns how many data bytes fit in a frame of at most space
// bytes at f.Offset, or -1 if not even an empty frame fits.
func (f CryptoFrame) MaxDataLen(space int) int {
	return maxDataLen(space-1-VarintLen(f.Offset), true)
}

// ParseCryptoFrame parses a CRYPTO frame at the start of b. Data beyond
// offset 2^62-1 is a FRAME_ENCODING_ERROR (section 19.6).
func ParseCryptoFrame(b []byte) (CryptoFrame, int, error) {
	t, n, err := expectType(b, FrameTypeCrypto, FrameTypeCrypto)
	if err != nil {
		return CryptoFrame{}, 0, err
	}
	c := cursor{b: b, n: n}
	f := CryptoFrame{Offset: c.varint()}
	f.Data = c.bytes(c.varint())
	if c.bad {
		return CryptoFrame{}, 0, truncated(t)
	}
	if f.Offset+uint64(len(f.Data)) > MaxVarint {
		return CryptoFrame{}, 0, frameError(FrameEncodingError, t, "crypto data beyond 2^62-1")
	}
	return f, c.n, nil
}

// DatagramFrame is a DATAGRAM frame (RFC 9221 section 4): type 0x31 with a
// Length field, or 0x30 extending to the end of the packet.
type DatagramFrame struct {
	// Data aliases the parsed packet.
	Data []byte
	// OmitLength selects type 0x30, without a Length field.
	OmitLength bool
}

// Len returns the encoded size of the frame.
func (f DatagramFrame) Len() int {
	if f.OmitLength {
		return 1 + len(f.Data)
	}
	return 1 + VarintLen(uint64(len(f.Data))) + len(f.Data)
}

// Append appends the encoded frame.
func (f DatagramFrame) Append(b []byte) []byte {
	if f.OmitLength {
		b = append(b, byte(FrameTypeDatagram))
	} else {
		b = append(b, byte(FrameTypeDatagramWithLength))
		b = AppendVarint(b, uint64(len(f.Data)))
	}
	return append(b, f.Data...)
}

// MaxDataLen returns how many data bytes fit in a frame of at most space
// bytes, or -1 if not even an empty frame fits.
func (f DatagramFrame) MaxDataLen(space int) int {
	return maxDataLen(space-1, !f.OmitLength)
}

// ParseDatagramFrame parses a DATAGRAM frame at the start of b.
func ParseDatagramFrame(b []byte) (DatagramFrame, int, error) {
	t, n, err := expectType(b, FrameTypeDatagram, FrameTypeDatagramWithLength)
	if err != nil {
		return DatagramFrame{}, 0, err
	}
	c := cursor{b: b, n: n}
	var f DatagramFrame
	if t == FrameTypeDatagram {
		f.OmitLength = true
		f.Data = c.bytes(uint64(len(b) - c.n))
	} else {
		f.Data = c.bytes(c.varint())
	}
	if c.bad {
		return DatagramFrame{}, 0, truncated(t)
	}
	return f, c.n, nil
}

// NewTokenFrame is a NEW_TOKEN frame (RFC 9000 section 19.7).
type NewTokenFrame struct {
	// Token aliases the parsed packet; it must not be empty.
	Token []byte
}

// Len returns the encoded size of the frame.
func (f NewTokenFrame) Len() int {
	return 1 + VarintLen(uint64(len(f.Token))) + len(f.Token)
}

// Append appends the encoded frame.
func (f NewTokenFrame) Append(b []byte) []byte {
	b = append(b, byte(FrameTypeNewToken))
	b = AppendVarint(b, uint64(len(f.Token)))
	return append(b, f.Token...)
}

// ParseNewTokenFrame parses a NEW_TOKEN frame at the start of b. An empty
// token is a FRAME_ENCODING_ERROR.
func ParseNewTokenFrame(b []byte) (NewTokenFrame, int, error) {
	t, n, err := expectType(b, FrameTypeNewToken, FrameTypeNewToken)
	if err != nil {
		return NewTokenFrame{}, 0, err
	}
	c := cursor{b: b, n: n}
	f := NewTokenFrame{Token: c.bytes(c.varint())}
	if c.bad {
		return NewTokenFrame{}, 0, truncated(t)
	}
	if len(f.Token) == 0 {
		return NewTokenFrame{}, 0, frameError(FrameEncodingError, t, "empty token")
	}
	return f, c.n, nil
}

// maxDataLen returns the largest data length d such that d, preceded by a
// minimal Length field when withLen is set, fits in avail bytes; -1 if none.
func maxDataLen(avail int, withLen bool) int {
	if avail < 0 {
		return -1
	}
	if !withLen {
		return avail
	}
	best := -1
	// Try each Length field size; the minimal encoding of the resulting
	// length is never larger, so every candidate really fits.
	for _, l := range [...]int{1, 2, 4, 8} {
		d := avail - l
		if limit := maxForVarintLen(l); uint64(d) > limit && d >= 0 {
			d = int(limit)
		}
		if d > best {
			best = d
		}
	}
	return best
}

// maxForVarintLen is the largest value a varint of l bytes holds.
func maxForVarintLen(l int) uint64 {
	return 1<<(8*uint(l)-2) - 1
}
