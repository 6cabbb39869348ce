package quicwire

// PaddingFrame is a run of PADDING frames (RFC 9000 section 19.1): Count zero
// bytes, which parse as one frame because they carry nothing.
type PaddingFrame struct {
	// Count is the number of padding bytes.
	Count int
}

// Len returns the encoded size, Count.
func (f PaddingFrame) Len() int { return f.Count }

// Append appends Count zero bytes.
func (f PaddingFrame) Append(b []byte) []byte {
	return append(b, make([]byte, f.Count)...) // the compiler turns this into a clear, no allocation
}

// ParsePaddingFrame consumes the run of PADDING bytes at the start of b.
func ParsePaddingFrame(b []byte) (PaddingFrame, int, error) {
	n := 0
	for n < len(b) && b[n] == 0 {
		n++
	}
	if n == 0 {
		_, _, err := expectType(b, FrameTypePadding, FrameTypePadding)
		return PaddingFrame{}, 0, err
	}
	return PaddingFrame{Count: n}, n, nil
}

// PingFrame is a PING frame (RFC 9000 section 19.2).
type PingFrame struct{}

// Len returns the encoded size of the frame.
func (PingFrame) Len() int { return 1 }

// Append appends the encoded frame.
func (PingFrame) Append(b []byte) []byte { return append(b, byte(FrameTypePing)) }

// ParsePingFrame parses a PING frame at the start of b.
func ParsePingFrame(b []byte) (PingFrame, int, error) {
	_, n, err := expectType(b, FrameTypePing, FrameTypePing)
	return PingFrame{}, n, err
}

// HandshakeDoneFrame is a HANDSHAKE_DONE frame (RFC 9000 section 19.20).
type HandshakeDoneFrame struct{}

// Len returns the encoded size of the frame.
func (HandshakeDoneFrame) Len() int { return 1 }

// Append appends the encoded frame.
func (HandshakeDoneFrame) Append(b []byte) []byte { return append(b, byte(FrameTypeHandshakeDone)) }

// ParseHandshakeDoneFrame parses a HANDSHAKE_DONE frame at the start of b.
func ParseHandshakeDoneFrame(b []byte) (HandshakeDoneFrame, int, error) {
	_, n, err := expectType(b, FrameTypeHandshakeDone, FrameTypeHandshakeDone)
	return HandshakeDoneFrame{}, n, err
}

// ResetStreamFrame is a RESET_STREAM frame (RFC 9000 section 19.4).
type ResetStreamFrame struct {
	StreamID  uint64
	ErrorCode uint64 // application protocol error code
	FinalSize uint64
}

// Len returns the encoded size of the frame.
func (f ResetStreamFrame) Len() int {
	return 1 + VarintLen(f.StreamID) + VarintLen(f.ErrorCode) + VarintLen(f.FinalSize)
}

// Append appends the encoded frame.
func (f ResetStreamFrame) Append(b []byte) []byte {
	b = append(b, byte(FrameTypeResetStream))
	b = AppendVarint(b, f.StreamID)
	b = AppendVarint(b, f.ErrorCode)
	return AppendVarint(b, f.FinalSize)
}

// ParseResetStreamFrame parses a RESET_STREAM frame at the start of b.
func ParseResetStreamFrame(b []byte) (ResetStreamFrame, int, error) {
	t, n, err := expectType(b, FrameTypeResetStream, FrameTypeResetStream)
	if err != nil {
		return ResetStreamFrame{}, 0, err
	}
	c := cursor{b: b, n: n}
	f := ResetStreamFrame{StreamID: c.varint(), ErrorCode: c.varint(), FinalSize: c.varint()}
	if c.bad {
		return ResetStreamFrame{}, 0, truncated(t)
	}
	return f, c.n, nil
}

// StopSendingFrame is a STOP_SENDING frame (RFC 9000 section 19.5).
type StopSendingFrame struct {
	StreamID  uint64
	ErrorCode uint64 // application protocol error code
}

// Len returns the encoded size of the frame.
func (f StopSendingFrame) Len() int { return 1 + VarintLen(f.StreamID) + VarintLen(f.ErrorCode) }

// Append appends the encoded frame.
func (f StopSendingFrame) Append(b []byte) []byte {
	b = append(b, byte(FrameTypeStopSending))
	b = AppendVarint(b, f.StreamID)
	return AppendVarint(b, f.ErrorCode)
}

// ParseStopSendingFrame parses a STOP_SENDING frame at the start of b.
func ParseStopSendingFrame(b []byte) (StopSendingFrame, int, error) {
	t, n, err := expectType(b, FrameTypeStopSending, FrameTypeStopSending)
	if err != nil {
		return StopSendingFrame{}, 0, err
	}
	c := cursor{b: b, n: n}
	f := StopSendingFrame{StreamID: c.varint(), ErrorCode: c.varint()}
	if c.bad {
		return StopSendingFrame{}, 0, truncated(t)
	}
	return f, c.n, nil
}

// MaxDataFrame is a MAX_DATA frame (RFC 9000 section 19.9).
type MaxDataFrame struct {
	MaximumData uint64
}

// Len returns the encoded size of the frame.
func (f MaxDataFrame) Len() int { return 1 + VarintLen(f.MaximumData) }

// Append appends the encoded frame.
func (f MaxDataFrame) Append(b []byte) []byte {
	return AppendVarint(append(b, byte(FrameTypeMaxData)), f.MaximumData)
}

// ParseMaxDataFrame parses a MAX_DATA frame at the start of b.
func ParseMaxDataFrame(b []byte) (MaxDataFrame, int, error) {
	v, n, err := parseOneVarintFrame(b, FrameTypeMaxData, FrameTypeMaxData)
	return MaxDataFrame{MaximumData: v}, n, err
}

// DataBlockedFrame is a DATA_BLOCKED frame (RFC 9000 section 19.12).
type DataBlockedFrame struct {
	MaximumData uint64
}

// Len returns the encoded size of the frame.
func (f DataBlockedFrame) Len() int { return 1 + VarintLen(f.MaximumData) }

// Append appends the encoded frame.
func (f DataBlockedFrame) Append(b []byte) []byte {
	return AppendVarint(append(b, byte(FrameTypeDataBlocked)), f.MaximumData)
}

// ParseDataBlockedFrame parses a DATA_BLOCKED frame at the start of b.
func ParseDataBlockedFrame(b []byte) (DataBlockedFrame, int, error) {
	v, n, err := parseOneVarintFrame(b, FrameTypeDataBlocked, FrameTypeDataBlocked)
	return DataBlockedFrame{MaximumData: v}, n, err
}

// RetireConnectionIDFrame is a RETIRE_CONNECTION_ID frame (RFC 9000 section
// 19.16).
type RetireConnectionIDFrame struct {
	SequenceNumber uint64
}

// Len returns the encoded size of the frame.
func (f RetireConnectionIDFrame) Len() int { return 1 + VarintLen(f.SequenceNumber) }

// Append appends the encoded frame.
func (f RetireConnectionIDFrame) Append(b []byte) []byte {
	return AppendVarint(append(b, byte(FrameTypeRetireConnectionID)), f.SequenceNumber)
}

// ParseRetireConnectionIDFrame parses a RETIRE_CONNECTION_ID frame at the
// start of b.
func ParseRetireConnectionIDFrame(b []byte) (RetireConnectionIDFrame, int, error) {
	v, n, err := parseOneVarintFrame(b, FrameTypeRetireConnectionID, FrameTypeRetireConnectionID)
	return RetireConnectionIDFrame{SequenceNumber: v}, n, err
}

// MaxStreamsFrame is a MAX_STREAMS frame (RFC 9000 section 19.11).
type MaxStreamsFrame struct {
	// Bidi selects type 0x12 (bidirectional) rather than 0x13.
	Bidi           bool
	MaximumStreams uint64
}

// Len returns the encoded size of the frame.
func (f MaxStreamsFrame) Len() int { return 1 + VarintLen(f.MaximumStreams) }

// Append appends the encoded frame.
func (f MaxStreamsFrame) Append(b []byte) []byte {
	t := FrameTypeMaxStreamsUni
	if f.Bidi {
		t = FrameTypeMaxStreamsBidi
	}
	return AppendVarint(append(b, byte(t)), f.MaximumStreams)
}

// ParseMaxStreamsFrame parses a MAX_STREAMS frame of either type at the start
// of b. A limit above 2^60 is a FRAME_ENCODING_ERROR (section 19.11).
func ParseMaxStreamsFrame(b []byte) (MaxStreamsFrame, int, error) {
	v, n, err := parseOneVarintFrame(b, FrameTypeMaxStreamsBidi, FrameTypeMaxStreamsUni)
	if err != nil {
		return MaxStreamsFrame{}, 0, err
	}
	bidi := b[0] == byte(FrameTypeMaxStreamsBidi)
	if v > maxStreamsLimit {
		return MaxStreamsFrame{}, 0, frameError(FrameEncodingError, FrameType(b[0]), "stream limit above 2^60")
	}
	return MaxStreamsFrame{Bidi: bidi, MaximumStreams: v}, n, nil
}

// StreamsBlockedFrame is a STREAMS_BLOCKED frame (RFC 9000 section 19.14).
type StreamsBlockedFrame struct {
	// Bidi selects type 0x16 (bidirectional) rather than 0x17.
	Bidi           bool
	MaximumStreams uint64
}

// Len returns the encoded size of the frame.
func (f StreamsBlockedFrame) Len() int { return 1 + VarintLen(f.MaximumStreams) }

// Append appends the encoded frame.
func (f StreamsBlockedFrame) Append(b []byte) []byte {
	t := FrameTypeStreamsBlockedUni
	if f.Bidi {
		t = FrameTypeStreamsBlockedBidi
	}
	return AppendVarint(append(b, byte(t)), f.MaximumStreams)
}

// ParseStreamsBlockedFrame parses a STREAMS_BLOCKED frame of either type at
// the start of b. A limit above 2^60 is a FRAME_ENCODING_ERROR (section 19.14).
func ParseStreamsBlockedFrame(b []byte) (StreamsBlockedFrame, int, error) {
	v, n, err := parseOneVarintFrame(b, FrameTypeStreamsBlockedBidi, FrameTypeStreamsBlockedUni)
	if err != nil {
		return StreamsBlockedFrame{}, 0, err
	}
	bidi := b[0] == byte(FrameTypeStreamsBlockedBidi)
	if v > maxStreamsLimit {
		return StreamsBlockedFrame{}, 0, frameError(FrameEncodingError, FrameType(b[0]), "stream limit above 2^60")
	}
	return StreamsBlockedFrame{Bidi: bidi, MaximumStreams: v}, n, nil
}

// MaxStreamDataFrame is a MAX_STREAM_DATA frame (RFC 9000 section 19.10).
type MaxStreamDataFrame struct {
	StreamID          uint64
	MaximumStreamData uint64
}

// Len returns the encoded size of the frame.
func (f MaxStreamDataFrame) Len() int {
	return 1 + VarintLen(f.StreamID) + VarintLen(f.MaximumStreamData)
}

// Append appends the encoded frame.
func (f MaxStreamDataFrame) Append(b []byte) []byte {
	b = AppendVarint(append(b, byte(FrameTypeMaxStreamData)), f.StreamID)
	return AppendVarint(b, f.MaximumStreamData)
}

// ParseMaxStreamDataFrame parses a MAX_STREAM_DATA frame at the start of b.
func ParseMaxStreamDataFrame(b []byte) (MaxStreamDataFrame, int, error) {
	id, v, n, err := parseTwoVarintFrame(b, FrameTypeMaxStreamData)
	return MaxStreamDataFrame{StreamID: id, MaximumStreamData: v}, n, err
}

// StreamDataBlockedFrame is a STREAM_DATA_BLOCKED frame (RFC 9000 section
// 19.13).
type StreamDataBlockedFrame struct {
	StreamID          uint64
	MaximumStreamData uint64
}

// Len returns the encoded size of the frame.
func (f StreamDataBlockedFrame) Len() int {
	return 1 + VarintLen(f.StreamID) + VarintLen(f.MaximumStreamData)
}

// Append appends the encoded frame.
func (f StreamDataBlockedFrame) Append(b []byte) []byte {
	b = AppendVarint(append(b, byte(FrameTypeStreamDataBlocked)), f.StreamID)
	return AppendVarint(b, f.MaximumStreamData)
}

// ParseStreamDataBlockedFrame parses a STREAM_DATA_BLOCKED frame at the start
// of b.
func ParseStreamDataBlockedFrame(b []byte) (StreamDataBlockedFrame, int, error) {
	id, v, n, err := parseTwoVarintFrame(b, FrameTypeStreamDataBlocked)
	return StreamDataBlockedFrame{StreamID: id, MaximumStreamData: v}, n, err
}

// parseOneVarintFrame parses the frames whose body is a single varint.
func parseOneVarintFrame(b []byte, lo, hi FrameType) (uint64, int, error) {
	t, n, err := expectType(b, lo, hi)
	if err != nil {
		return 0, 0, err
	}
	v, m := readVarint(b[n:])
	if m == 0 {
		return 0, 0, truncated(t)
	}
	return v, n + m, nil
}

// parseTwoVarintFrame parses the frames whose body is two varints.
func parseTwoVarintFrame(b []byte, ft FrameType) (uint64, uint64, int, error) {
	t, n, err := expectType(b, ft, ft)
	if err != nil {
		return 0, 0, 0, err
	}
	c := cursor{b: b, n: n}
	v1, v2 := c.varint(), c.varint()
	if c.bad {
		return 0, 0, 0, truncated(t)
	}
	return v1, v2, c.n, nil
}
