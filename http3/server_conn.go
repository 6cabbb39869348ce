package http3

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/h3wasi/h3wasi/quic"
)

// drainGrace is how long a server connection that has answered every request after
// its GOAWAY waits for the client to close it, so that the last responses reach the
// client before our CONNECTION_CLOSE would cut them off.
const drainGrace = 2 * time.Second

// serverConn is one HTTP/3 connection of a Server.
type serverConn struct {
	s *Server
	c *conn

	mu         sync.Mutex
	active     int                            // requests in flight
	streams    map[quic.StreamID]*quic.Stream // request streams in flight, for PRIORITY_UPDATE
	nextID     quic.StreamID                  // lowest stream ID not yet accepted
	goingAway  bool
	goawayID   quic.StreamID
	idleTimer  *time.Timer
	drainTimer *time.Timer
	remoteAddr string
	tls        *tls.ConnectionState // once the handshake completed
}

// serveConn runs one connection until it ends.
func (s *Server) serveConn(base context.Context, qc *quic.Conn) error {
	sc := &serverConn{s: s, streams: make(map[quic.StreamID]*quic.Stream)}
	s.addConn(sc)
	defer s.removeConn(sc)
	sc.c = newConn(qc, true, s.connConfig())
	sc.c.priorityHook = sc.setPriority
	if err := sc.c.start(); err != nil {
		qc.CloseWithError(uint64(ErrCodeInternalError), "opening the control streams")
		return err
	}
	if s.closing.Load() {
		sc.shutdown()
	}
	ctx := base
	if s.ConnContext != nil {
		if ctx = s.ConnContext(ctx, qc); ctx == nil {
			panic("http3: ConnContext returned a nil context")
		}
	}
	// What every request of the connection shares, made once.
	ctx = context.WithValue(ctx, http.LocalAddrContextKey, qc.LocalAddr())
	ctx = context.WithValue(ctx, serverContextKey, s)
	sc.remoteAddr = qc.RemoteAddr().String()
	sc.armIdle()
	for {
		str, err := qc.AcceptStream(context.Background())
		if err != nil {
			sc.stopTimers()
			return nil
		}
		if !sc.admit(str) {
			// Beyond our GOAWAY: not processed, so the client may retry it elsewhere.
			str.CancelRead(uint64(ErrCodeRequestRejected))
			str.CancelWrite(uint64(ErrCodeRequestRejected))
			continue
		}
		go sc.serveStream(ctx, str)
	}
}

// admit counts a new request stream in, unless it is beyond our GOAWAY.
func (sc *serverConn) admit(str *quic.Stream) bool {
	id := str.StreamID()
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.goingAway && id >= sc.goawayID {
		return false
	}
	if id >= sc.nextID {
		sc.nextID = id + 4
	}
	sc.active++
	sc.streams[id] = str
	if sc.idleTimer != nil {
		sc.idleTimer.Stop()
	}
	return true
}

// done counts a request out.
func (sc *serverConn) done(id quic.StreamID) {
	sc.mu.Lock()
	sc.active--
	delete(sc.streams, id)
	idle := sc.active == 0
	drain := idle && sc.goingAway
	sc.mu.Unlock()
	if drain {
		sc.drain()
	} else if idle {
		sc.armIdle()
	}
}

// armIdle starts the idle timer, if the server has an IdleTimeout.
func (sc *serverConn) armIdle() {
	if sc.s.IdleTimeout <= 0 {
		return
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.idleTimer == nil {
		sc.idleTimer = time.AfterFunc(sc.s.IdleTimeout, sc.onIdle)
	} else {
		sc.idleTimer.Reset(sc.s.IdleTimeout)
	}
}

func (sc *serverConn) onIdle() {
	sc.mu.Lock()
	idle := sc.active == 0
	sc.mu.Unlock()
	if idle {
		sc.shutdown()
	}
}

func (sc *serverConn) stopTimers() {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.idleTimer != nil {
		sc.idleTimer.Stop()
	}
	if sc.drainTimer != nil {
		sc.drainTimer.Stop()
	}
}

// shutdown sends GOAWAY with the first stream ID not yet accepted: the requests
// accepted so far finish, later ones are rejected (RFC 9114 section 5.2).
func (sc *serverConn) shutdown() {
	sc.mu.Lock()
	if !sc.goingAway {
		sc.goingAway = true
		sc.goawayID = sc.nextID
	}
	id, idle := sc.goawayID, sc.active == 0
	sc.mu.Unlock()
	if err := sc.c.sendGoaway(uint64(id)); err != nil {
		sc.c.closeWithError(&Error{Code: ErrCodeNoError, conn: true})
		return
	}
	if idle {
		sc.drain()
	}
}

// drain closes the connection once the client had time to receive the last
// responses: when the client closes it, or after drainGrace.
func (sc *serverConn) drain() {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.drainTimer != nil {
		return
	}
	sc.drainTimer = time.AfterFunc(drainGrace, func() {
		sc.c.closeWithError(&Error{Code: ErrCodeNoError, Reason: "shutting down", conn: true})
	})
}

// setPriority applies a PRIORITY_UPDATE to a request in flight.
func (sc *serverConn) setPriority(id uint64, p priority) {
	sc.mu.Lock()
	str := sc.streams[quic.StreamID(id)]
	sc.mu.Unlock()
	if str != nil {
		setStreamPriority(str, p)
	}
}

// resetStream aborts both directions of a request stream with code.
func resetStream(str *quic.Stream, code ErrCode) {
	str.CancelRead(uint64(code))
	str.CancelWrite(uint64(code))
}

// serveStream reads one request, runs the handler and finishes the response.
func (sc *serverConn) serveStream(ctx context.Context, str *quic.Stream) {
	id := str.StreamID()
	defer sc.done(id)
	c := sc.c
	w := sc.newResponseWriter(str, nil) // its frame reader reads the request
	fr := &w.fr
	fr.r = str
	defer fr.release()
	if sc.s.ReadHeaderTimeout > 0 {
		str.SetReadDeadline(time.Now().Add(sc.s.ReadHeaderTimeout))
	}
	fields, err := c.readHeaderSection(str.Context(), fr, uint64(id))
	if err != nil {
		sc.rejectRequest(str, err)
		return
	}
	req, protocol, err := requestFromFields(fields, fieldLimits{enableConnectProtocol: sc.s.EnableConnectProtocol})
	if err != nil {
		sc.rejectRequest(str, err)
		return
	}
	if sc.s.ReadHeaderTimeout > 0 {
		str.SetReadDeadline(time.Time{})
	}
	if sc.s.WriteTimeout > 0 {
		str.SetWriteDeadline(time.Now().Add(sc.s.WriteTimeout))
	}
	w.req = req
	sc.prepareRequest(ctx, req, str, fr, w, protocol)
	sc.runHandler(w, req)
}

// rejectRequest answers a request that never reaches the handler: a connection
// error closes the connection, an oversized header section gets 431, a malformed
// request is reset with the RFC's code, and a stream that ends before its headers
// is H3_REQUEST_INCOMPLETE (RFC 9114 section 4.1.2).
func (sc *serverConn) rejectRequest(str *quic.Stream, err error) {
	if sc.c.fail(err) {
		return
	}
	sc.c.cancelStreamDecoding(uint64(str.StreamID()))
	switch {
	case errors.Is(err, errHeaderTooLarge):
		sc.writeSimpleResponse(str, http.StatusRequestHeaderFieldsTooLarge)
		return
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		resetStream(str, ErrCodeRequestIncomplete)
		return
	}
	var e *Error
	if errors.As(err, &e) && !e.Remote && !e.conn {
		if sc.s.Logger != nil {
			sc.s.Logger.Debug("http3: malformed request", slog.Int64("stream", str.StreamID()), slog.String("reason", e.Reason))
		}
		resetStream(str, e.Code)
		return
	}
	// The stream was reset or the connection ended: nothing to answer.
	resetStream(str, ErrCodeRequestCancelled)
}

// writeSimpleResponse answers with a status and no body, then stops reading.
func (sc *serverConn) writeSimpleResponse(str *quic.Stream, status int) {
	fields := appendResponseFields(nil, status, http.Header{"Content-Length": {"0"}})
	b, err := sc.c.encodeHeaders(nil, uint64(str.StreamID()), fields)
	if err == nil {
		str.WriteAndClose(b)
	}
	str.CancelRead(uint64(ErrCodeNoError))
}

// prepareRequest fills in what requestFromFields leaves to the connection: the
// body, the context, the addresses, TLS and 0-RTT state.
func (sc *serverConn) prepareRequest(ctx context.Context, req *http.Request, str *quic.Stream, fr *frameReader, w *responseWriter, protocol string) {
	w.body = body{c: sc.c, fr: fr, streamID: uint64(str.StreamID()), contentLength: req.ContentLength,
		owner: w, firstRead: expectsContinue(req)}
	w.reqBody = requestBody{b: &w.body, str: str}
	req.Body = &w.reqBody
	b := &w.body
	rctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(str.Context(), func() { cancel(fromQUIC(context.Cause(str.Context()))) })
	w.cancel = func() { stop(); cancel(context.Canceled) }
	if str.OpenedIn0RTT() {
		rctx = context.WithValue(rctx, earlyDataKey{}, true)
	}
	*req = *req.WithContext(rctx)
	b.ctx = rctx
	req.RemoteAddr = sc.remoteAddr
	req.TLS = sc.tlsState()
	if protocol != "" {
		req.Header[":protocol"] = []string{protocol}
	}
	if v := req.Header.Get("Priority"); v != "" {
		if p, ok := parsePriority(v); ok && p != defaultPriority {
			setStreamPriority(str, p)
		}
	}
}

// tlsState returns the connection's TLS state, shared by its requests as net/http
// shares it; a request that arrived in 0-RTT gets the state known so far.
func (sc *serverConn) tlsState() *tls.ConnectionState {
	sc.mu.Lock()
	st := sc.tls
	sc.mu.Unlock()
	if st != nil {
		return st
	}
	state := sc.c.qc.ConnectionState().TLS
	select {
	case <-sc.c.qc.HandshakeComplete():
		sc.mu.Lock()
		sc.tls = &state
		sc.mu.Unlock()
	default:
	}
	return &state
}

// runHandler calls the handler and finishes the response; a panic resets the
// stream with H3_INTERNAL_ERROR and is logged, unless it is http.ErrAbortHandler.
func (sc *serverConn) runHandler(w *responseWriter, req *http.Request) {
	defer func() {
		w.cancel()
		if r := recover(); r != nil {
			w.abort(ErrCodeInternalError)
			if r != http.ErrAbortHandler && sc.s.Logger != nil {
				buf := make([]byte, 64<<10)
				buf = buf[:runtime.Stack(buf, false)]
				sc.s.Logger.Error("http3: panic serving request", slog.String("remote", req.RemoteAddr),
					slog.String("method", req.Method), slog.String("path", req.URL.Path),
					slog.String("panic", fmt.Sprint(r)), slog.String("stack", string(buf)))
			}
		}
	}()
	sc.s.handler().ServeHTTP(w, req)
	w.finish()
}

// serverContextKey holds the *Server in a request's context, as net/http's
// ServerContextKey does.
var serverContextKey = &contextKey{"http3-server"}

type contextKey struct{ name string }

type earlyDataKey struct{}

// IsEarlyData reports whether a request arrived in 0-RTT data, before the
// handshake completed: an attacker can replay such a request (RFC 8470, RFC 9001
// section 9.2), so only idempotent requests should be acted on. See TooEarly.
func IsEarlyData(r *http.Request) bool {
	v, _ := r.Context().Value(earlyDataKey{}).(bool)
	return v
}

// TooEarly wraps a handler so that requests with unsafe methods that arrived in
// 0-RTT are answered 425 Too Early (RFC 8470 section 5.2); the client then retries
// them after the handshake.
func TooEarly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if IsEarlyData(r) && !safeMethod(r.Method) {
			w.WriteHeader(http.StatusTooEarly)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// safeMethod reports the methods RFC 9110 section 9.2.1 calls safe.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions || m == http.MethodTrace
}

func expectsContinue(r *http.Request) bool {
	for _, v := range r.Header["Expect"] {
		if asciiEqualFold(v, "100-continue") {
			return true
		}
	}
	return false
}

func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// requestBody is a server request's Body.
type requestBody struct {
	b   *body
	str *quic.Stream
}

func (r *requestBody) Read(p []byte) (int, error) { return r.b.Read(p) }

// Close stops reading the request: if the client has more to send, it is told to
// stop with H3_NO_ERROR (RFC 9114 section 4.1.2).
func (r *requestBody) Close() error {
	if !r.b.finished.Load() {
		r.str.CancelRead(uint64(ErrCodeNoError))
	}
	r.b.close()
	return nil
}

// setStreamPriority hands a response's priority to the QUIC send scheduler.
func setStreamPriority(str *quic.Stream, p priority) {
	str.SetPriority(p.urgency, p.incremental)
}
