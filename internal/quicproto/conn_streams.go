package quicproto

import (
	"iter"
	"time"

	"github.com/h3wasi/h3wasi/internal/quicwire"
	"github.com/h3wasi/h3wasi/internal/recovery"
)

// The streams and flow control live in StreamMap (stream*.go, flow*.go); this file encodes
// and decodes their frames and reports the fate of what was sent.

// fkStreamCtrl records a StreamControl frame: Flags is its frame type, ID the stream,
// Offset the value and Length the error code.
const fkStreamCtrl frameKind = 0x40

// newStreamMap builds the stream map from the configuration.
func newStreamMap(cfg *Config, isServer bool) *StreamMap {
	return NewStreamMap(StreamMapConfig{
		IsServer:        isServer,
		MaxIncomingBidi: uint64(cfg.MaxIncomingStreams),
		MaxIncomingUni:  uint64(cfg.MaxIncomingUniStreams),
		StreamWindow:    cfg.InitialStreamWindow,
		MaxStreamWindow: cfg.MaxStreamWindow,
		ConnWindow:      cfg.InitialConnWindow,
		MaxConnWindow:   cfg.MaxConnWindow,
		SendBuffer:      cfg.MaxStreamWriteBuffer,
	})
}

// applyPeerStreamParams hands the peer's flow control limits to the streams.
func (c *Conn) applyPeerStreamParams(p *quicwire.TransportParameters) error {
	return c.streams.SetPeerLimits(streamPeerLimits(p))
}

// streamPeerLimits extracts the stream limits of transport parameters.
func streamPeerLimits(p *quicwire.TransportParameters) StreamPeerLimits {
	return StreamPeerLimits{
		MaxData:                 p.InitialMaxData,
		MaxStreamDataBidiLocal:  p.InitialMaxStreamDataBidiLocal,
		MaxStreamDataBidiRemote: p.InitialMaxStreamDataBidiRemote,
		MaxStreamDataUni:        p.InitialMaxStreamDataUni,
		MaxStreamsBidi:          p.InitialMaxStreamsBidi,
		MaxStreamsUni:           p.InitialMaxStreamsUni,
	}
}

// setStreamTime gives the stream map the clock and RTT used for window auto-tuning.
func (c *Conn) setStreamTime(now int64) {
	c.now = now
	c.streams.SetTime(now, time.Duration(c.lr.RTT().Smoothed()))
}

// handleStreamFrame decodes a stream or flow control frame and applies it.
func (c *Conn) handleStreamFrame(now int64, ft quicwire.FrameType, p []byte) (int, error) {
	m := c.streams
	switch {
	case ft.IsStream():
		f, n, err := quicwire.ParseStreamFrame(p)
		if err != nil {
			return 0, err
		}
		return n, m.OnStreamFrame(StreamID(f.StreamID), f.Offset, f.Data, f.Fin)
	case ft == quicwire.FrameTypeResetStream:
		f, n, err := quicwire.ParseResetStreamFrame(p)
		if err != nil {
			return 0, err
		}
		return n, m.OnResetStream(StreamID(f.StreamID), f.ErrorCode, f.FinalSize)
	case ft == quicwire.FrameTypeStopSending:
		f, n, err := quicwire.ParseStopSendingFrame(p)
		if err != nil {
			return 0, err
		}
		return n, m.OnStopSending(StreamID(f.StreamID), f.ErrorCode)
	case ft == quicwire.FrameTypeMaxData:
		f, n, err := quicwire.ParseMaxDataFrame(p)
		if err == nil {
			m.OnMaxData(f.MaximumData)
		}
		return n, err
	case ft == quicwire.FrameTypeMaxStreamData:
		f, n, err := quicwire.ParseMaxStreamDataFrame(p)
		if err != nil {
			return 0, err
		}
		return n, m.OnMaxStreamData(StreamID(f.StreamID), f.MaximumStreamData)
	case ft == quicwire.FrameTypeMaxStreamsBidi || ft == quicwire.FrameTypeMaxStreamsUni:
		f, n, err := quicwire.ParseMaxStreamsFrame(p)
		if err != nil {
			return 0, err
		}
		return n, m.OnMaxStreams(f.Bidi, f.MaximumStreams)
	case ft == quicwire.FrameTypeDataBlocked:
		f, n, err := quicwire.ParseDataBlockedFrame(p)
		if err == nil {
			m.OnDataBlocked(f.MaximumData)
		}
		return n, err
	case ft == quicwire.FrameTypeStreamDataBlocked:
		f, n, err := quicwire.ParseStreamDataBlockedFrame(p)
		if err != nil {
			return 0, err
		}
		return n, m.OnStreamDataBlocked(StreamID(f.StreamID), f.MaximumStreamData)
	case ft == quicwire.FrameTypeStreamsBlockedBidi || ft == quicwire.FrameTypeStreamsBlockedUni:
		f, n, err := quicwire.ParseStreamsBlockedFrame(p)
		if err != nil {
			return 0, err
		}
		return n, m.OnStreamsBlocked(f.Bidi, f.MaximumStreams)
	}
	return 0, &TransportError{Code: FrameEncodingError, FrameType: uint64(ft), Reason: "unexpected frame type"}
}

// appendControlFrames adds the connection's and the streams' control frames that fit.
func (c *Conn) appendControlFrames(now int64, b []byte, maxEnd int) []byte {
	sp := &c.spaces[levelApp]
	if c.handshakeDoneSend && maxEnd-len(b) >= 1 {
		b = quicwire.HandshakeDoneFrame{}.Append(b)
		sp.addFrame(recovery.Frame{Kind: fkHandshakeDone})
		c.handshakeDoneSend = false
	}
	if c.pathResponseDue && maxEnd-len(b) >= 9 {
		b = quicwire.PathResponseFrame{Data: c.pathResponse}.Append(b)
		sp.addFrame(recovery.Frame{Kind: fkPathResponse})
		c.pathResponseDue = false
	}
	if c.newTokenDue {
		f := quicwire.NewTokenFrame{Token: c.newToken}
		if f.Len() <= maxEnd-len(b) {
			b = f.Append(b)
			sp.addFrame(recovery.Frame{Kind: fkNewToken})
			c.newTokenDue = false
		}
	}
	b = c.appendPathChallenge(b, maxEnd)
	b = c.appendConnIDFrames(b, maxEnd)
	for {
		ctl, ok := c.streams.NextControl()
		if !ok {
			break
		}
		if ctl.Len() > maxEnd-len(b) {
			break
		}
		b = ctl.Append(b)
		c.streams.OnControlSent(ctl)
		sp.addFrame(recovery.Frame{Kind: fkStreamCtrl, Flags: uint8(ctl.FrameType), ID: uint64(ctl.ID),
			Offset: ctl.Value, Length: ctl.Code})
	}
	return b
}

// appendStreamFrames fills the rest of a 1-RTT packet with STREAM frames, streams taking
// turns.
func (c *Conn) appendStreamFrames(now int64, b []byte, maxEnd int) []byte {
	sp := &c.spaces[levelApp]
	for maxEnd-len(b) > 8 {
		ch, ok := c.streams.NextChunk(maxEnd - len(b))
		if !ok {
			break
		}
		f := quicwire.StreamFrame{StreamID: uint64(ch.ID), Offset: ch.Offset, Data: ch.Data, Fin: ch.Fin}
		if f.Len() > maxEnd-len(b) {
			// Cannot happen with NextChunk's sizing; give the data back rather than
			// overflow the packet.
			c.streams.OnStreamLost(ch.ID, ch.Offset, len(ch.Data), ch.Fin)
			break
		}
		b = f.Append(b)
		var flags uint8
		if ch.Fin {
			flags = flagFin
		}
		sp.addFrame(recovery.Frame{Kind: fkStream, Flags: flags, ID: uint64(ch.ID), Offset: ch.Offset,
			Length: uint64(len(ch.Data))})
	}
	return b
}

// onAppFrameAcked releases what an acknowledged 1-RTT frame carried.
func (c *Conn) onAppFrameAcked(f *recovery.Frame) {
	switch f.Kind {
	case fkStream:
		c.streams.OnStreamAcked(StreamID(f.ID), f.Offset, int(f.Length), f.Flags&flagFin != 0)
	case fkStreamCtrl:
		c.streams.OnControlAcked(ctrlOf(f))
	}
}

// onAppFrameLost queues again what a lost 1-RTT frame carried.
func (c *Conn) onAppFrameLost(f *recovery.Frame) {
	switch f.Kind {
	case fkStream:
		c.streams.OnStreamLost(StreamID(f.ID), f.Offset, int(f.Length), f.Flags&flagFin != 0)
	case fkStreamCtrl:
		c.streams.OnControlLost(ctrlOf(f))
	}
}

func ctrlOf(f *recovery.Frame) StreamControl {
	return StreamControl{FrameType: quicwire.FrameType(f.Flags), ID: StreamID(f.ID), Value: f.Offset, Code: f.Length}
}

// appWantSend reports whether 1-RTT packets have something to carry.
func (c *Conn) appWantSend(now int64) bool {
	if len(c.dgramOut.q) > 0 && c.handshakeComplete && c.cwndAllows() {
		return true
	}
	if c.handshakeDoneSend || c.newTokenDue || c.pathResponseDue || c.path.challengeDue || c.pingDue || c.local.sendPending() || len(c.peer.pendingRetire) > 0 {
		return true
	}
	if _, ok := c.streams.NextControl(); ok {
		return true
	}
	c.pacedUntil = 0
	return (c.handshakeComplete || c.zeroRTTSeal != nil) && c.streams.HasSendData() && c.cwndAllows() && c.pacerAllows(now)
}

// cwndAllows reports whether the congestion window has room for more data.
func (c *Conn) cwndAllows() bool { return c.lr.CanSend(1) }

// pacerAllows reports whether the pacer lets a full packet leave at now; when it does not,
// pacingDeadline says when it will.
func (c *Conn) pacerAllows(now int64) bool {
	t := c.lr.NextSendTime(now, c.cfg.MaxDatagramSize)
	if t > now {
		c.pacedUntil = t
		return false
	}
	c.pacedUntil = 0
	return true
}

// pacingDeadline is when paced data may leave (0: not waiting for the pacer).
func (c *Conn) pacingDeadline() int64 {
	if c.pacedUntil == 0 || !c.streams.HasSendData() {
		return 0
	}
	return c.pacedUntil
}

// OpenStream opens a new local stream (bidirectional unless uni). ok is false when the
// peer's stream limit is reached (EventStreamsAvailable follows when it rises) or the
// connection is closed.
func (c *Conn) OpenStream(uni bool) (s *Stream, ok bool) {
	if c.state >= stateClosing {
		return nil, false
	}
	return c.streams.OpenStream(!uni)
}

// Stream returns the live stream id, or nil.
func (c *Conn) Stream(id StreamID) *Stream { return c.streams.Get(id) }

// Streams iterates over the live streams, e.g. to wake every waiter when the connection
// closes. The connection must not be driven during the iteration.
func (c *Conn) Streams() iter.Seq[*Stream] { return c.streams.All() }

// nextStreamEvent converts the stream map's notices into events.
func (c *Conn) nextStreamEvent() (Event, bool) {
	n, ok := c.streams.NextNotice()
	if !ok {
		return Event{}, false
	}
	ev := Event{Stream: n.ID}
	switch n.Kind {
	case StreamNoticeOpened:
		ev.Kind = EventStreamOpened
	case StreamNoticeReadable:
		ev.Kind = EventStreamReadable
	case StreamNoticeWritable:
		ev.Kind = EventStreamWritable
	case StreamNoticeStreamsAvailable:
		ev.Kind = EventStreamsAvailable
	}
	return ev, true
}

// ControlPending reports whether a flow control or stream limit frame waits to be sent
// (after a read, that credit is due): the driver then sends at once, where it may let
// other data wait for company.
func (c *Conn) ControlPending() bool {
	_, ok := c.streams.NextControl()
	return ok
}
