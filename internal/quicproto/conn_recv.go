package quicproto

import (
	"net/netip"

	"github.com/h3wasi/h3wasi/internal/protect"
	"github.com/h3wasi/h3wasi/internal/quicwire"
	"github.com/h3wasi/h3wasi/internal/recovery"
)

// Receive processes one UDP datagram from the peer at time now (nanoseconds of the driver's
// monotonic clock). Packets are decrypted in place: datagram is modified and may be reused
// by the caller once Receive returns. Malformed or undecryptable packets are dropped as the
// RFC says; protocol violations close the connection (see NextEvent).
func (c *Conn) Receive(now int64, from netip.AddrPort, datagram []byte) {
	switch c.state {
	case stateClosed, stateDraining:
		return
	case stateClosing:
		// Answer with our CONNECTION_CLOSE again (RFC 9000 section 10.2.1); Send
		// rate-limits it to one per arriving datagram.
		c.closeSendDue = true
		return
	}
	c.setStreamTime(now)
	c.bytesRecv += uint64(len(datagram))
	c.curDatagram = len(datagram)
	if from == c.peerAddr {
		c.path.recv += uint64(len(datagram))
	}
	if c.isServer && !c.addrValidated {
		c.lr.SetAmplificationBlocked(now, false) // new credit: the PTO may be armed again
	}
	var tail [16]byte
	if len(datagram) >= 21 {
		copy(tail[:], datagram[len(datagram)-16:])
	}
	var firstDCID ConnID
	processed := false
	b := datagram
	for len(b) > 0 && c.state < stateClosing {
		n, ok, err := c.receivePacket(now, from, b, &firstDCID)
		if err != nil {
			c.closeOnError(now, err)
			return
		}
		processed = processed || ok
		if n <= 0 || n > len(b) {
			break
		}
		b = b[n:]
	}
	if !processed && len(datagram) >= 21 && c.isStatelessReset(tail[:]) {
		c.enterDraining(now, ErrStatelessReset)
		return
	}
	if processed {
		c.onPacketsProcessed(now)
	}
}

// isStatelessReset compares the last 16 bytes of an unprocessable datagram to the peer's
// reset tokens.
func (c *Conn) isStatelessReset(tail []byte) bool {
	var d [21]byte
	copy(d[5:], tail)
	return c.peer.isStatelessReset(d[:])
}

// onPacketsProcessed restarts the idle timer and retries packets buffered for keys.
func (c *Conn) onPacketsProcessed(now int64) {
	c.lastRecvTime = now
	c.elicitingSent = false
	if len(c.undecryptable) > 0 {
		c.retryUndecryptable(now)
	}
}

// receivePacket processes the first packet of b and returns its length; ok says it was
// authenticated and processed.
func (c *Conn) receivePacket(now int64, from netip.AddrPort, b []byte, firstDCID *ConnID) (n int, ok bool, err error) {
	var h quicwire.Header
	var lvl level
	if quicwire.IsLongHeader(b[0]) {
		h, err = quicwire.ParseLongHeader(b)
		if err != nil {
			return len(b), false, nil // unparsable: drop the rest of the datagram
		}
		switch h.Type {
		case quicwire.PacketVersionNegotiation:
			c.onVersionNegotiation(now, &h)
			return len(b), false, nil
		case quicwire.PacketRetry:
			c.onRetry(now, &h, b)
			return len(b), false, nil
		case quicwire.PacketInitial:
			lvl = levelInitial
		case quicwire.PacketHandshake:
			lvl = levelHandshake
		case quicwire.Packet0RTT:
			if !c.isServer {
				return h.End, false, nil
			}
			lvl = levelApp
		default:
			return h.End, false, nil // unknown versions
		}
		if h.Version != c.version {
			return h.End, false, nil
		}
	} else {
		h, err = quicwire.ParseShortHeader(b, c.cfg.ConnIDLen)
		if err != nil {
			return len(b), false, nil
		}
		lvl = levelApp
	}
	n = h.End
	c.lastRecvDCID = MakeConnID(h.DstConnID)
	// Coalesced packets must share the Destination Connection ID (RFC 9000 section 12.2).
	if firstDCID.Len() == 0 && len(h.DstConnID) > 0 {
		*firstDCID = MakeConnID(h.DstConnID)
	} else if !firstDCID.Equal(h.DstConnID) {
		c.traceDrop(now, h.Type, n, "coalesced packet with another connection ID")
		return n, false, nil
	}
	if b[0]&0x40 == 0 {
		c.traceDrop(now, h.Type, n, "fixed bit cleared")
		return n, false, nil
	}
	sp := &c.spaces[lvl]
	if sp.discarded {
		c.traceDrop(now, h.Type, n, "keys discarded")
		return n, false, nil
	}
	if !c.canOpenType(lvl, h.Type) {
		c.traceDrop(now, h.Type, n, "keys not yet available (buffered)")
		c.bufferUndecryptable(from, b[:n])
		return n, false, nil
	}
	pkt := b[:n]
	pn, payload, err := c.openPacket(now, lvl, h.Type, pkt, h.PNOffset)
	if err != nil {
		if te, isTE := err.(*TransportError); isTE {
			return n, false, te // key update violations
		}
		c.traceDrop(now, h.Type, n, "decryption failed")
		return n, false, nil // failed authentication: drop silently
	}
	if t := c.cfg.Tracer; t != nil {
		t.PacketReceived(now, h.Type, pn, n, payload)
	}
	return n, true, c.processPacket(now, from, lvl, &h, pkt[0], pn, payload)
}

// processPacket applies an authenticated packet: header checks, duplicate detection,
// frames, and the bookkeeping for ACKs and path changes.
func (c *Conn) processPacket(now int64, from netip.AddrPort, lvl level, h *quicwire.Header, first byte, pn uint64, payload []byte) error {
	long := quicwire.IsLongHeader(first)
	if (!long && first&0x18 != 0) || (long && first&0x0c != 0) {
		return &TransportError{Code: ProtocolViolation, Reason: "reserved header bits set"}
	}
	sp := &c.spaces[lvl]
	if sp.acks.IsDuplicate(pn) {
		return nil
	}
	if err := c.onAuthenticated(lvl, h); err != nil {
		return err
	}
	eliciting, err := c.handleFrames(now, lvl, h.Type, payload)
	if err != nil {
		return err
	}
	largest := int64(pn) > sp.largestRecv
	if largest {
		sp.largestRecv = int64(pn)
	}
	if lvl == levelApp && !long {
		c.maybeMigrate(now, from, largest, c.nonProbing)
	}
	sp.acks.OnPacketReceived(now, pn, eliciting, recovery.NotECT)
	c.counters.packetsRecv++
	return nil
}

// canOpenType reports whether a packet of type pt in level lvl can be decrypted now.
func (c *Conn) canOpenType(lvl level, pt quicwire.PacketType) bool {
	if pt == quicwire.Packet0RTT {
		return c.zeroRTTOpen != nil
	}
	return c.canOpen(lvl)
}

// openPacket removes packet protection; 1-RTT packets go through the key update logic.
func (c *Conn) openPacket(now int64, lvl level, pt quicwire.PacketType, pkt []byte, pnOff int) (uint64, []byte, error) {
	sp := &c.spaces[lvl]
	if pt == quicwire.Packet0RTT {
		return c.zeroRTTOpen.Open(pkt, pnOff, sp.largestRecv)
	}
	if lvl == levelApp {
		return c.keyUpd.open(now, sp, pkt, pnOff)
	}
	return sp.open.Open(pkt, pnOff, sp.largestRecv)
}

// onAuthenticated runs the per-packet state changes that need an authenticated packet.
func (c *Conn) onAuthenticated(lvl level, h *quicwire.Header) error {
	if !c.isServer && lvl != levelApp && !c.gotServerPacket {
		// The server's first Source Connection ID replaces our random initial DCID.
		c.gotServerPacket = true
		c.peer.setInitial(MakeConnID(h.SrcConnID))
	}
	if !c.isServer && lvl != levelApp {
		if cur := c.peer.current(); cur != nil && cur.seq == 0 && !cur.id.Equal(h.SrcConnID) {
			return nil // a packet with another SCID: ignored by RFC 9000 section 7.2
		}
	}
	if c.isServer && lvl == levelHandshake && !c.addrValidated {
		// A Handshake packet proves the client got our Initial (RFC 9000 section 8.1), and
		// the server stops using Initial keys (RFC 9001 section 4.9.1).
		c.addrValidated = true
		c.discardLevel(levelInitial)
	}
	return nil
}

// bufferUndecryptable keeps a copy of a packet whose keys have not arrived yet.
func (c *Conn) bufferUndecryptable(from netip.AddrPort, pkt []byte) {
	if len(c.undecryptable) >= maxUndecryptable || c.handshakeConfirmed {
		return
	}
	c.undecryptable = append(c.undecryptable, bufferedPacket{from: from, data: append([]byte(nil), pkt...)})
}

// retryUndecryptable processes buffered packets whose keys are now available.
func (c *Conn) retryUndecryptable(now int64) {
	pending := c.undecryptable
	c.undecryptable = nil
	for i, p := range pending {
		lvl, pt := levelApp, quicwire.Packet1RTT
		if quicwire.IsLongHeader(p.data[0]) {
			h, err := quicwire.ParseLongHeader(p.data)
			if err != nil {
				continue
			}
			pt = h.Type
			switch pt {
			case quicwire.PacketInitial:
				lvl = levelInitial
			case quicwire.PacketHandshake:
				lvl = levelHandshake
			}
		}
		if !c.canOpenType(lvl, pt) && !c.spaces[lvl].discarded && !(pt == quicwire.Packet0RTT && c.handshakeComplete) {
			c.undecryptable = append(c.undecryptable, pending[i])
			continue
		}
		var dcid ConnID
		if _, ok, err := c.receivePacket(now, p.from, p.data, &dcid); err != nil {
			c.closeOnError(now, err)
			return
		} else if ok {
			c.lastRecvTime = now
		}
	}
}

// onVersionNegotiation handles a Version Negotiation packet (client only, RFC 9000 6.2).
func (c *Conn) onVersionNegotiation(now int64, h *quicwire.Header) {
	if c.isServer || c.gotServerPacket || !c.initialSCID.Equal(h.DstConnID) {
		return
	}
	for i := 0; i < h.NumVersions(); i++ {
		if h.VersionAt(i) == c.version {
			return // lists our version: must be ignored
		}
	}
	c.enterClosed(ErrVersionNegotiation)
}

// onRetry handles a Retry packet (client only, RFC 9000 section 17.2.5.2).
func (c *Conn) onRetry(now int64, h *quicwire.Header, b []byte) {
	if c.isServer || c.retried || c.gotServerPacket || h.Version != c.version {
		return
	}
	if len(h.Token) == 0 || !c.initialSCID.Equal(h.DstConnID) {
		return
	}
	if !protect.VerifyRetryIntegrity(c.version, c.origDCID.Bytes(), b[:h.End]) {
		return
	}
	c.retried = true
	c.retrySCID = MakeConnID(h.SrcConnID)
	c.token = append([]byte(nil), h.Token...)
	c.peer.setInitial(c.retrySCID)
	if err := c.installInitialKeys(c.retrySCID.Bytes()); err != nil {
		c.closeOnError(now, err)
		return
	}
	// Everything sent in Initial packets so far must be sent again under the new keys:
	// recovery forgets those packets without counting them lost (a Retry is no
	// congestion signal) and hands back the 0-RTT packets, which the server dropped.
	c.lr.OnRetry(now)
	sp := &c.spaces[levelInitial]
	sp.cryptoOut.onLost(sp.cryptoOut.base, sp.cryptoOut.sendOff-sp.cryptoOut.base)
}
