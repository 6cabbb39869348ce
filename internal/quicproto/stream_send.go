package quicproto

import "github.com/h3wasi/h3wasi/internal/rangeset"

// SendState is the state of the sending part of a stream (RFC 9000
// section 3.1, Figure 2).
type SendState uint8

// Sending-part states.
const (
	SendReady      SendState = iota // opened, nothing sent yet
	SendSend                        // sending data
	SendDataSent                    // all data and the FIN sent, awaiting acks
	SendResetSent                   // RESET_STREAM sent (or due), awaiting its ack
	SendDataRecvd                   // all data and the FIN acknowledged (terminal)
	SendResetRecvd                  // RESET_STREAM acknowledged (terminal)
)

var sendStateNames = [...]string{"Ready", "Send", "Data Sent", "Reset Sent", "Data Recvd", "Reset Recvd"}

func (s SendState) String() string {
	if int(s) < len(sendStateNames) {
		return sendStateNames[s]
	}
	return "SendState(?)"
}

// StreamChunk is a piece of stream data to carry in a STREAM frame.
type StreamChunk struct {
	ID     StreamID
	Offset uint64
	// Data aliases the stream's send buffer: valid until the stream is
	// next acknowledged, written to or reset. It may be empty when only
	// the FIN is sent.
	Data []byte
	Fin  bool
	// NewBytes is how much of Data had never been sent before: the credit
	// to charge to connection-level flow control.
	NewBytes uint64
}

// SendStream is the sending part of a stream: a bounded buffer the
// application writes to, and the logic that chooses what to send,
// retransmits what was lost and frees what was acknowledged.
//
// The buffer is a ring holding the bytes [acked, written): byte o lives at
// ring[o%len(ring)]. It grows by doubling up to the configured limit, so a
// steady-state transfer neither allocates nor moves data, and chunks are
// sub-slices of the ring (cut where the ring wraps).
type SendStream struct {
	state SendState
	fc    FlowSend // the peer's MAX_STREAM_DATA; fc.used is the highest offset sent

	ring     []byte
	bufLimit int          // the application may buffer at most this many unacknowledged bytes
	acked    uint64       // every byte below has been acknowledged
	written  uint64       // end of the data the application wrote
	ackedSet rangeset.Set // acknowledged ranges above acked
	lost     rangeset.Set // ranges to retransmit, all >= acked

	fin      bool // the application closed the stream: final size is written
	finNeed  bool // a frame carrying the FIN must be (re)sent
	finAcked bool

	resetCode    uint64
	finalSize    uint64 // final size carried by RESET_STREAM
	resetPending bool   // RESET_STREAM is due
	stopped      bool   // the peer sent STOP_SENDING
	stopCode     uint64
	writeBlocked bool // a Write was cut short for lack of buffer space
}

// streamMinRing is the smallest ring, so that thousands of short streams
// stay cheap; a ring doubles from the size first needed.
const streamMinRing = 512

// Init prepares the sending part with an initial credit from the peer and
// the buffer limit.
func (s *SendStream) Init(peerLimit uint64, bufLimit int) {
	*s = SendStream{bufLimit: max(bufLimit, 1)}
	s.fc.SetLimit(peerLimit)
}

// State returns the current state.
func (s *SendStream) State() SendState { return s.state }

// canWrite reports whether the application may still write or close.
func (s *SendStream) canWrite() bool {
	return (s.state == SendReady || s.state == SendSend) && !s.fin
}

// WriteSpace returns how many bytes Write would accept now.
func (s *SendStream) WriteSpace() int {
	if !s.canWrite() {
		return 0
	}
	return s.bufLimit - int(s.written-s.acked)
}

// Write copies as much of p as the buffer limit allows and returns the
// count; a short count means the writer must wait for acknowledgments.
// Writes after Close, CancelWrite or STOP_SENDING accept nothing.
func (s *SendStream) Write(p []byte) int {
	n := min(len(p), s.WriteSpace())
	if n < len(p) {
		s.writeBlocked = true
	}
	if n == 0 {
		return 0
	}
	s.reserve(int(s.written-s.acked) + n)
	pos := int(s.written % uint64(len(s.ring)))
	c := copy(s.ring[pos:], p[:n])
	copy(s.ring, p[c:n])
	s.written += uint64(n)
	s.markBlocked()
	return n
}

// reserve grows the ring to hold need bytes, keeping each byte at its
// offset modulo the new size.
func (s *SendStream) reserve(need int) {
	if need <= len(s.ring) {
		return
	}
	size := max(len(s.ring), streamMinRing)
	for size < need {
		size *= 2
	}
	size = min(size, s.bufLimit)
	ring := make([]byte, size)
	for o := s.acked; o < s.written; {
		chunk := s.contiguous(o, s.written-o)
		n := copy(ring[o%uint64(size):], chunk)
		o += uint64(n)
		if n < len(chunk) {
			copy(ring, chunk[n:])
			o += uint64(len(chunk) - n)
		}
	}
	s.ring = ring
}

// contiguous returns the buffered bytes starting at offset o, at most n of
// them, stopping where the ring wraps.
func (s *SendStream) contiguous(o, n uint64) []byte {
	size := uint64(len(s.ring))
	pos := o % size
	return s.ring[pos : pos+min(n, size-pos)]
}

// Close marks the end of the stream: the FIN follows the written data.
func (s *SendStream) Close() {
	if !s.canWrite() {
		return
	}
	s.fin, s.finNeed = true, true
}

// CancelWrite abandons the stream with an application error code: sending
// and retransmission stop and a RESET_STREAM carrying the final size (the
// highest offset sent) becomes due. It does nothing once all data was
// acknowledged or a reset was already sent.
func (s *SendStream) CancelWrite(code uint64) {
	switch s.state {
	case SendReady, SendSend, SendDataSent:
	default:
		return
	}
	s.state = SendResetSent
	s.resetCode, s.finalSize, s.resetPending = code, s.fc.used, true
	s.release()
}

// release drops the buffered data once it will never be sent again.
func (s *SendStream) release() {
	s.ring = nil
	s.ackedSet.Clear()
	s.lost.Clear()
	s.finNeed = false
	s.fc.blockedPending = false
}

// OnStopSending handles the peer's STOP_SENDING: the stream is reset with
// the peer's code (RFC 9000 section 3.5).
func (s *SendStream) OnStopSending(code uint64) {
	if !s.stopped {
		s.stopped, s.stopCode = true, code
	}
	s.CancelWrite(code)
}

// Stopped returns the code of the peer's STOP_SENDING, if one arrived.
func (s *SendStream) Stopped() (code uint64, ok bool) { return s.stopCode, s.stopped }

// OnMaxStreamData applies the peer's MAX_STREAM_DATA and reports whether
// it raised the limit.
func (s *SendStream) OnMaxStreamData(limit uint64) bool { return s.fc.SetLimit(limit) }

// sending reports whether the stream may still carry STREAM frames.
func (s *SendStream) sending() bool {
	return s.state == SendReady || s.state == SendSend || s.state == SendDataSent
}

// WantsSend reports whether the stream has something for a STREAM frame,
// ignoring connection-level flow control: lost data, new data within the
// stream's credit, or a FIN that no unsent data holds back.
func (s *SendStream) WantsSend() bool { return s.Sendable(1) }

// Sendable reports whether NextChunk would return a chunk given connCredit
// bytes of connection-level credit (and room for some data).
func (s *SendStream) Sendable(connCredit uint64) bool {
	if !s.sending() {
		return false
	}
	if !s.lost.IsEmpty() {
		return true
	}
	if s.written > s.fc.used {
		return s.fc.Available() > 0 && connCredit > 0
	}
	return s.finNeed
}

// NextOffset returns the offset the next chunk would start at, so the
// caller can size the STREAM frame header before asking for the chunk.
func (s *SendStream) NextOffset() uint64 {
	if m, ok := s.lost.Min(); ok {
		return m
	}
	return s.fc.used
}

// NextChunk returns the next chunk to send, at most maxLen bytes of data,
// with new data limited to connCredit more bytes of connection credit.
// Retransmissions of lost ranges come first, then new data, then a lone
// FIN. ok is false when nothing can be sent; a stream blocked by its own
// flow control then schedules a STREAM_DATA_BLOCKED.
func (s *SendStream) NextChunk(maxLen int, connCredit uint64) (c StreamChunk, ok bool) {
	if !s.sending() || maxLen < 0 {
		return c, false
	}
	if r, ok := s.lost.Min(); ok {
		end := s.lost.At(0).End
		data := s.contiguous(r, min(end-r, uint64(maxLen)))
		if len(data) > 0 {
			s.lost.Remove(r, r+uint64(len(data)))
			return s.chunk(r, data, 0), true
		}
	}
	if s.written > s.fc.used {
		n := min(s.written-s.fc.used, uint64(maxLen), s.fc.Available(), connCredit)
		s.markBlocked()
		if n > 0 {
			off := s.fc.used
			data := s.contiguous(off, n)
			s.fc.Use(uint64(len(data)))
			s.markBlocked()
			return s.chunk(off, data, uint64(len(data))), true
		}
		return c, false
	}
	if s.finNeed && s.lost.IsEmpty() {
		return s.chunk(s.written, nil, 0), true
	}
	return c, false
}

// chunk builds a chunk, attaching the FIN when the data reaches the end
// of a closed stream, and moves the state forward.
func (s *SendStream) chunk(off uint64, data []byte, newBytes uint64) StreamChunk {
	c := StreamChunk{Offset: off, Data: data, NewBytes: newBytes}
	if s.finNeed && off+uint64(len(data)) == s.written {
		c.Fin, s.finNeed = true, false
	}
	if s.state == SendReady {
		s.state = SendSend
	}
	if s.state == SendSend && s.fin && !s.finNeed && s.fc.used == s.written {
		s.state = SendDataSent
	}
	return c
}

// markBlocked schedules a STREAM_DATA_BLOCKED when unsent data waits for
// stream credit from the peer (RFC 9000 section 4.1).
func (s *SendStream) markBlocked() {
	if s.written > s.fc.used && s.fc.Available() == 0 {
		s.fc.MarkBlocked()
	}
}

// BlockedPending returns the limit a STREAM_DATA_BLOCKED frame carries
// when one is due.
func (s *SendStream) BlockedPending() (limit uint64, ok bool) {
	if !s.sending() {
		return 0, false
	}
	return s.fc.BlockedPending()
}

// OnBlockedSent records that a STREAM_DATA_BLOCKED carrying limit was sent.
func (s *SendStream) OnBlockedSent(limit uint64) { s.fc.OnBlockedSent(limit) }

// OnBlockedLost schedules the STREAM_DATA_BLOCKED again if still blocked.
func (s *SendStream) OnBlockedLost(limit uint64) {
	if s.sending() {
		s.fc.OnBlockedLost(limit)
	}
}

// OnAck records that the chunk [off, off+n) (with the FIN when fin) was
// acknowledged. It reports whether buffer space was freed for a writer
// that was blocked.
func (s *SendStream) OnAck(off uint64, n int, fin bool) (writable bool) {
	if !s.sending() {
		return false
	}
	end := off + uint64(n)
	if fin {
		s.finAcked, s.finNeed = true, false
	}
	if end > s.acked && n > 0 {
		s.lost.Remove(off, end)
		if off <= s.acked && s.ackedSet.IsEmpty() {
			s.acked = end // in-order acknowledgment, the common case
		} else {
			s.ackedSet.Add(max(off, s.acked), end)
			if r := s.ackedSet.At(0); r.Start == s.acked {
				s.acked = r.End
				s.ackedSet.RemoveBelow(r.End)
			}
		}
		writable = s.writeBlocked && s.WriteSpace() > 0
	}
	if s.fin && s.finAcked && s.acked == s.written {
		s.state = SendDataRecvd
		s.release()
	}
	if writable {
		s.writeBlocked = false
	}
	return writable
}

// OnLost records that the chunk [off, off+n) (with the FIN when fin) was
// lost: its unacknowledged bytes are queued for retransmission.
func (s *SendStream) OnLost(off uint64, n int, fin bool) {
	if !s.sending() {
		return
	}
	if fin && !s.finAcked {
		s.finNeed = true
	}
	start, end := max(off, s.acked), off+uint64(n)
	if start >= end {
		return
	}
	s.lost.Add(start, end)
	// Parts acknowledged by another copy of the data must not be resent.
	for _, r := range s.ackedSet.Ranges() {
		if r.Start >= end {
			break
		}
		s.lost.Remove(r.Start, r.End)
	}
}

// ResetPending returns the RESET_STREAM fields when that frame is due.
func (s *SendStream) ResetPending() (code, finalSize uint64, ok bool) {
	return s.resetCode, s.finalSize, s.resetPending
}

// OnResetSent records that the RESET_STREAM was sent.
func (s *SendStream) OnResetSent() { s.resetPending = false }

// OnResetAcked records that the peer received the RESET_STREAM.
func (s *SendStream) OnResetAcked() {
	if s.state == SendResetSent {
		s.state, s.resetPending = SendResetRecvd, false
	}
}

// OnResetLost schedules the RESET_STREAM again.
func (s *SendStream) OnResetLost() {
	if s.state == SendResetSent {
		s.resetPending = true
	}
}

// Done reports whether the sending part reached a terminal state.
func (s *SendStream) Done() bool { return s.state == SendDataRecvd || s.state == SendResetRecvd }

// Acked returns how many bytes from the start of the stream have been
// acknowledged without a gap.
func (s *SendStream) Acked() uint64 { return s.acked }
