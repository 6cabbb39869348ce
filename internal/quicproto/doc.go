// Package quicproto is the sans-IO core of h3wasi's QUIC (RFC 9000, 9001, 9002; QUIC v2 of
// RFC 9369): connection state machines and an endpoint that demultiplexes them. It never
// touches a socket, starts a goroutine, reads the clock or calls crypto/rand: time is an
// int64 count of nanoseconds of the driver's monotonic clock passed to every call, and
// randomness comes from Config.Rand. The same code therefore runs natively, in WebAssembly,
// under a simulated network with a virtual clock (package netsim), and under fuzzers.
//
// # Driving a connection
//
// A driver (package quic) owns the socket and the timer and calls, under one lock per
// connection:
//
//	c.Receive(now, from, datagram)      // for every datagram routed to c
//	for {                               // after any input, timeout or application call
//		n, to, ok := c.Send(now, buf)  // one datagram at a time
//		if !ok { break }
//		sock.WriteTo(buf[:n], to)
//	}
//	timer.Reset(c.Deadline() - now)     // 0 means no timer
//	c.HandleTimeout(now)                // when the timer fires, then Send again
//	for ev, ok := c.NextEvent(); ok; ev, ok = c.NextEvent() { ... } // wake readers, Accept...
//
// Receive decrypts packets in place, so the datagram buffer is modified (and may be reused
// as soon as Receive returns). Send's buf should hold Config.MaxDatagramSize bytes.
//
// Events (Event) report the handshake completing, streams opened by the peer, streams that
// became readable or writable, raised stream limits, NEW_TOKEN tokens, and the connection
// closing with its reason (*TransportError, *ApplicationError, ErrIdleTimeout,
// ErrStatelessReset, ErrHandshakeTimeout, ErrVersionNegotiation). Once EventClosed was
// delivered, Done reports when the closing or draining period is over and the connection
// can be dropped (Endpoint.Forget).
//
// # Streams
//
// OpenStream opens a local stream (false when the peer's MAX_STREAMS is reached; an
// EventStreamsAvailable follows when it rises). Stream returns a live stream by ID. A
// *Stream's Write copies into the send buffer and returns how much fitted (wait for
// EventStreamWritable for the rest); Close sends a FIN; CancelWrite sends RESET_STREAM;
// Read copies received data and returns io.EOF at the end and *ApplicationError after a
// reset; CancelRead sends STOP_SENDING. After any of these the driver calls Send.
// CloseWithError closes the whole connection with an application error code; Stats
// returns RTT, congestion window and packet counters.
//
// Config.Tracer observes every packet sent, received, dropped or lost (with plaintext
// payloads), for qlog.
//
// With Config.MaxDatagramFrameSize set on both sides, SendDatagram sends unreliable
// datagrams (RFC 9221) and EventDatagram delivers the peer's.
//
// With Config.Enable0RTT and a TLS session cache, a resuming client may open streams and
// write before the handshake completes: the data leaves in 0-RTT packets. If the server
// rejects them, Event0RTTRejected says every stream opened so far is gone (RFC 9001
// section 4.6.2) and the application opens new ones and writes again. A server accepts
// 0-RTT when none of the limits it promised with the ticket shrank (RFC 9000 section
// 7.4.1) and reads the data before its handshake completes.
//
// # Endpoint
//
// An Endpoint serves one UDP socket: Route (or Receive) finds the connection of a datagram
// by its Destination Connection ID, creates server connections from Initial packets
// (Accept returns them; Config and EndpointConfig.MaxConns bound them), answers unknown
// versions with Version Negotiation, optionally validates addresses with Retry and
// tokens, and answers unknown short-header packets with rate-limited stateless resets;
// SendStateless returns those datagrams. Dial creates a client connection whose
// connection IDs the endpoint routes. For simple drivers and tests, Endpoint.Send,
// Deadline and HandleTimeout run every connection of the endpoint like one.
//
// # Inside
//
// One concern per file: conn_recv.go parses and decrypts (coalesced) packets and
// conn_frames.go applies frames, enforcing the frame/packet-type rules with their error
// codes; conn_send.go assembles datagrams (Initial, Handshake and 1-RTT packets coalesced,
// Initial datagrams padded to 1200 bytes, the 3x anti-amplification limit, pacing and the
// congestion window); conn_tls.go runs TLS 1.3 through crypto/tls's QUIC API and checks the
// transport parameters; conn_recovery.go connects internal/recovery (RFC 9002 loss
// detection, PTO, NewReno, pacer, ACK generation) to the frames each packet carried;
// conn_streams.go connects the stream map (stream*.go, flow*.go: stream state machines,
// reassembly, flow control with auto-tuning, stream limits); cid.go manages connection IDs
// and stateless reset tokens; conn_close.go the closing, draining and idle states;
// key_update.go 1-RTT key updates (internal/protect's OneRTTKeys); endpoint.go and token.go
// the endpoint, Retry and address validation tokens.
package quicproto
