// Package http3 implements HTTP/3 (RFC 9114) on package quic: a Server that
// serves any http.Handler and a Transport that implements http.RoundTripper, so
// that programs written for net/http switch to HTTP/3 by one line:
//
//	srv := &http3.Server{Addr: ":443", Handler: mux, TLSConfig: tlsConf}
//	client := &http.Client{Transport: &http3.Transport{}}
//
// Header sections are compressed with QPACK (RFC 9204, package qpack) with the
// dynamic table on by default in both directions, blocked streams allowed
// (Server.QPACKMaxTableCapacity, Server.QPACKBlockedStreams and the Transport's
// fields of the same names). Both sides send and ignore reserved (grease) frame
// types, stream types and settings, enforce the frame and message rules of RFC
// 9114 sections 4, 6 and 7 with the RFC's error codes, exchange GOAWAY for
// graceful shutdown, and support trailers, informational responses (100-continue,
// 103 Early Hints), CONNECT and extended CONNECT (RFC 9220), HTTP datagrams (RFC
// 9297: HandlerDatagrams, ResponseDatagrams), response priorities (RFC 9218: the
// priority header and PRIORITY_UPDATE frames steer the QUIC send scheduler) and
// 0-RTT (IsEarlyData, TooEarly, Transport.Allow0RTT). Server push is not
// offered: the client never sends MAX_PUSH_ID, and the server never pushes.
//
// # Concurrency model
//
// Per connection, one goroutine accepts request streams (server) and one accepts
// the peer's unidirectional streams; the peer's control stream and its two QPACK
// streams each have a reader goroutine, which is what blocking stream reads
// require. Nothing else runs per connection. Each request has one goroutine: the
// handler's on the server, the caller's of RoundTrip on the client, plus a writer
// goroutine on the client while a request body is being sent. Response bodies
// are read from the QUIC stream in the reader's goroutine, DATA frame by DATA
// frame, without buffering a whole body, so a slow reader holds the sender back
// through QUIC flow control.
//
// The QPACK encoder and decoder of a connection are shared by its requests under
// a mutex each. A request whose header section refers to dynamic table entries
// not yet received waits for the encoder stream's reader to deliver them, with
// no polling. Decoder-stream acknowledgements, encoder-stream inserts and DATA
// frame headers are deferred writes (quic's WriteDeferred): they leave with the
// next packet of the connection instead of one of their own. The control and
// QPACK streams are sent before any request data (QUIC urgency 0), so inserts
// never wait behind response bodies. A small response (headers, a body of up to
// 4 KiB, trailers) is sent by one stream write with the end of the stream, so it
// leaves in one packet.
//
// # Errors
//
// A connection error closes the QUIC connection with its HTTP/3 or QPACK code; a
// stream error resets the request stream. Both surface as *Error, whose Code is
// the ErrCode and whose Remote says whether the peer sent it; errors.Is(err,
// ErrCodeRequestCancelled) and errors.As work. A malformed request never reaches
// the handler: it is reset with H3_MESSAGE_ERROR, and a header section over
// Server.MaxHeaderBytes is answered 431. A handler that panics has its stream
// reset with H3_INTERNAL_ERROR and the panic logged (http.ErrAbortHandler
// silently); the connection carries on.
//
// Logs go to the *slog.Logger of the Server or the Transport; with none, the
// package is silent.
package http3
