package quicproto

import (
	"github.com/h3wasi/h3wasi/internal/quicwire"
	"github.com/h3wasi/h3wasi/internal/recovery"
)

// handleFrames processes the frames of one authenticated packet. It reports whether the
// packet was ack-eliciting, and sets c.nonProbing when it carried a non-probing frame.
func (c *Conn) handleFrames(now int64, lvl level, pt quicwire.PacketType, p []byte) (eliciting bool, err error) {
	c.nonProbing = false
	c.streams.SetIn0RTTPacket(pt == quicwire.Packet0RTT)
	if len(p) == 0 {
		return false, &TransportError{Code: ProtocolViolation, Reason: "packet without frames"}
	}
	for len(p) > 0 {
		ft, _, err := quicwire.ParseFrameType(p)
		if err != nil {
			return eliciting, err
		}
		if !ft.AllowedIn(pt) {
			return eliciting, &TransportError{Code: ProtocolViolation, FrameType: uint64(ft),
				Reason: "frame not allowed in " + pt.String() + " packet"}
		}
		eliciting = eliciting || ft.IsAckEliciting()
		c.nonProbing = c.nonProbing || !ft.IsProbing()
		n, err := c.handleFrame(now, lvl, ft, p)
		if err != nil {
			return eliciting, err
		}
		if n <= 0 || n > len(p) {
			// A parser consumed nothing: never loop on it.
			return eliciting, &TransportError{Code: FrameEncodingError, FrameType: uint64(ft), Reason: "malformed frame"}
		}
		p = p[n:]
		if c.state >= stateClosing {
			break // a CONNECTION_CLOSE ends processing
		}
	}
	return eliciting, nil
}

// handleFrame processes one frame starting at p and returns its length.
func (c *Conn) handleFrame(now int64, lvl level, ft quicwire.FrameType, p []byte) (int, error) {
	switch {
	case ft == quicwire.FrameTypePadding:
		n := 1
		for n < len(p) && p[n] == 0 {
			n++
		}
		return n, nil
	case ft == quicwire.FrameTypePing:
		return 1, nil
	case ft == quicwire.FrameTypeAck || ft == quicwire.FrameTypeAckECN:
		f, n, err := quicwire.ParseAckFrame(p, c.scratch[:0])
		if err != nil {
			return 0, err
		}
		c.scratch = f.Ranges[:0]
		return n, c.onAckFrame(now, lvl, &f)
	case ft == quicwire.FrameTypeCrypto:
		f, n, err := quicwire.ParseCryptoFrame(p)
		if err != nil {
			return 0, err
		}
		if err := c.spaces[lvl].cryptoIn.push(f.Offset, f.Data); err != nil {
			return 0, err
		}
		return n, c.feedCrypto(lvl)
	case ft == quicwire.FrameTypeConnectionClose || ft == quicwire.FrameTypeConnectionCloseApp:
		f, n, err := quicwire.ParseConnectionCloseFrame(p)
		if err != nil {
			return 0, err
		}
		c.onConnectionClose(now, &f)
		return n, nil
	case ft == quicwire.FrameTypeHandshakeDone:
		if c.isServer {
			return 0, protoErr(uint64(ft), "HANDSHAKE_DONE sent by a client")
		}
		c.confirmHandshake(now)
		return 1, nil
	case ft == quicwire.FrameTypeNewToken:
		f, n, err := quicwire.ParseNewTokenFrame(p)
		if err != nil {
			return 0, err
		}
		if c.isServer {
			return 0, protoErr(uint64(ft), "NEW_TOKEN sent by a client")
		}
		c.events.push(Event{Kind: EventNewToken, Token: append([]byte(nil), f.Token...)})
		return n, nil
	case ft >= quicwire.FrameTypeNewConnectionID && ft <= quicwire.FrameTypePathResponse:
		return c.handlePathFrame(ft, p)
	case ft == quicwire.FrameTypeDatagram || ft == quicwire.FrameTypeDatagramWithLength:
		return c.onDatagramFrame(ft, p)
	}
	return c.handleStreamFrame(now, ft, p)
}

// handlePathFrame processes the connection ID and path validation frames.
func (c *Conn) handlePathFrame(ft quicwire.FrameType, p []byte) (int, error) {
	switch ft {
	case quicwire.FrameTypeNewConnectionID:
		f, n, err := quicwire.ParseNewConnectionIDFrame(p)
		if err != nil {
			return 0, err
		}
		if err := c.peer.onNewConnID(f.SequenceNumber, f.RetirePriorTo, f.ConnID, f.StatelessResetToken); err != nil {
			return 0, err
		}
		c.registerResetTokens()
		return n, nil
	case quicwire.FrameTypeRetireConnectionID:
		f, n, err := quicwire.ParseRetireConnectionIDFrame(p)
		if err != nil {
			return 0, err
		}
		return n, c.onRetireConnID(f.SequenceNumber)
	case quicwire.FrameTypePathChallenge:
		f, n, err := quicwire.ParsePathChallengeFrame(p)
		if err != nil {
			return 0, err
		}
		c.pathResponse, c.pathResponseDue = f.Data, true
		return n, nil
	case quicwire.FrameTypePathResponse:
		f, n, err := quicwire.ParsePathResponseFrame(p)
		if err == nil {
			c.onPathResponse(f.Data)
		}
		return n, err
	}
	return 0, &TransportError{Code: FrameEncodingError, FrameType: uint64(ft), Reason: "unexpected frame type"}
}

// onRetireConnID handles RETIRE_CONNECTION_ID: the peer stopped using one of our IDs, so we
// remove its route and issue a replacement.
func (c *Conn) onRetireConnID(seq uint64) error {
	cur := c.lastRecvDCID
	id, ok, err := c.local.retire(seq, cur.Bytes())
	if err != nil || !ok {
		return err
	}
	if c.hook != nil {
		c.hook.removeConnID(id.Bytes(), c)
	}
	return c.issueConnIDs()
}

// issueConnIDs creates new connection IDs until the peer has as many as it wants (capped
// by our own limit), queuing NEW_CONNECTION_ID frames for them.
func (c *Conn) issueConnIDs() error {
	if !c.handshakeComplete {
		return nil
	}
	for i := c.local.wantMore(); i > 0; i-- {
		var b [MaxConnIDLen]byte
		id := b[:c.cfg.ConnIDLen]
		if err := c.randBytes(id); err != nil {
			return &TransportError{Code: InternalError, Reason: "no randomness for connection IDs"}
		}
		tok, err := c.resetTokenFor(id)
		if err != nil {
			return &TransportError{Code: InternalError, Reason: "no randomness for reset tokens"}
		}
		c.local.add(MakeConnID(id), tok, true)
		if c.hook != nil {
			c.hook.addConnID(id, c)
		}
	}
	return nil
}

// appendConnIDFrames adds the NEW_CONNECTION_ID and RETIRE_CONNECTION_ID frames due.
func (c *Conn) appendConnIDFrames(b []byte, maxEnd int) []byte {
	sp := &c.spaces[levelApp]
	for i := range c.local.cids {
		l := &c.local.cids[i]
		if !l.needSend {
			continue
		}
		f := quicwire.NewConnectionIDFrame{SequenceNumber: l.seq, ConnID: l.id.Bytes(), StatelessResetToken: l.token}
		if f.Len() > maxEnd-len(b) {
			return b
		}
		b = f.Append(b)
		l.needSend = false
		sp.addFrame(recovery.Frame{Kind: fkNewConnID, ID: l.seq})
	}
	for len(c.peer.pendingRetire) > 0 {
		seq := c.peer.pendingRetire[0]
		f := quicwire.RetireConnectionIDFrame{SequenceNumber: seq}
		if f.Len() > maxEnd-len(b) {
			return b
		}
		b = f.Append(b)
		c.peer.pendingRetire = c.peer.pendingRetire[1:]
		sp.addFrame(recovery.Frame{Kind: fkRetireConnID, ID: seq})
	}
	return b
}
