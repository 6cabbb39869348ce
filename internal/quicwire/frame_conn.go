package quicwire

// NewConnectionIDFrame is a NEW_CONNECTION_ID frame (RFC 9000 section 19.15).
type NewConnectionIDFrame struct {
	SequenceNumber uint64
	RetirePriorTo  uint64
	// ConnID aliases the parsed packet; 1 to 20 bytes.
	ConnID              []byte
	StatelessResetToken [16]byte
}

// Len returns the encoded size of the frame.
func (f NewConnectionIDFrame) Len() int {
	return 1 + VarintLen(f.SequenceNumber) + VarintLen(f.RetirePriorTo) + 1 + len(f.ConnID) + statelessResetTokenLen
}

// Append appends the encoded frame.
func (f NewConnectionIDFrame) Append(b []byte) []byte {
	b = append(b, byte(FrameTypeNewConnectionID))
	b = AppendVarint(b, f.SequenceNumber)
	b = AppendVarint(b, f.RetirePriorTo)
	b = append(b, byte(len(f.ConnID)))
	b = append(b, f.ConnID...)
	return append(b, f.StatelessResetToken[:]...)
}

// ParseNewConnectionIDFrame parses a NEW_CONNECTION_ID frame at the start of
// b. A connection ID of length 0 or above 20, and Retire Prior To above the
// Sequence Number, are FRAME_ENCODING_ERRORs (section 19.15).
func ParseNewConnectionIDFrame(b []byte) (NewConnectionIDFrame, int, error) {
	t, n, err := expectType(b, FrameTypeNewConnectionID, FrameTypeNewConnectionID)
	if err != nil {
		return NewConnectionIDFrame{}, 0, err
	}
	c := cursor{b: b, n: n}
	f := NewConnectionIDFrame{SequenceNumber: c.varint(), RetirePriorTo: c.varint()}
	l := c.byte1()
	if !c.bad && (l == 0 || l > MaxConnIDLen) {
		return NewConnectionIDFrame{}, 0, frameError(FrameEncodingError, t, "connection ID length not in 1..20")
	}
	f.ConnID = c.bytes(uint64(l))
	tok := c.bytes(statelessResetTokenLen)
	if c.bad {
		return NewConnectionIDFrame{}, 0, truncated(t)
	}
	if f.RetirePriorTo > f.SequenceNumber {
		return NewConnectionIDFrame{}, 0, frameError(FrameEncodingError, t, "Retire Prior To above Sequence Number")
	}
	copy(f.StatelessResetToken[:], tok)
	return f, c.n, nil
}

// PathChallengeFrame is a PATH_CHALLENGE frame (RFC 9000 section 19.17).
type PathChallengeFrame struct {
	Data [8]byte
}

// Len returns the encoded size of the frame.
func (PathChallengeFrame) Len() int { return 1 + pathDataLen }

// Append appends the encoded frame.
func (f PathChallengeFrame) Append(b []byte) []byte {
	return append(append(b, byte(FrameTypePathChallenge)), f.Data[:]...)
}

// ParsePathChallengeFrame parses a PATH_CHALLENGE frame at the start of b.
func ParsePathChallengeFrame(b []byte) (PathChallengeFrame, int, error) {
	d, n, err := parsePathData(b, FrameTypePathChallenge)
	return PathChallengeFrame{Data: d}, n, err
}

// PathResponseFrame is a PATH_RESPONSE frame (RFC 9000 section 19.18).
type PathResponseFrame struct {
	Data [8]byte
}

// Len returns the encoded size of the frame.
func (PathResponseFrame) Len() int { return 1 + pathDataLen }

// Append appends the encoded frame.
func (f PathResponseFrame) Append(b []byte) []byte {
	return append(append(b, byte(FrameTypePathResponse)), f.Data[:]...)
}

// ParsePathResponseFrame parses a PATH_RESPONSE frame at the start of b.
func ParsePathResponseFrame(b []byte) (PathResponseFrame, int, error) {
	d, n, err := parsePathData(b, FrameTypePathResponse)
	return PathResponseFrame{Data: d}, n, err
}

// parsePathData parses the 8-byte body of PATH_CHALLENGE and PATH_RESPONSE.
func parsePathData(b []byte, ft FrameType) ([8]byte, int, error) {
	var d [8]byte
	t, n, err := expectType(b, ft, ft)
	if err != nil {
		return d, 0, err
	}
	if len(b)-n < pathDataLen {
		return d, 0, truncated(t)
	}
	copy(d[:], b[n:])
	return d, n + pathDataLen, nil
}

// ConnectionCloseFrame is a CONNECTION_CLOSE frame (RFC 9000 section 19.19):
// type 0x1c for transport errors, 0x1d for application errors.
type ConnectionCloseFrame struct {
	// App selects type 0x1d: ErrorCode is an application code and there is
	// no Frame Type field.
	App       bool
	ErrorCode uint64
	// FrameType is the type of the frame that caused the error (0x1c only).
	FrameType uint64
	// Reason aliases the parsed packet; UTF-8 is not checked.
	Reason []byte
}

// Len returns the encoded size of the frame.
func (f ConnectionCloseFrame) Len() int {
	n := 1 + VarintLen(f.ErrorCode) + VarintLen(uint64(len(f.Reason))) + len(f.Reason)
	if !f.App {
		n += VarintLen(f.FrameType)
	}
	return n
}

// Append appends the encoded frame.
func (f ConnectionCloseFrame) Append(b []byte) []byte {
	if f.App {
		b = append(b, byte(FrameTypeConnectionCloseApp))
		b = AppendVarint(b, f.ErrorCode)
	} else {
		b = append(b, byte(FrameTypeConnectionClose))
		b = AppendVarint(b, f.ErrorCode)
		b = AppendVarint(b, f.FrameType)
	}
	b = AppendVarint(b, uint64(len(f.Reason)))
	return append(b, f.Reason...)
}

// ParseConnectionCloseFrame parses a CONNECTION_CLOSE frame of either type at
// the start of b.
func ParseConnectionCloseFrame(b []byte) (ConnectionCloseFrame, int, error) {
	t, n, err := expectType(b, FrameTypeConnectionClose, FrameTypeConnectionCloseApp)
	if err != nil {
		return ConnectionCloseFrame{}, 0, err
	}
	c := cursor{b: b, n: n}
	f := ConnectionCloseFrame{App: t == FrameTypeConnectionCloseApp, ErrorCode: c.varint()}
	if !f.App {
		f.FrameType = c.varint()
	}
	f.Reason = c.bytes(c.varint())
	if c.bad {
		return ConnectionCloseFrame{}, 0, truncated(t)
	}
	return f, c.n, nil
}
