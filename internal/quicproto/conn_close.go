package quicproto

import (
	"errors"

	"github.com/h3wasi/h3wasi/internal/protect"
	"github.com/h3wasi/h3wasi/internal/quicwire"
)

// Closing and draining (RFC 9000 section 10.2): after we send CONNECTION_CLOSE we are
// closing and answer further packets with it; after the peer's CONNECTION_CLOSE (or a
// stateless reset) we are draining and send nothing. Both last three PTOs, then the
// connection is closed.

// maxReasonLen bounds the reason phrase we send, so a CONNECTION_CLOSE always fits.
const maxReasonLen = 256

// CloseWithError closes the connection with an application error code and reason
// (CONNECTION_CLOSE of type 0x1d). The peer sees an *ApplicationError with Remote set.
func (c *Conn) CloseWithError(now int64, code uint64, reason string) {
	if c.state >= stateClosing {
		return
	}
	c.startClosing(now, &ApplicationError{Code: code, Reason: reason})
}

// closeOnError closes the connection because of a local error (usually a protocol
// violation by the peer) with the matching transport error code.
func (c *Conn) closeOnError(now int64, err error) {
	if c.state >= stateClosing {
		return
	}
	var te *TransportError
	if !errors.As(err, &te) {
		te = &TransportError{Code: InternalError, Reason: err.Error()}
	}
	c.startClosing(now, te)
}

// startClosing enters the closing state and queues our CONNECTION_CLOSE.
func (c *Conn) startClosing(now int64, err error) {
	var f quicwire.ConnectionCloseFrame
	switch e := err.(type) {
	case *ApplicationError:
		f = quicwire.ConnectionCloseFrame{App: true, ErrorCode: e.Code, Reason: []byte(truncReason(e.Reason))}
	case *TransportError:
		f = quicwire.ConnectionCloseFrame{ErrorCode: uint64(e.Code), FrameType: e.FrameType, Reason: []byte(truncReason(e.Reason))}
	}
	c.closeFrame = f
	c.closeErr = err
	c.closeSendDue = true
	c.state = stateClosing
	c.closeDeadline = now + 3*c.pto()
	c.reportClosed()
}

func truncReason(s string) string {
	if len(s) > maxReasonLen {
		return s[:maxReasonLen]
	}
	return s
}

// onConnectionClose handles the peer's CONNECTION_CLOSE: we drain.
func (c *Conn) onConnectionClose(now int64, f *quicwire.ConnectionCloseFrame) {
	var err error
	if f.App {
		err = &ApplicationError{Code: f.ErrorCode, Reason: string(f.Reason), Remote: true}
	} else {
		err = &TransportError{Code: ErrorCode(f.ErrorCode), FrameType: f.FrameType,
			Reason: "peer closed: " + string(f.Reason)}
	}
	c.enterDraining(now, err)
}

// enterDraining stops all sending for three PTOs (RFC 9000 section 10.2.2).
func (c *Conn) enterDraining(now int64, err error) {
	if c.state >= stateDraining {
		return
	}
	if c.state != stateClosing {
		c.closeErr = err
	}
	c.state = stateDraining
	c.closeDeadline = now + 3*c.pto()
	c.reportClosed()
}

// enterClosed ends the connection immediately (idle timeout, version negotiation failure).
func (c *Conn) enterClosed(err error) {
	if c.state == stateClosed {
		return
	}
	if c.state < stateClosing {
		c.closeErr = err
	}
	c.state = stateClosed
	c.reportClosed()
	c.releaseConnIDs()
	if c.tls != nil {
		c.tls.Close() // releases crypto/tls's parked handshake state
	}
}

// reportClosed queues EventClosed once.
func (c *Conn) reportClosed() {
	if !c.closedEvent {
		c.closedEvent = true
		c.events.push(Event{Kind: EventClosed, Err: c.closeErr})
	}
}

// releaseConnIDs removes our connection IDs from the endpoint's routing table.
func (c *Conn) releaseConnIDs() {
	if c.hook == nil {
		return
	}
	for i := range c.local.cids {
		c.hook.removeConnID(c.local.cids[i].id.Bytes(), c)
	}
	c.local.cids = c.local.cids[:0]
	if rr, ok := c.hook.(resetRouter); ok {
		for _, t := range c.regTokens {
			rr.removeResetToken(t, c)
		}
		c.regTokens = nil
	}
	c.hook.removeConnID(c.clientDCID.Bytes(), c)
}

// sendClose writes a datagram with our CONNECTION_CLOSE, in every packet number space
// whose keys we have (the peer may not have the newer ones yet, RFC 9000 section 10.2.3).
func (c *Conn) sendClose(now int64, buf []byte) int {
	if !c.closeSendDue {
		return 0
	}
	c.closeSendDue = false
	limit := c.datagramLimit(buf)
	var pkts [numLevels]builtPacket
	np := 0
	out := buf[:0]
	for lvl := levelInitial; lvl < numLevels; lvl++ {
		if !c.canSeal(lvl) || (lvl == levelInitial && c.canSeal(levelHandshake) && c.isServer) ||
			(lvl == levelApp && !c.keyUpd.ready()) {
			continue // (never close in 0-RTT packets: the server may not read them)
		}
		sp := &c.spaces[lvl]
		p := builtPacket{lvl: lvl, start: len(out), lengthOff: -1, pn: sp.nextPN, pnLen: 4}
		if limit-len(out) < minPacketRoom+len(c.closeFrame.Reason) {
			break
		}
		dcid := c.peer.current().id
		if lvl == levelApp {
			out, p.pnOff = quicwire.AppendShortHeader(out, dcid.Bytes(), p.pn, p.pnLen, false, false)
		} else {
			pt := quicwire.PacketInitial
			if lvl == levelHandshake {
				pt = quicwire.PacketHandshake
			}
			var tok []byte
			if !c.isServer && lvl == levelInitial {
				tok = c.token
			}
			out, p.lengthOff, p.pnOff = quicwire.AppendLongHeader(out, pt, c.version, dcid.Bytes(), c.initialSCID.Bytes(), tok, p.pn, p.pnLen)
		}
		f := c.closeFrame
		if f.App && lvl != levelApp {
			// Application errors must not leak before the handshake is done: send
			// APPLICATION_ERROR instead (RFC 9000 section 10.2.3).
			f = quicwire.ConnectionCloseFrame{ErrorCode: uint64(quicwire.ApplicationError)}
		}
		out = f.Append(out)
		p.payloadEnd = len(out)
		sp.nextPN++
		out = out[:len(out)+protect.TagLen]
		pkts[np] = p
		np++
	}
	if np == 0 {
		return 0
	}
	n, err := c.sealOnly(now, buf, pkts[:np], limit)
	if err != nil {
		return 0
	}
	c.bytesSent += uint64(n)
	return n
}

// sealOnly pads and seals packets that are not tracked for loss recovery.
func (c *Conn) sealOnly(now int64, buf []byte, pkts []builtPacket, limit int) (int, error) {
	last := &pkts[len(pkts)-1]
	end := last.payloadEnd + protect.TagLen
	if !c.isServer && pkts[0].lvl == levelInitial && end < minInitialDatagram && limit >= minInitialDatagram {
		pad := minInitialDatagram - end
		clear(buf[last.payloadEnd : last.payloadEnd+pad])
		last.payloadEnd += pad
		end += pad
	}
	for i := range pkts {
		p := &pkts[i]
		if p.lengthOff >= 0 {
			quicwire.PatchLength(buf, p.lengthOff, p.payloadEnd+protect.TagLen-p.pnOff)
		}
		pkt := buf[p.start : p.payloadEnd : p.payloadEnd+protect.TagLen]
		var err error
		if p.lvl == levelApp {
			_, err = c.keyUpd.keys.Seal(pkt, p.pnOff-p.start, p.pnLen, p.pn)
		} else {
			_, err = c.spaces[p.lvl].seal.Seal(pkt, p.pnOff-p.start, p.pnLen, p.pn)
		}
		if err != nil {
			return 0, err
		}
	}
	return end, nil
}

// idleDeadline is when the idle timeout fires: the effective timeout, but at least three
// PTOs (RFC 9000 section 10.1), after the last packet received or the first ack-eliciting
// packet sent since.
func (c *Conn) idleDeadline() int64 {
	if c.idleTimeout <= 0 {
		return 0
	}
	start := c.lastRecvTime
	if c.elicitingSent && c.idleStart > start {
		start = c.idleStart
	}
	return start + max(c.idleTimeout, 3*c.pto())
}

// keepAliveDeadline is when we send a PING to keep the connection alive.
func (c *Conn) keepAliveDeadline() int64 {
	if c.cfg.KeepAlivePeriod <= 0 || !c.handshakeComplete || c.state != stateActive {
		return 0
	}
	period := int64(c.cfg.KeepAlivePeriod)
	if c.idleTimeout > 0 {
		period = min(period, c.idleTimeout/2)
	}
	return max(c.lastElicitingSent, c.lastRecvTime) + period
}
