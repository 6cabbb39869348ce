// Package quic is h3wasi's QUIC API (RFC 9000, 9001, 9002): a thin driver that runs the
// sans-IO connection core of internal/quicproto over a datagram socket, natively and
// under WebAssembly (GOOS=wasip1).
//
// A Transport serves one net.PacketConn: real UDP, a simulated network endpoint
// (package netsim) or a WASI host socket (package wasi). Transport.Listen accepts
// connections (Transport.ListenEarly before their handshake completes, so that 0-RTT
// requests are served at once), Transport.Dial opens them (Transport.DialEarly sends
// 0-RTT data); ListenAddr, ListenAddrEarly and DialAddr open the socket too.
// A Conn multiplexes bidirectional Streams and unidirectional SendStreams and
// ReceiveStreams; blocking calls take a context.Context or honour deadlines.
//
// # Concurrency model
//
// One goroutine per Transport reads the socket. Each datagram is routed, under the
// transport's one mutex, to its connection's core; the core's events wake the goroutines
// blocked on that connection (Accept, Read, Write, OpenStreamSync), and every datagram
// the core has to send is written right away from the same goroutine. Application calls
// (Write, Read, Close, CancelRead...) run the core in the caller's goroutine under the
// same mutex and send what they produced before returning, so no goroutine is needed per
// stream or per packet. (Each Write thus sends its own packets and Close one more for the
// FIN; WriteAndClose sends data and FIN together, in one packet when they fit.) Each connection has one time.Timer, set to the core's next
// deadline (loss detection, acknowledgements, pacing, idle timeout); when it fires the
// core's timers run and the connection sends again. Buffers for receiving and sending
// belong to the transport and are reused, so steady-state traffic allocates nothing
// per packet.
//
// On Linux UDP sockets the transport uses segmentation offload (UDP_SEGMENT: a run of
// equal-sized datagrams leaves in one system call) and receive offload (UDP_GRO: a run
// arrives in one read, and the connection answers the whole run at once). Elsewhere,
// including under WebAssembly, datagrams are read and written one by one.
//
// Each connection dialed with a distinct (tls.Config, Config) pair gets its own core
// endpoint (the core binds a TLS configuration to an endpoint); all of them share the
// transport's socket, and a datagram is offered to the dialed connections' endpoints
// before the listener's.
//
// # Errors
//
// A connection ends with a *TransportError (a protocol error, ours or the peer's), an
// *ApplicationError (CloseWithError on either side), an *IdleTimeoutError, a
// *HandshakeTimeoutError, ErrStatelessReset or ErrTransportClosed; Conn.Context's cause
// is that error, and stream calls return it. A stream reset or stopped by the peer fails
// with a *StreamError carrying the peer's code. errors.Is and errors.As work on all of
// them.
package quic
