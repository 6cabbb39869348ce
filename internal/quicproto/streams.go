package quicproto

import (
	"iter"
	"time"
)

// StreamMapConfig holds our side of the stream limits: what the transport
// parameters advertise and how far auto-tuning may go.
type StreamMapConfig struct {
	IsServer bool
	// MaxIncomingBidi and MaxIncomingUni are initial_max_streams_bidi/uni:
	// how many peer streams of each kind may be open at once. The limit
	// slides as streams close.
	MaxIncomingBidi, MaxIncomingUni uint64
	// StreamWindow is every initial_max_stream_data_* we advertise;
	// MaxStreamWindow caps its auto-tuning.
	StreamWindow, MaxStreamWindow uint64
	// ConnWindow is initial_max_data; MaxConnWindow caps its auto-tuning.
	ConnWindow, MaxConnWindow uint64
	// SendBuffer bounds the unacknowledged bytes buffered per stream.
	SendBuffer int
}

// StreamPeerLimits are the peer's transport parameters that govern what
// we may send (RFC 9000 section 18.2).
type StreamPeerLimits struct {
	MaxData uint64
	// MaxStreamDataBidiLocal applies to bidirectional streams the peer
	// opens; MaxStreamDataBidiRemote to those we open; MaxStreamDataUni to
	// our unidirectional streams.
	MaxStreamDataBidiLocal, MaxStreamDataBidiRemote, MaxStreamDataUni uint64
	MaxStreamsBidi, MaxStreamsUni                                     uint64
}

// Stream is one QUIC stream: a sending part, a receiving part, or both.
// Its methods are the application-facing operations; they keep the
// owning StreamMap's queues up to date.
type Stream struct {
	id   StreamID
	m    *StreamMap
	send SendStream // used when the stream can send
	recv RecvStream // used when the stream can receive

	inSendQ, inCtrlQ bool
	retired          bool  // dropped from the map: both parts finished
	noticed          uint8 // StreamNotice kinds queued and not yet taken
	// urgency and incremental are the send priority (SetPriority); a queued
	// stream sits in the send scheduler's queue for them.
	urgency     uint8
	incremental bool
	// in0RTT: the peer opened the stream in a 0-RTT packet.
	in0RTT bool
}

// ID returns the stream ID.
func (s *Stream) ID() StreamID { return s.id }

// OpenedIn0RTT reports whether the peer opened the stream in a 0-RTT packet, so
// that what it carries may be a replay (RFC 9001 section 9.2).
func (s *Stream) OpenedIn0RTT() bool { return s.in0RTT }

// SetIn0RTTPacket tells the map whether the frames being processed came in a
// 0-RTT packet, which marks the peer streams they open.
func (m *StreamMap) SetIn0RTTPacket(v bool) { m.in0RTTPacket = v }

// SendState returns the state of the sending part.
func (s *Stream) SendState() SendState { return s.send.state }

// RecvState returns the state of the receiving part.
func (s *Stream) RecvState() RecvState { return s.recv.state }

// CanSend reports whether the stream has a sending part.
func (s *Stream) CanSend() bool { return s.id.CanSend(s.m.cfg.IsServer) }

// CanRecv reports whether the stream has a receiving part.
func (s *Stream) CanRecv() bool { return s.id.CanRecv(s.m.cfg.IsServer) }

// Write buffers as much of p as the send buffer allows and returns the
// count; a short count means the writer waits for StreamNoticeWritable.
func (s *Stream) Write(p []byte) int {
	if !s.CanSend() {
		return 0
	}
	n := s.send.Write(p)
	s.m.scheduleSend(s)
	return n
}

// WriteSpace returns how many bytes Write would accept now.
func (s *Stream) WriteSpace() int {
	if !s.CanSend() {
		return 0
	}
	return s.send.WriteSpace()
}

// Close ends the sending part: a FIN follows the data written.
func (s *Stream) Close() {
	if s.CanSend() {
		s.send.Close()
		s.m.scheduleSend(s)
	}
}

// CancelWrite resets the sending part with an application error code.
func (s *Stream) CancelWrite(code uint64) {
	if s.CanSend() {
		s.send.CancelWrite(code)
		s.m.scheduleSend(s)
		s.m.maybeRetire(s)
	}
}

// Stopped returns the code of the peer's STOP_SENDING, if one arrived;
// writes fail from then on.
func (s *Stream) Stopped() (code uint64, ok bool) { return s.send.Stopped() }

// PeerReset returns the code of the peer's RESET_STREAM once it reset the
// receiving part (Reset Recvd or Reset Read). A RESET_STREAM that arrives
// after all the data is ignored (RFC 9000 section 3.2) and reports nothing.
func (s *Stream) PeerReset() (code uint64, ok bool) {
	if !s.CanRecv() || (s.recv.state != RecvResetRecvd && s.recv.state != RecvResetRead) {
		return 0, false
	}
	return s.recv.resetCode, true
}

// Read copies received bytes into p; see RecvStream.Read for the results.
// The clock and RTT given to StreamMap.SetTime drive window auto-tuning.
func (s *Stream) Read(p []byte) (int, error) {
	if !s.CanRecv() {
		return 0, nil
	}
	before := s.recv.fc.consumed
	n, err := s.recv.Read(p, s.m.now, s.m.srtt)
	s.m.afterRead(s, s.recv.fc.consumed-before)
	return n, err
}

// Peek returns the next readable bytes without copying them; call Discard
// to consume them.
func (s *Stream) Peek() []byte {
	if !s.CanRecv() {
		return nil
	}
	return s.recv.Peek()
}

// Discard consumes n bytes returned by Peek.
func (s *Stream) Discard(n int) {
	if s.CanRecv() {
		n = min(n, int(s.recv.Readable()))
		s.recv.Discard(n, s.m.now, s.m.srtt)
		s.m.afterRead(s, uint64(n))
	}
}

// Readable returns how many bytes can be read now.
func (s *Stream) Readable() uint64 { return s.recv.Readable() }

// CancelRead asks the peer to stop sending (STOP_SENDING with code) and
// discards data received on the stream.
func (s *Stream) CancelRead(code uint64) {
	if !s.CanRecv() {
		return
	}
	// Bytes up to the final size are charged now (see discardToFinal).
	s.m.connRecv.forceReceived(s.recv.CancelRead(code))
	s.m.afterRead(s, 0)
}

// StreamMap holds a connection's streams: ID spaces and limits, the live
// streams, connection-level flow control, the priority queues of
// streams with data to send, the queue of pending control frames, and
// notices for the application.
//
// The conn drives it without knowing stream internals:
//   - SetPeerLimits once the peer's transport parameters are known;
//     SetTime whenever the conn is driven (clock and smoothed RTT).
//   - On*Frame methods for each received stream or flow-control frame; an
//     error is a connection error (*TransportError with the RFC code).
//   - NextControl / OnControlSent to fill packets with control frames,
//     then NextChunk (while HasSendData) for STREAM frames; the conn keeps
//     what it sent in its packet records and later reports each frame with
//     OnStreamAcked / OnStreamLost / OnControlAcked / OnControlLost.
//   - NextNotice to turn stream happenings into application events.
//
// The application works on *Stream values from OpenStream and Get.
type StreamMap struct {
	cfg          StreamMapConfig
	in0RTTPacket bool // the frames being handled came in a 0-RTT packet
	streams      map[StreamID]*Stream
	local        [2]streamLocalSpace // indexed by streamSpaceIndex: bidi, uni
	peer         [2]streamPeerSpace
	peerLim      StreamPeerLimits

	connSend FlowSend // the peer's MAX_DATA
	connRecv FlowRecv // our MAX_DATA

	sched   sendSched // streams with data to send, by priority
	ctrlQ   streamFIFO[*Stream]
	notices streamFIFO[StreamNotice]

	now  int64
	srtt time.Duration
}

// streamSpaceIndex is 0 for bidirectional stream types, 1 for
// unidirectional ones.
func streamSpaceIndex(id StreamID) int { return int(id>>1) & 1 }

// NewStreamMap returns an empty stream map for one connection.
func NewStreamMap(cfg StreamMapConfig) *StreamMap {
	m := &StreamMap{cfg: cfg, streams: make(map[StreamID]*Stream)}
	m.peer[0].init(min(cfg.MaxIncomingBidi, streamMaxCount))
	m.peer[1].init(min(cfg.MaxIncomingUni, streamMaxCount))
	m.connRecv.Init(cfg.ConnWindow, cfg.MaxConnWindow)
	return m
}

// SetTime gives the map the current time (ns) and smoothed RTT, used for
// window auto-tuning when the application reads. The conn calls it
// whenever it is driven.
func (m *StreamMap) SetTime(now int64, srtt time.Duration) { m.now, m.srtt = now, srtt }

// SetPeerLimits applies the peer's transport parameters. Stream limits
// above 2^60 are a TRANSPORT_PARAMETER_ERROR (RFC 9000 section 4.6).
// Streams opened before (0-RTT) get the new stream limits too.
func (m *StreamMap) SetPeerLimits(p StreamPeerLimits) error {
	if p.MaxStreamsBidi > streamMaxCount || p.MaxStreamsUni > streamMaxCount {
		return streamErr(TransportParameterError, 0, "initial_max_streams above 2^60")
	}
	m.peerLim = p
	m.connSend.SetLimit(p.MaxData)
	m.local[0].setLimit(p.MaxStreamsBidi)
	m.local[1].setLimit(p.MaxStreamsUni)
	for _, s := range m.streams {
		if s.CanSend() {
			s.send.OnMaxStreamData(m.peerStreamLimit(s.id))
			m.scheduleSend(s)
		}
	}
	return nil
}

// peerStreamLimit returns the peer's initial limit for sending on id.
func (m *StreamMap) peerStreamLimit(id StreamID) uint64 {
	switch {
	case id.IsUni():
		return m.peerLim.MaxStreamDataUni
	case id.IsLocal(m.cfg.IsServer):
		return m.peerLim.MaxStreamDataBidiRemote
	default:
		return m.peerLim.MaxStreamDataBidiLocal
	}
}

// newStream creates and registers stream id.
func (m *StreamMap) newStream(id StreamID) *Stream {
	s := &Stream{id: id, m: m, urgency: DefaultUrgency}
	if id.CanSend(m.cfg.IsServer) {
		s.send.Init(m.peerStreamLimit(id), m.cfg.SendBuffer)
	}
	if id.CanRecv(m.cfg.IsServer) {
		s.recv.Init(m.cfg.StreamWindow, m.cfg.MaxStreamWindow)
	}
	m.streams[id] = s
	return s
}

// OpenStream opens a new local stream. ok is false when the peer's
// MAX_STREAMS limit is reached; a STREAMS_BLOCKED frame is then scheduled
// and StreamNoticeStreamsAvailable follows when the peer raises the limit.
func (m *StreamMap) OpenStream(bidi bool) (s *Stream, ok bool) {
	t := streamTypeFor(bidi, m.cfg.IsServer)
	num, ok := m.local[streamSpaceIndex(StreamID(t))].open()
	if !ok {
		return nil, false
	}
	return m.newStream(MakeStreamID(t, num)), true
}

// Get returns the live stream id, or nil.
func (m *StreamMap) Get(id StreamID) *Stream { return m.streams[id] }

// Len returns the number of live streams.
func (m *StreamMap) Len() int { return len(m.streams) }

// All iterates over the live streams in no particular order, e.g. for the
// driver to wake every waiter when the connection closes (or when 0-RTT
// is rejected and, per RFC 9001 section 4.6.2, the conn starts over with
// a new StreamMap). The map must not change during the iteration.
func (m *StreamMap) All() iter.Seq[*Stream] {
	return func(yield func(*Stream) bool) {
		for _, s := range m.streams {
			if !yield(s) {
				return
			}
		}
	}
}

// lookup finds the stream a frame refers to, opening peer streams up to
// it (RFC 9000 section 3.2: opening a stream opens all lower-numbered
// streams of its type). A nil stream with a nil error means the stream
// existed and was closed: the frame is ignored.
func (m *StreamMap) lookup(id StreamID, frameType uint64) (*Stream, error) {
	if id.IsLocal(m.cfg.IsServer) {
		if id.Num() >= m.local[streamSpaceIndex(id)].opened {
			return nil, streamErr(StreamStateError, frameType, "frame for a local stream not yet opened")
		}
		return m.streams[id], nil
	}
	from, to, err := m.peer[streamSpaceIndex(id)].accept(id.Num(), frameType)
	if err != nil {
		return nil, err
	}
	for n := from; n < to; n++ {
		s := m.newStream(MakeStreamID(id.Type(), n))
		s.in0RTT = m.in0RTTPacket
		m.notify(s, StreamNoticeOpened)
	}
	return m.streams[id], nil
}

// recvPart finds the stream for a frame about its receiving part
// (STREAM, RESET_STREAM, STREAM_DATA_BLOCKED); such frames on our own
// unidirectional streams are a STREAM_STATE_ERROR.
func (m *StreamMap) recvPart(id StreamID, frameType uint64) (*Stream, error) {
	if !id.CanRecv(m.cfg.IsServer) {
		return nil, streamErr(StreamStateError, frameType, "frame for a send-only stream")
	}
	return m.lookup(id, frameType)
}

// sendPart finds the stream for a frame about its sending part
// (MAX_STREAM_DATA, STOP_SENDING); such frames on the peer's
// unidirectional streams are a STREAM_STATE_ERROR.
func (m *StreamMap) sendPart(id StreamID, frameType uint64) (*Stream, error) {
	if !id.CanSend(m.cfg.IsServer) {
		return nil, streamErr(StreamStateError, frameType, "frame for a receive-only stream")
	}
	return m.lookup(id, frameType)
}

// OnStreamFrame handles a STREAM frame.
func (m *StreamMap) OnStreamFrame(id StreamID, off uint64, data []byte, fin bool) error {
	s, err := m.recvPart(id, streamFrameStream)
	if s == nil {
		return err
	}
	credit, readable, err := s.recv.OnStreamFrame(off, data, fin)
	if err != nil {
		return err
	}
	return m.afterRecv(s, credit, readable, streamFrameStream)
}

// OnResetStream handles a RESET_STREAM frame.
func (m *StreamMap) OnResetStream(id StreamID, code, finalSize uint64) error {
	s, err := m.recvPart(id, streamFrameResetStream)
	if s == nil {
		return err
	}
	credit, readable, err := s.recv.OnResetStream(code, finalSize)
	if err != nil {
		return err
	}
	return m.afterRecv(s, credit, readable, streamFrameResetStream)
}

// afterRecv charges connection flow control for a receiving part's new
// credit, returns discarded bytes to it, and tells the application.
func (m *StreamMap) afterRecv(s *Stream, credit uint64, readable bool, frameType uint64) error {
	if err := m.connRecv.AddReceived(credit, frameType); err != nil {
		return err
	}
	m.afterRead(s, 0)
	if readable {
		m.notify(s, StreamNoticeReadable)
	}
	return nil
}

// afterRead updates connection flow control after consumed bytes were
// read from s (plus any it discarded), and schedules window updates.
func (m *StreamMap) afterRead(s *Stream, consumed uint64) {
	if n := consumed + s.recv.TakeFreed(); n > 0 {
		m.connRecv.Consume(n, m.now, m.srtt)
		// Keep the connection window ahead of the fastest stream's.
		m.connRecv.EnsureWindow(s.recv.fc.window + s.recv.fc.window/2)
	}
	m.scheduleCtrl(s)
	m.maybeRetire(s)
}

// OnStreamDataBlocked handles a STREAM_DATA_BLOCKED frame: it is only
// validated (it may open a stream); our window updates do not wait for it.
func (m *StreamMap) OnStreamDataBlocked(id StreamID, limit uint64) error {
	_, err := m.recvPart(id, streamFrameStreamDataBlocked)
	return err
}

// OnMaxStreamData handles a MAX_STREAM_DATA frame.
func (m *StreamMap) OnMaxStreamData(id StreamID, limit uint64) error {
	s, err := m.sendPart(id, streamFrameMaxStreamData)
	if s == nil {
		return err
	}
	if s.send.OnMaxStreamData(limit) {
		m.scheduleSend(s)
	}
	return nil
}

// OnStopSending handles a STOP_SENDING frame: the stream is reset with
// the peer's code and the writer is woken to learn about it.
func (m *StreamMap) OnStopSending(id StreamID, code uint64) error {
	s, err := m.sendPart(id, streamFrameStopSending)
	if s == nil {
		return err
	}
	s.send.OnStopSending(code)
	m.notify(s, StreamNoticeWritable)
	m.scheduleCtrl(s)
	m.maybeRetire(s)
	return nil
}

// OnMaxData handles a MAX_DATA frame.
func (m *StreamMap) OnMaxData(limit uint64) { m.connSend.SetLimit(limit) }

// OnDataBlocked handles a DATA_BLOCKED frame; our MAX_DATA updates do not
// wait for it, so it needs no action.
func (m *StreamMap) OnDataBlocked(limit uint64) {}

// OnMaxStreams handles a MAX_STREAMS frame. A limit above 2^60 is a
// FRAME_ENCODING_ERROR (RFC 9000 section 19.11).
func (m *StreamMap) OnMaxStreams(bidi bool, limit uint64) error {
	ft := streamFrameMaxStreamsBidi
	if !bidi {
		ft = streamFrameMaxStreamsUni
	}
	if limit > streamMaxCount {
		return streamErr(FrameEncodingError, ft, "stream limit above 2^60")
	}
	t := streamTypeFor(bidi, m.cfg.IsServer)
	if m.local[streamSpaceIndex(StreamID(t))].setLimit(limit) {
		m.notices.push(StreamNotice{ID: MakeStreamID(t, 0), Kind: StreamNoticeStreamsAvailable})
	}
	return nil
}

// OnStreamsBlocked handles a STREAMS_BLOCKED frame: a limit above 2^60 is
// a FRAME_ENCODING_ERROR (RFC 9000 section 19.14); otherwise any credit
// not yet advertised is sent now.
func (m *StreamMap) OnStreamsBlocked(bidi bool, limit uint64) error {
	ft, i := streamFrameStreamsBlockedBidi, 0
	if !bidi {
		ft, i = streamFrameStreamsBlockedUni, 1
	}
	if limit > streamMaxCount {
		return streamErr(FrameEncodingError, ft, "stream limit above 2^60")
	}
	if p := &m.peer[i]; p.nextLimit() > p.limit {
		p.pending = true
	}
	return nil
}

// maybeRetire drops a stream whose parts both finished and which owes
// the peer no frame; a peer stream's closing gives the peer credit for a
// new one.
func (m *StreamMap) maybeRetire(s *Stream) {
	if s.retired {
		return
	}
	if s.CanSend() && (!s.send.Done() || s.send.resetPending) {
		return
	}
	if s.CanRecv() && (!s.recv.Done() || s.recv.stopPending) {
		return
	}
	s.retired = true
	delete(m.streams, s.id)
	if !s.id.IsLocal(m.cfg.IsServer) {
		m.peer[streamSpaceIndex(s.id)].onClosed()
	}
}
