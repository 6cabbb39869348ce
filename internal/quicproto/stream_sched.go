package quicproto

import "github.com/h3wasi/h3wasi/internal/quicwire"

// StreamNoticeKind says what the application should learn about a stream.
type StreamNoticeKind uint8

// Notice kinds; the conn turns them into its events.
const (
	// StreamNoticeOpened: the peer opened the stream; hand it to Accept.
	StreamNoticeOpened StreamNoticeKind = 1 << iota
	// StreamNoticeReadable: data, a FIN or a reset is there to read.
	StreamNoticeReadable
	// StreamNoticeWritable: send buffer space was freed, or the peer sent
	// STOP_SENDING.
	StreamNoticeWritable
	// StreamNoticeStreamsAvailable: the peer raised a stream limit; ID is
	// the first stream of the type concerned.
	StreamNoticeStreamsAvailable
)

// StreamNotice tells the application about a stream.
type StreamNotice struct {
	ID   StreamID
	Kind StreamNoticeKind
}

// notify queues a notice unless the same one is already queued.
func (m *StreamMap) notify(s *Stream, k StreamNoticeKind) {
	if s.noticed&uint8(k) != 0 {
		return
	}
	s.noticed |= uint8(k)
	m.notices.push(StreamNotice{ID: s.id, Kind: k})
}

// NextNotice returns the oldest pending notice.
func (m *StreamMap) NextNotice() (StreamNotice, bool) {
	if m.notices.len() == 0 {
		return StreamNotice{}, false
	}
	n := m.notices.pop()
	if s := m.streams[n.ID]; s != nil {
		s.noticed &^= uint8(n.Kind)
	}
	return n, true
}

// scheduleSend queues s for sending if it has something to send, and for
// control frames if it owes one.
func (m *StreamMap) scheduleSend(s *Stream) {
	if !s.inSendQ && !s.retired && s.CanSend() && s.send.WantsSend() {
		m.sched.add(s)
	}
	if s.CanSend() && s.send.sending() && s.send.written > s.send.fc.used && m.connSend.Available() == 0 {
		m.connSend.MarkBlocked() // new data waits for MAX_DATA
	}
	m.scheduleCtrl(s)
}

// scheduleCtrl queues s if it owes a control frame.
func (m *StreamMap) scheduleCtrl(s *Stream) {
	if !s.inCtrlQ && !s.retired && m.streamCtrl(s) != (StreamControl{}) {
		s.inCtrlQ = true
		m.ctrlQ.push(s)
	}
}

// HasSendData reports whether some stream can put data in a STREAM frame
// now (connection-level flow control permitting), so that the conn never
// builds packets for streams that are blocked.
func (m *StreamMap) HasSendData() bool {
	credit := m.connSend.Available()
	for u := range m.sched.levels {
		l := &m.sched.levels[u]
		for _, s := range l.seq {
			if !s.retired && s.send.Sendable(credit) {
				return true
			}
		}
		q := &l.rr
		for i := 0; i < q.len(); i++ {
			if s := q.at(i); !s.retired && s.send.Sendable(credit) {
				return true
			}
		}
	}
	return false
}

// NextChunk returns data for one STREAM frame of at most space bytes
// including its header (type, stream ID, offset and a length field). The
// streams of the lowest urgency (SetPriority) go first; among those,
// non-incremental streams are sent one after another in stream ID order,
// each to the end of what it has, then incremental ones take turns chunk by
// chunk. A stream that cannot send (flow control) lets the next one go.
// Retransmissions need no connection credit; new data is charged to the
// peer's MAX_DATA, and exhausting it schedules a DATA_BLOCKED frame.
func (m *StreamMap) NextChunk(space int) (StreamChunk, bool) {
	for u := range m.sched.levels {
		l := &m.sched.levels[u]
		for i := 0; i < len(l.seq); i++ {
			s := l.seq[i]
			if s.retired || !s.send.WantsSend() {
				l.removeSeq(i)
				s.inSendQ = false
				i--
				continue
			}
			if c, ok, fits := m.chunkOf(s, space); ok {
				return c, true
			} else if !fits {
				return StreamChunk{}, false
			}
		}
		for range l.rr.len() {
			s := l.rr.pop()
			if s.retired || !s.send.WantsSend() {
				s.inSendQ = false
				continue
			}
			c, ok, fits := m.chunkOf(s, space)
			l.rr.push(s) // to the back: round-robin
			if ok {
				return c, true
			} else if !fits {
				return StreamChunk{}, false
			}
		}
	}
	return StreamChunk{}, false
}

// chunkOf takes the next chunk of s for a STREAM frame of at most space
// bytes. fits is false when not even the frame header fits (no stream can
// send then).
func (m *StreamMap) chunkOf(s *Stream, space int) (c StreamChunk, ok, fits bool) {
	off := s.send.NextOffset()
	hdr := 1 + quicwire.VarintLen(uint64(s.id)) + quicwire.VarintLen(uint64(max(space, 0)))
	if off > 0 {
		hdr += quicwire.VarintLen(off)
	}
	c, ok = s.send.NextChunk(space-hdr, m.connSend.Available())
	if ok {
		m.connSend.Use(c.NewBytes)
		c.ID = s.id
	}
	if s.send.written > s.send.fc.used && m.connSend.Available() == 0 {
		m.connSend.MarkBlocked()
	}
	m.scheduleCtrl(s)
	return c, ok, space-hdr >= 0
}

// OnStreamAcked is the recovery layer's report that a STREAM frame
// carrying [off, off+n) (and the FIN when fin) of stream id was
// acknowledged.
func (m *StreamMap) OnStreamAcked(id StreamID, off uint64, n int, fin bool) {
	s := m.streams[id]
	if s == nil || !s.CanSend() {
		return
	}
	if s.send.OnAck(off, n, fin) {
		m.notify(s, StreamNoticeWritable)
	}
	m.maybeRetire(s)
}

// OnStreamLost is the recovery layer's report that such a frame was lost.
func (m *StreamMap) OnStreamLost(id StreamID, off uint64, n int, fin bool) {
	s := m.streams[id]
	if s == nil || !s.CanSend() {
		return
	}
	s.send.OnLost(off, n, fin)
	m.scheduleSend(s)
}

// StreamControl is a flow-control or stream-state frame to send; the conn
// encodes it. FrameType says which: MAX_DATA, MAX_STREAM_DATA,
// MAX_STREAMS (bidi/uni), DATA_BLOCKED, STREAM_DATA_BLOCKED,
// STREAMS_BLOCKED (bidi/uni), RESET_STREAM or STOP_SENDING. The conn keeps
// the value in its sent-packet record and reports its fate.
type StreamControl struct {
	FrameType quicwire.FrameType
	ID        StreamID // for the per-stream frames
	Code      uint64   // application error code (RESET_STREAM, STOP_SENDING)
	// Value is the limit (MAX_*, *_BLOCKED) or the final size (RESET_STREAM).
	Value uint64
}

// streamCtrl returns the first control frame s owes, or the zero value.
func (m *StreamMap) streamCtrl(s *Stream) StreamControl {
	if s.CanSend() {
		if code, size, ok := s.send.ResetPending(); ok {
			return StreamControl{FrameType: quicwire.FrameTypeResetStream, ID: s.id, Code: code, Value: size}
		}
	}
	if s.CanRecv() {
		if code, ok := s.recv.StopPending(); ok {
			return StreamControl{FrameType: quicwire.FrameTypeStopSending, ID: s.id, Code: code}
		}
		if v, ok := s.recv.UpdatePending(); ok {
			return StreamControl{FrameType: quicwire.FrameTypeMaxStreamData, ID: s.id, Value: v}
		}
	}
	if s.CanSend() {
		if v, ok := s.send.BlockedPending(); ok {
			return StreamControl{FrameType: quicwire.FrameTypeStreamDataBlocked, ID: s.id, Value: v}
		}
	}
	return StreamControl{}
}

// connCtrl returns the first connection-level control frame due, or the
// zero value.
func (m *StreamMap) connCtrl() StreamControl {
	if v, ok := m.connRecv.UpdatePending(); ok {
		return StreamControl{FrameType: quicwire.FrameTypeMaxData, Value: v}
	}
	for i, t := range [2]quicwire.FrameType{quicwire.FrameTypeMaxStreamsBidi, quicwire.FrameTypeMaxStreamsUni} {
		if p := &m.peer[i]; p.pending {
			return StreamControl{FrameType: t, Value: p.nextLimit()}
		}
	}
	if v, ok := m.connSend.BlockedPending(); ok {
		return StreamControl{FrameType: quicwire.FrameTypeDataBlocked, Value: v}
	}
	for i, t := range [2]quicwire.FrameType{quicwire.FrameTypeStreamsBlockedBidi, quicwire.FrameTypeStreamsBlockedUni} {
		if l := &m.local[i]; l.blockedPending {
			return StreamControl{FrameType: t, Value: l.limit}
		}
	}
	return StreamControl{}
}

// NextControl returns the next control frame due, without consuming it:
// the conn calls OnControlSent once the frame is in a packet.
func (m *StreamMap) NextControl() (StreamControl, bool) {
	if c := m.connCtrl(); c != (StreamControl{}) {
		return c, true
	}
	for m.ctrlQ.len() > 0 {
		s := m.ctrlQ.front()
		if !s.retired {
			if c := m.streamCtrl(s); c != (StreamControl{}) {
				return c, true
			}
		}
		m.ctrlQ.pop()
		s.inCtrlQ = false
	}
	return StreamControl{}, false
}

// OnControlSent records that c went into a packet.
func (m *StreamMap) OnControlSent(c StreamControl) {
	m.controlFate(c, fateSent)
}

// OnControlAcked records that the packet carrying c was acknowledged.
func (m *StreamMap) OnControlAcked(c StreamControl) { m.controlFate(c, fateAcked) }

// OnControlLost records that the packet carrying c was lost; the frame is
// scheduled again if it is still relevant (with up-to-date values).
func (m *StreamMap) OnControlLost(c StreamControl) { m.controlFate(c, fateLost) }

// ctrlFate is what happened to a control frame.
type ctrlFate uint8

const (
	fateSent ctrlFate = iota
	fateAcked
	fateLost
)

// controlFate dispatches sent, acked and lost reports.
func (m *StreamMap) controlFate(c StreamControl, fate ctrlFate) {
	switch c.FrameType {
	case quicwire.FrameTypeMaxData:
		m.connFlowFate(c, fate)
		return
	case quicwire.FrameTypeDataBlocked:
		m.connBlockedFate(c, fate)
		return
	case quicwire.FrameTypeMaxStreamsBidi, quicwire.FrameTypeMaxStreamsUni:
		p := &m.peer[int(c.FrameType-quicwire.FrameTypeMaxStreamsBidi)]
		switch fate {
		case fateSent:
			p.onSent(c.Value)
		case fateLost:
			p.onLost(c.Value)
		}
		return
	case quicwire.FrameTypeStreamsBlockedBidi, quicwire.FrameTypeStreamsBlockedUni:
		l := &m.local[int(c.FrameType-quicwire.FrameTypeStreamsBlockedBidi)]
		switch fate {
		case fateSent:
			l.onBlockedSent(c.Value)
		case fateLost:
			l.onBlockedLost(c.Value)
		}
		return
	}
	s := m.streams[c.ID]
	if s == nil {
		return
	}
	m.streamFate(s, c, fate)
	m.scheduleCtrl(s)
	m.maybeRetire(s)
}

func (m *StreamMap) connFlowFate(c StreamControl, fate ctrlFate) {
	switch fate {
	case fateSent:
		m.connRecv.OnUpdateSent(c.Value)
	case fateLost:
		m.connRecv.OnUpdateLost(c.Value)
	}
}

func (m *StreamMap) connBlockedFate(c StreamControl, fate ctrlFate) {
	switch fate {
	case fateSent:
		m.connSend.OnBlockedSent(c.Value)
	case fateLost:
		m.connSend.OnBlockedLost(c.Value)
	}
}

// streamFate applies a per-stream control frame's fate.
func (m *StreamMap) streamFate(s *Stream, c StreamControl, fate ctrlFate) {
	send, recv := s.CanSend(), s.CanRecv()
	switch {
	case c.FrameType == quicwire.FrameTypeResetStream && send:
		switch fate {
		case fateSent:
			s.send.OnResetSent()
		case fateAcked:
			s.send.OnResetAcked()
		case fateLost:
			s.send.OnResetLost()
		}
	case c.FrameType == quicwire.FrameTypeStopSending && recv:
		switch fate {
		case fateSent:
			s.recv.OnStopSent()
		case fateLost:
			s.recv.OnStopLost()
		}
	case c.FrameType == quicwire.FrameTypeMaxStreamData && recv:
		switch fate {
		case fateSent:
			s.recv.OnUpdateSent(c.Value)
		case fateLost:
			s.recv.OnUpdateLost(c.Value)
		}
	case c.FrameType == quicwire.FrameTypeStreamDataBlocked && send:
		switch fate {
		case fateSent:
			s.send.OnBlockedSent(c.Value)
		case fateLost:
			s.send.OnBlockedLost(c.Value)
		}
	}
}
