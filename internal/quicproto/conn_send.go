package quicproto

import (
	"net/netip"

	"github.com/h3wasi/h3wasi/internal/protect"
	"github.com/h3wasi/h3wasi/internal/quicwire"
	"github.com/h3wasi/h3wasi/internal/recovery"
)

// builtPacket locates one packet assembled in a datagram buffer before it is sealed.
type builtPacket struct {
	lvl        level
	start      int
	lengthOff  int // -1 for short headers
	pnOff      int
	pnLen      int
	pn         uint64
	payloadEnd int // the AEAD tag goes in [payloadEnd, payloadEnd+TagLen)
	eliciting  bool
	zeroRTT    bool // a 0-RTT packet (1-RTT packet number space, 0-RTT keys)
}

// Send assembles the next datagram into buf and returns its length and destination. ok is
// false when there is nothing to send now; the driver then waits until Deadline (or new
// input). buf should hold at least Config.MaxDatagramSize bytes. A datagram may coalesce an
// Initial, a Handshake and a 1-RTT packet; datagrams with Initial packets are padded to
// 1200 bytes.
func (c *Conn) Send(now int64, buf []byte) (n int, to netip.AddrPort, ok bool) {
	switch c.state {
	case stateClosed, stateDraining:
		return 0, to, false
	case stateClosing:
		n = c.sendClose(now, buf)
		return n, c.peerAddr, n > 0
	}
	c.setStreamTime(now)
	limit := c.datagramLimit(buf)
	if limit < minPacketRoom || (limit < minInitialDatagram && c.needsInitialPadding()) {
		if c.isServer && !c.addrValidated {
			// Blocked by the anti-amplification limit: no PTO until the client sends
			// more (RFC 9002 section 6.2.2.1).
			c.lr.SetAmplificationBlocked(now, true)
		}
		return 0, to, false
	}
	var pkts [numLevels]builtPacket
	np := 0
	out := buf[:0]
	for lvl := levelInitial; lvl < numLevels; lvl++ {
		if !c.canSeal(lvl) || !c.wantSend(now, lvl) {
			continue
		}
		var p builtPacket
		var built bool
		out, p, built = c.buildPacket(now, lvl, out, limit)
		if built {
			pkts[np] = p
			np++
		}
	}
	if np == 0 {
		return 0, to, false
	}
	n, err := c.finishDatagram(now, buf, pkts[:np], limit)
	if err != nil {
		c.closeOnError(now, err)
		return 0, to, false
	}
	return n, c.peerAddr, true
}

// datagramLimit is the largest datagram we may send now: the configured size, the peer's
// max_udp_payload_size, and the anti-amplification limit of a server that has not
// validated the client's address (3x what it received, RFC 9000 section 8.1).
func (c *Conn) datagramLimit(buf []byte) int {
	limit := min(len(buf), c.cfg.MaxDatagramSize, c.peerMaxUDP)
	if c.path.validating {
		limit = int(min(uint64(limit), 3*c.path.recv-min(c.path.sent, 3*c.path.recv)))
	}
	if !c.isServer || c.addrValidated {
		return limit
	}
	budget := 3*c.bytesRecv - min(c.bytesSent, 3*c.bytesRecv)
	return int(min(uint64(limit), budget))
}

// needsInitialPadding reports whether the next datagram would carry an ack-eliciting
// Initial packet (which forces padding to 1200 bytes).
func (c *Conn) needsInitialPadding() bool {
	sp := &c.spaces[levelInitial]
	return c.canSeal(levelInitial) && (sp.cryptoOut.pending() || c.lr.ProbesPending(recovery.Initial) > 0)
}

// minPacketRoom is the least space worth starting a packet in.
const minPacketRoom = 64

// buildPacket appends one unsealed packet of level lvl to out, leaving room for its AEAD tag
// after the payload. It returns out unchanged and false when no frame was worth sending.
func (c *Conn) buildPacket(now int64, lvl level, out []byte, limit int) ([]byte, builtPacket, bool) {
	sp := &c.spaces[lvl]
	p := builtPacket{lvl: lvl, start: len(out), lengthOff: -1, pn: sp.nextPN}
	if limit-len(out) < minPacketRoom {
		return out, p, false
	}
	p.pnLen = protect.PacketNumberLen(p.pn, sp.largestAcked)
	dcid := c.peer.current().id
	c.building0RTT = lvl == levelApp && !c.keyUpd.ready()
	p.zeroRTT = c.building0RTT
	switch {
	case p.zeroRTT:
		out, p.lengthOff, p.pnOff = quicwire.AppendLongHeader(out, quicwire.Packet0RTT, c.version, dcid.Bytes(),
			c.initialSCID.Bytes(), nil, p.pn, p.pnLen)
	case lvl == levelInitial || lvl == levelHandshake:
		pt, tok := quicwire.PacketHandshake, []byte(nil)
		if lvl == levelInitial {
			pt = quicwire.PacketInitial
			if !c.isServer {
				tok = c.token
			}
		}
		out, p.lengthOff, p.pnOff = quicwire.AppendLongHeader(out, pt, c.version, dcid.Bytes(),
			c.initialSCID.Bytes(), tok, p.pn, p.pnLen)
	default:
		out, p.pnOff = quicwire.AppendShortHeader(out, dcid.Bytes(), p.pn, p.pnLen, false, false)
	}
	payloadStart := len(out)
	maxEnd := limit - protect.TagLen
	sp.frames, sp.eliciting = sp.frames[:0], false
	out = c.appendFrames(now, lvl, out, maxEnd)
	if len(out) == payloadStart {
		return out[:p.start], p, false
	}
	// Header protection samples 16 bytes starting 4 bytes after the packet number.
	for len(out)-p.pnOff < 4 {
		out = append(out, 0)
	}
	p.eliciting = sp.eliciting
	p.payloadEnd = len(out)
	sp.nextPN++
	out = out[:len(out)+protect.TagLen] // room for the tag, written when sealing
	return out, p, true
}

// appendFrames writes the frames of one packet in priority order.
func (c *Conn) appendFrames(now int64, lvl level, b []byte, maxEnd int) []byte {
	sp := &c.spaces[lvl]
	if c.building0RTT {
		return c.append0RTTFrames(now, b, maxEnd)
	}
	if sp.acks.AckDue(now) || sp.acks.HasNewPackets() {
		b = c.appendAck(now, lvl, b, maxEnd)
	}
	if lvl == levelApp {
		b = c.appendControlFrames(now, b, maxEnd)
	}
	b = c.appendCrypto(lvl, b, maxEnd)
	if lvl == levelApp && c.cwndAllows() && c.handshakeComplete {
		b = c.appendDatagrams(b, maxEnd)
	}
	if lvl == levelApp && c.cwndAllows() {
		b = c.appendStreamFrames(now, b, maxEnd)
	}
	probe := c.lr.ProbesPending(toSpace(lvl)) > 0 || (lvl == levelApp && c.pingDue)
	if probe && !sp.eliciting && maxEnd-len(b) >= 1 {
		b = quicwire.PingFrame{}.Append(b)
		sp.addFrame(recovery.Frame{Kind: fkPing})
	}
	if lvl == levelApp && sp.eliciting {
		c.pingDue = false
	}
	return b
}

// ackExponent is the ack_delay_exponent for ACK frames of a level: only 1-RTT ACKs use the
// negotiated one; Initial and Handshake ACKs use the default (RFC 9000 section 19.3).
func (c *Conn) ackExponent(lvl level) uint {
	if lvl == levelApp {
		return ackDelayExponent
	}
	return quicwire.DefaultAckDelayExponent
}

// appendCrypto adds CRYPTO frames while data and room remain.
func (c *Conn) appendCrypto(lvl level, b []byte, maxEnd int) []byte {
	cs := &c.spaces[lvl].cryptoOut
	for cs.pending() {
		f := quicwire.CryptoFrame{Offset: cs.sendOffHint()}
		room := f.MaxDataLen(maxEnd - len(b))
		if room <= 0 {
			break
		}
		off, data, ok := cs.next(room)
		if !ok {
			break
		}
		f = quicwire.CryptoFrame{Offset: off, Data: data}
		b = f.Append(b)
		c.spaces[lvl].addFrame(recovery.Frame{Kind: fkCrypto, Offset: off, Length: uint64(len(data))})
	}
	return b
}

// finishDatagram pads, patches and seals the packets of one datagram, then records them.
func (c *Conn) finishDatagram(now int64, buf []byte, pkts []builtPacket, limit int) (int, error) {
	last := &pkts[len(pkts)-1]
	end := last.payloadEnd + protect.TagLen
	pad := 0
	if c.datagramNeedsPadding(pkts) {
		pad = max(min(minInitialDatagram, limit)-end, 0)
	}
	if pad > 0 {
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
		if t := c.cfg.Tracer; t != nil {
			t.PacketSent(now, p.packetType(), p.pn, p.payloadEnd+protect.TagLen-p.start, buf[p.pnOff+p.pnLen:p.payloadEnd])
		}
		var err error
		switch {
		case p.zeroRTT:
			_, err = c.zeroRTTSeal.Seal(pkt, p.pnOff-p.start, p.pnLen, p.pn)
		case p.lvl == levelApp:
			_, err = c.keyUpd.seal(now, pkt, p.pnOff-p.start, p.pnLen, p.pn)
		default:
			_, err = c.spaces[p.lvl].seal.Seal(pkt, p.pnOff-p.start, p.pnLen, p.pn)
		}
		if err != nil {
			return 0, err
		}
		if p.zeroRTT {
			c.zeroRTTMaxPN = int64(p.pn)
		}
		size := p.payloadEnd + protect.TagLen - p.start
		c.recordSent(now, p, size, pad > 0 && i == len(pkts)-1)
	}
	c.onDatagramSent(now, pkts, end)
	return end, nil
}

// datagramNeedsPadding: clients pad every datagram with an Initial packet; servers pad
// those with ack-eliciting Initial packets (RFC 9000 section 14.1).
func (c *Conn) datagramNeedsPadding(pkts []builtPacket) bool {
	for _, p := range pkts {
		if p.lvl == levelInitial && (!c.isServer || p.eliciting) {
			return true
		}
	}
	return false
}

// onDatagramSent updates the counters and timers that depend on what was sent.
func (c *Conn) onDatagramSent(now int64, pkts []builtPacket, size int) {
	c.bytesSent += uint64(size)
	c.path.sent += uint64(size)
	c.lastSendTime = now
	for _, p := range pkts {
		if p.eliciting {
			c.lastElicitingSent = now
			if !c.elicitingSent {
				c.elicitingSent = true
				c.idleStart = now
			}
		}
		if p.lvl == levelHandshake && !c.isServer && !c.spaces[levelInitial].discarded {
			// A client stops using Initial keys once it sends a Handshake packet
			// (RFC 9001 section 4.9.1).
			c.discardLevel(levelInitial)
		}
	}
}

// wantSend reports whether level lvl has anything to send at now.
func (c *Conn) wantSend(now int64, lvl level) bool {
	sp := &c.spaces[lvl]
	if sp.acks.AckDue(now) || sp.cryptoOut.pending() || c.lr.ProbesPending(toSpace(lvl)) > 0 {
		return true
	}
	return lvl == levelApp && c.appWantSend(now)
}

// appendAck adds an ACK frame for level lvl if it fits.
func (c *Conn) appendAck(now int64, lvl level, b []byte, maxEnd int) []byte {
	sp := &c.spaces[lvl]
	c.scratch = sp.acks.AppendRanges(c.scratch[:0])
	if len(c.scratch) == 0 {
		return b
	}
	delay := sp.acks.AckDelay(now) / 1000 >> c.ackExponent(lvl)
	f := quicwire.AckFrame{Ranges: c.scratch, AckDelay: uint64(delay)}
	for f.Len() > maxEnd-len(b) && len(f.Ranges) > 1 {
		f.Ranges = f.Ranges[:len(f.Ranges)-1]
	}
	if f.Len() > maxEnd-len(b) {
		return b
	}
	b = f.Append(b)
	sp.acks.OnAckSent()
	sp.addFrame(recovery.Frame{Kind: fkAck, ID: f.Ranges[0].Largest})
	return b
}

// append0RTTFrames fills a 0-RTT packet: stream data and stream control frames only (no
// ACK, which 0-RTT packets cannot carry, RFC 9000 section 12.4).
func (c *Conn) append0RTTFrames(now int64, b []byte, maxEnd int) []byte {
	sp := &c.spaces[levelApp]
	for {
		ctl, ok := c.streams.NextControl()
		if !ok || ctl.Len() > maxEnd-len(b) {
			break
		}
		b = ctl.Append(b)
		c.streams.OnControlSent(ctl)
		sp.addFrame(recovery.Frame{Kind: fkStreamCtrl, Flags: uint8(ctl.FrameType), ID: uint64(ctl.ID),
			Offset: ctl.Value, Length: ctl.Code})
	}
	if c.cwndAllows() {
		b = c.appendStreamFrames(now, b, maxEnd)
	}
	if c.lr.ProbesPending(recovery.Application) > 0 && !sp.eliciting && maxEnd-len(b) >= 1 {
		b = quicwire.PingFrame{}.Append(b)
		sp.addFrame(recovery.Frame{Kind: fkPing})
	}
	return b
}
