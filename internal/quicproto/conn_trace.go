package quicproto

import "github.com/h3wasi/h3wasi/internal/quicwire"

// Tracer observes a connection's packets, for qlog-style logs and debugging. Its methods
// run synchronously inside the connection's calls, must be quick, and must not call back
// into the connection. Slices passed to them are only valid during the call.
type Tracer interface {
	// PacketSent reports a packet just assembled: its type, number, size on the wire
	// (header, payload and AEAD tag) and plaintext payload (frames, parsable with
	// internal/quicwire).
	PacketSent(now int64, pt quicwire.PacketType, pn uint64, size int, payload []byte)
	// PacketReceived reports an authenticated packet and its decrypted payload.
	PacketReceived(now int64, pt quicwire.PacketType, pn uint64, size int, payload []byte)
	// PacketDropped reports a packet that was not processed, and why.
	PacketDropped(now int64, pt quicwire.PacketType, size int, reason string)
	// PacketLost reports a packet loss recovery declared lost, by packet number space
	// (0 Initial, 1 Handshake, 2 application data).
	PacketLost(space int, pn uint64)
}

// traceDrop reports a dropped packet when a tracer is configured.
func (c *Conn) traceDrop(now int64, pt quicwire.PacketType, size int, reason string) {
	if t := c.cfg.Tracer; t != nil {
		t.PacketDropped(now, pt, size, reason)
	}
}

// packetType is the wire packet type of a built packet.
func (p *builtPacket) packetType() quicwire.PacketType {
	switch {
	case p.zeroRTT:
		return quicwire.Packet0RTT
	case p.lvl == levelInitial:
		return quicwire.PacketInitial
	case p.lvl == levelHandshake:
		return quicwire.PacketHandshake
	}
	return quicwire.Packet1RTT
}
