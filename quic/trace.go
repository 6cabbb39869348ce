package quic

import (
	"net/netip"
	"time"
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
)

var traceNames = [...]string{"", "conn_started", "handshake_done", "datagram_received",
	"datagram_sent", "stream_accepted", "conn_closed"}

func (k TraceKind) String() string {
	if int(k) < len(traceNames) {
		return traceNames[k]
	}
	return "unknown"
}

// TraceEvent is one event of a connection, for Config.Tracer.
type TraceEvent struct {
	Time     time.Time
	Kind     TraceKind
	Conn     *Conn
	Server   bool
	Peer     netip.AddrPort
	Size     int   // datagram size
	StreamID int64 // TraceStreamAccepted
	Err      error // TraceConnClosed
}

// trace reports an event to the connection's tracer, if any.
func (c *Conn) trace(kind TraceKind, size int, id int64, err error) {
	if c.tracer == nil {
		return
	}
	c.tracer(TraceEvent{Time: time.Now(), Kind: kind, Conn: c, Server: c.isServer,
		Peer: c.core.RemoteAddr(), Size: size, StreamID: id, Err: err})
}
