package quic

import (
	"net/netip"
	"time"

	"github.com/h3wasi/h3wasi/internal/quicproto"
	"github.com/h3wasi/h3wasi/internal/quicwire"
)

// TraceKind says what a TraceEvent reports.
type TraceKind uint8

// Trace event kinds.
const (
	// TraceConnStarted: a connection was dialed or accepted by the endpoint.
	TraceConnStarted TraceKind = iota + 1
	// TraceHandshakeDone: the TLS handshake completed.
	TraceHandshakeDone
	// TraceDatagramReceived: a datagram of Size bytes was handed to the connection.
	TraceDatagramReceived
	// TraceDatagramSent: the connection sent a datagram of Size bytes.
	TraceDatagramSent
	// TraceStreamAccepted: the peer opened stream StreamID.
	TraceStreamAccepted
	// TraceConnClosed: the connection closed with Err.
	TraceConnClosed
	// TracePacketSent: the connection sent packet PacketNumber of type PacketType, Size
	// bytes on the wire, whose plaintext frames are Payload.
	TracePacketSent
	// TracePacketReceived: a packet was authenticated and decrypted (Payload).
	TracePacketReceived
	// TracePacketDropped: a packet was not processed, for Reason.
	TracePacketDropped
	// TracePacketLost: loss recovery declared PacketNumber lost (PacketType names its
	// packet number space).
	TracePacketLost
)

var traceNames = [...]string{"", "conn_started", "handshake_done", "datagram_received",
	"datagram_sent", "stream_accepted", "conn_closed", "packet_sent", "packet_received",
	"packet_dropped", "packet_lost"}

func (k TraceKind) String() string {
	if int(k) < len(traceNames) {
		return traceNames[k]
	}
	return "unknown"
}

// TraceEvent is one event of a connection, for Config.Tracer.
type TraceEvent struct {
	Time time.Time
	Kind TraceKind
	// Conn is the connection; nil for packets received or dropped before the datagram
	// was routed to a connection (Peer then says where it came from).
	Conn     *Conn
	Server   bool
	Peer     netip.AddrPort
	Size     int   // datagram or packet size
	StreamID int64 // TraceStreamAccepted
	Err      error // TraceConnClosed

	// Packet events: the packet type ("Initial", "Handshake", "0-RTT", "1-RTT"; for
	// TracePacketLost the packet number space), its number, its plaintext payload (valid
	// only during the call: parse or copy it there) and why it was dropped.
	PacketType   string
	PacketNumber uint64
	Payload      []byte
	Reason       string
}

// packetTracer forwards the core's packet events to a Config.Tracer. The core calls it
// inside the transport's lock, while the driver runs one connection (Transport.cur) or
// routes one datagram (Transport.curFrom).
type packetTracer struct {
	t      *Transport
	f      func(TraceEvent)
	server bool
}

func (p *packetTracer) emit(ev TraceEvent) {
	ev.Time = time.Now()
	if c := p.t.cur; c != nil {
		ev.Conn, ev.Server, ev.Peer = c, c.isServer, c.core.RemoteAddr()
	} else {
		ev.Server, ev.Peer = p.server, p.t.curFrom
	}
	p.f(ev)
}

func (p *packetTracer) PacketSent(_ int64, pt quicwire.PacketType, pn uint64, size int, payload []byte) {
	p.emit(TraceEvent{Kind: TracePacketSent, PacketType: pt.String(), PacketNumber: pn, Size: size, Payload: payload})
}

func (p *packetTracer) PacketReceived(_ int64, pt quicwire.PacketType, pn uint64, size int, payload []byte) {
	p.emit(TraceEvent{Kind: TracePacketReceived, PacketType: pt.String(), PacketNumber: pn, Size: size, Payload: payload})
}

func (p *packetTracer) PacketDropped(_ int64, pt quicwire.PacketType, size int, reason string) {
	p.emit(TraceEvent{Kind: TracePacketDropped, PacketType: pt.String(), Size: size, Reason: reason})
}

func (p *packetTracer) PacketLost(space int, pn uint64) {
	names := [...]string{"Initial", "Handshake", "1-RTT"}
	p.emit(TraceEvent{Kind: TracePacketLost, PacketType: names[min(max(space, 0), 2)], PacketNumber: pn})
}

// withTracer installs the packet tracer of conf on a core configuration.
func (t *Transport) withTracer(cc *quicproto.Config, conf *Config, server bool) {
	if f := conf.tracer(); f != nil {
		cc.Tracer = &packetTracer{t: t, f: f, server: server}
	}
}

// trace reports an event to the connection's tracer, if any.
func (c *Conn) trace(kind TraceKind, size int, id int64, err error) {
	if c.tracer == nil {
		return
	}
	c.tracer(TraceEvent{Time: time.Now(), Kind: kind, Conn: c, Server: c.isServer,
		Peer: c.core.RemoteAddr(), Size: size, StreamID: id, Err: err})
}
