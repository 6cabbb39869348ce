package http3

import (
	"compress/gzip"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"strconv"
	"sync"
	"time"

	"github.com/h3wasi/h3wasi/quic"
)

// clientConn is a Transport's connection to one authority.
type clientConn struct {
	t      *Transport
	addr   string
	dialed chan struct{} // closed when the dial ended (dialErr or c set)
	// dialErr and c are written before dialed is closed.
	dialErr error
	c       *conn

	mu        sync.Mutex
	active    int
	streams   map[quic.StreamID]*clientStream // requests waiting for their response headers
	idleTimer *time.Timer
	lastIdle  time.Time
}

// dial opens the connection and the HTTP/3 control streams.
func (cc *clientConn) dial(ctx context.Context, trace *httptrace.ClientTrace) {
	defer close(cc.dialed)
	t := cc.t
	timeout := t.DialTimeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	// The dial outlives the request that started it: other requests wait on it.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	if trace != nil && trace.TLSHandshakeStart != nil {
		trace.TLSHandshakeStart()
	}
	qc, err := t.dialQUIC(dctx, cc.addr, t.tlsConfig(cc.addr), t.quicConfig())
	if err != nil {
		if trace != nil && trace.TLSHandshakeDone != nil {
			trace.TLSHandshakeDone(tls.ConnectionState{}, err)
		}
		cc.dialErr = &dialError{addr: cc.addr, err: err}
		return
	}
	if trace != nil && trace.TLSHandshakeDone != nil {
		trace.TLSHandshakeDone(qc.ConnectionState().TLS, nil)
	}
	c := newConn(qc, false, t.connConfig())
	c.goawayHook = cc.onGoaway
	if err := c.start(); err != nil {
		qc.CloseWithError(uint64(ErrCodeInternalError), "opening the control streams")
		cc.dialErr = &dialError{addr: cc.addr, err: err}
		return
	}
	cc.c = c
	cc.streams = make(map[quic.StreamID]*clientStream)
	context.AfterFunc(qc.Context(), func() { t.removeConn(cc) })
	select {
	case <-qc.HandshakeComplete():
	default:
		go cc.watch0RTT()
	}
	cc.armIdle()
}

// watch0RTT retires a connection whose 0-RTT data the server rejected: our control
// and QPACK streams went out in that data and were lost with it, so the requests
// are retried on a new connection (they fail with quic.Err0RTTRejected).
func (cc *clientConn) watch0RTT() {
	qc := cc.c.qc
	select {
	case <-qc.HandshakeComplete():
	case <-qc.Context().Done():
		return
	}
	if qc.ConnectionState().Used0RTT {
		return
	}
	// Without 0-RTT keys nothing was sent early and the streams simply waited
	// for the handshake; only streams that rode in rejected 0-RTT data fail.
	if _, err := cc.c.ctrl.Write(nil); !errors.Is(err, quic.Err0RTTRejected) {
		return
	}
	cc.t.removeConn(cc)
	cc.c.closeWithError(&Error{Code: ErrCodeNoError, Reason: "0-RTT rejected", conn: true})
}

// dialError is a failure to connect.
type dialError struct {
	addr string
	err  error
}

func (e *dialError) Error() string { return "http3: dial " + e.addr + ": " + e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

// usable reports whether new requests may use the connection.
func (cc *clientConn) usable() bool {
	select {
	case <-cc.dialed:
	default:
		return true // dialing: join it
	}
	if cc.dialErr != nil || cc.c.qc.Context().Err() != nil || cc.c.closed.Load() {
		return false
	}
	_, gone := cc.c.goaway()
	return !gone
}

func (cc *clientConn) idle() bool {
	select {
	case <-cc.dialed:
	default:
		return false
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.active == 0 && cc.c != nil
}

func (cc *clientConn) closeIfIdle() {
	if cc.idle() {
		cc.t.removeConn(cc)
		cc.c.goawayAndClose()
	}
}

// armIdle starts the idle timer.
func (cc *clientConn) armIdle() {
	d := cc.t.IdleConnTimeout
	if d == 0 {
		d = 90 * time.Second
	}
	if d < 0 {
		return
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	cc.lastIdle = time.Now()
	if cc.idleTimer == nil {
		cc.idleTimer = time.AfterFunc(d, cc.closeIfIdle)
	} else {
		cc.idleTimer.Reset(d)
	}
}

// begin counts a request in.
func (cc *clientConn) begin() {
	cc.mu.Lock()
	cc.active++
	if cc.idleTimer != nil {
		cc.idleTimer.Stop()
	}
	cc.mu.Unlock()
}

// end counts a request out; a connection that got a GOAWAY closes with its last
// request.
func (cc *clientConn) end() {
	cc.mu.Lock()
	cc.active--
	idle := cc.active == 0
	cc.mu.Unlock()
	if !idle {
		return
	}
	if _, gone := cc.c.goaway(); gone {
		cc.t.removeConn(cc)
		cc.c.closeWithError(&Error{Code: ErrCodeNoError, conn: true})
		return
	}
	cc.armIdle()
}

// onGoaway fails the requests the server will not process (stream ID at or above
// the GOAWAY ID), so that they are retried on a new connection.
func (cc *clientConn) onGoaway(id uint64) {
	cc.t.removeConn(cc)
	cc.mu.Lock()
	var rejected []*clientStream
	for sid, cs := range cc.streams {
		if uint64(sid) >= id {
			rejected = append(rejected, cs)
		}
	}
	idle := cc.active == 0
	cc.mu.Unlock()
	for _, cs := range rejected {
		cs.rejectByGoaway()
	}
	if idle {
		cc.c.closeWithError(&Error{Code: ErrCodeNoError, conn: true})
	}
}

// headerBufPool and bodyBufPool recycle the buffers of request header sections
// and of request body frames.
var (
	headerBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1<<10); return &b }}
	bodyBufPool   = sync.Pool{New: func() any { b := make([]byte, 9+32<<10); return &b }}
)

// clientStream is one request in flight.
type clientStream struct {
	cc      *clientConn
	str     *quic.Stream
	req     *http.Request
	trace   *httptrace.ClientTrace
	fr      *frameReader
	goaway  bool // rejected by a GOAWAY before its response
	mu      sync.Mutex
	bodyErr error         // the request body's write error
	cont    chan struct{} // closed on 100 Continue or a final status (Expect: 100-continue)
	// skipBody: the server answered an Expect: 100-continue request with an error
	// status before asking for the body.
	skipBody bool
	rb       responseBody // the response's Body, in the same allocation
	frv      frameReader  // the response's frame reader, likewise
	refs     int          // request body writer and response body: the stream ends with both
}

func (cs *clientStream) rejectByGoaway() {
	cs.mu.Lock()
	cs.goaway = true
	cs.mu.Unlock()
	cs.str.CancelRead(uint64(ErrCodeRequestCancelled))
	cs.str.CancelWrite(uint64(ErrCodeRequestCancelled))
}

// roundTrip sends one request on the connection and reads its response headers.
func (cc *clientConn) roundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	trace := httptrace.ContextClientTrace(ctx)
	c := cc.c
	if err := cc.wait0RTT(ctx, req); err != nil {
		return nil, err
	}
	str, err := c.qc.OpenStreamSync(ctx)
	if err != nil {
		return nil, cc.connFailure(req, err, false)
	}
	cs := &clientStream{cc: cc, str: str, req: req, trace: trace, refs: 1}
	cc.begin()
	cc.mu.Lock()
	cc.streams[str.StreamID()] = cs
	cc.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { resetStream(str, ErrCodeRequestCancelled) })
	resp, err := cs.send()
	if err == nil {
		resp, err = cs.readResponse()
	}
	cc.mu.Lock()
	delete(cc.streams, str.StreamID())
	cc.mu.Unlock()
	if err != nil {
		stop()
		cs.fail()
		return nil, cs.classify(err)
	}
	cs.attachBody(resp, stop)
	return resp, nil
}

// wait0RTT holds a request that may not ride in 0-RTT data until the handshake
// has completed.
func (cc *clientConn) wait0RTT(ctx context.Context, req *http.Request) error {
	select {
	case <-cc.c.qc.HandshakeComplete():
		return nil
	default:
	}
	if safeFor0RTT(req) {
		return nil
	}
	select {
	case <-cc.c.qc.HandshakeComplete():
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-cc.c.qc.Context().Done():
		return cc.connFailure(req, context.Cause(cc.c.qc.Context()), false)
	}
}

// send writes the request headers and starts the body.
func (cs *clientStream) send() (*http.Response, error) {
	req, c := cs.req, cs.cc.c
	protocol := req.Header.Get(":protocol")
	if protocol != "" {
		if err := cs.waitConnectProtocol(); err != nil {
			return nil, err
		}
	}
	fields, err := appendRequestFields(nil, req, protocol, cs.cc.t.wantsGzip(req))
	if err != nil {
		return nil, err
	}
	if err := c.checkPeerFieldLimit(fields); err != nil {
		return nil, err
	}
	bp := headerBufPool.Get().(*[]byte)
	defer headerBufPool.Put(bp)
	b, err := c.encodeHeaders((*bp)[:0], uint64(cs.str.StreamID()), fields)
	if err != nil {
		return nil, err
	}
	if cap(b) <= 4<<10 {
		*bp = b[:0]
	}
	hasBody := req.Body != nil && req.Body != http.NoBody
	switch {
	case !hasBody:
		_, err = cs.str.WriteAndClose(b)
	case expectsContinue(req):
		_, err = cs.str.Write(b) // the server must see the headers to answer 100
	default:
		_, err = cs.str.WriteDeferred(b) // the body's first frame carries them
	}
	if err != nil {
		return nil, err
	}
	if cs.trace != nil && cs.trace.WroteHeaders != nil {
		cs.trace.WroteHeaders()
	}
	if !hasBody {
		if cs.trace != nil && cs.trace.WroteRequest != nil {
			cs.trace.WroteRequest(httptrace.WroteRequestInfo{})
		}
		return nil, nil
	}
	if expectsContinue(req) {
		cs.cont = make(chan struct{})
	}
	cs.mu.Lock()
	cs.refs++
	cs.mu.Unlock()
	go cs.writeBody()
	return nil, nil
}

// waitConnectProtocol waits for the server's SETTINGS before an extended CONNECT,
// which RFC 9220 section 3 allows only once the server has enabled it.
func (cs *clientStream) waitConnectProtocol() error {
	c := cs.cc.c
	select {
	case <-c.settingsCh:
	case <-cs.req.Context().Done():
		return context.Cause(cs.req.Context())
	case <-c.qc.Context().Done():
		return fromQUIC(context.Cause(c.qc.Context()))
	}
	if p, _ := c.peer(); !p.enableConnectProtocol {
		return errors.New("http3: the server does not support extended CONNECT (SETTINGS_ENABLE_CONNECT_PROTOCOL)")
	}
	return nil
}

// writeBody sends the request body as DATA frames, then its trailers and the end
// of the stream. A body that fails resets the stream with H3_REQUEST_CANCELLED.
func (cs *clientStream) writeBody() {
	defer cs.release()
	req := cs.req
	defer req.Body.Close()
	if cs.cont != nil {
		d := cs.cc.t.ExpectContinueTimeout
		if d == 0 {
			d = time.Second
		}
		if cs.trace != nil && cs.trace.Wait100Continue != nil {
			cs.trace.Wait100Continue()
		}
		timer := time.NewTimer(d)
		select {
		case <-cs.cont:
		case <-timer.C:
		case <-cs.str.Context().Done():
		}
		timer.Stop()
		cs.mu.Lock()
		skip := cs.skipBody
		cs.mu.Unlock()
		if skip || cs.str.Context().Err() != nil {
			cs.str.CancelWrite(uint64(ErrCodeRequestCancelled))
			return
		}
	}
	err := cs.copyBody()
	if err == nil {
		err = cs.writeTrailers()
	}
	if cs.trace != nil && cs.trace.WroteRequest != nil {
		cs.trace.WroteRequest(httptrace.WroteRequestInfo{Err: err})
	}
	if err != nil {
		cs.mu.Lock()
		cs.bodyErr = err
		cs.mu.Unlock()
		cs.str.CancelWrite(uint64(ErrCodeRequestCancelled))
	}
}

// copyBody frames the request body into DATA frames, reading into the space right
// after a reserved frame header so that each frame leaves in one write.
func (cs *clientStream) copyBody() error {
	bp := bodyBufPool.Get().(*[]byte)
	defer bodyBufPool.Put(bp)
	buf := *bp
	var sent int64
	for {
		n, rerr := cs.req.Body.Read(buf[9:])
		if n > 0 {
			hdr := appendFrameHeader(make([]byte, 0, 9), frameData, uint64(n))
			start := 9 - len(hdr)
			copy(buf[start:], hdr)
			if _, err := cs.str.Write(buf[start : 9+n]); err != nil {
				return err
			}
			sent += int64(n)
		}
		if rerr == io.EOF {
			if cl := cs.req.ContentLength; cl > 0 && sent != cl {
				return errors.New("http3: request body of " + strconv.FormatInt(sent, 10) +
					" bytes, but ContentLength is " + strconv.FormatInt(cl, 10))
			}
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

// writeTrailers sends the request's trailers, if any, and ends the stream.
func (cs *clientStream) writeTrailers() error {
	if len(cs.req.Trailer) == 0 {
		return cs.str.Close()
	}
	fields := appendTrailerFields(nil, cs.req.Trailer)
	b, err := cs.cc.c.encodeHeaders(nil, uint64(cs.str.StreamID()), fields)
	if err != nil {
		return err
	}
	_, err = cs.str.WriteAndClose(b)
	return err
}

// release drops one of the stream's two users; the request ends with the last.
func (cs *clientStream) release() {
	cs.mu.Lock()
	cs.refs--
	last := cs.refs == 0
	cs.mu.Unlock()
	if last {
		cs.cc.end()
	}
}

// fail abandons a request that got no usable response.
func (cs *clientStream) fail() {
	cs.cc.c.cancelStreamDecoding(uint64(cs.str.StreamID()))
	resetStream(cs.str, ErrCodeRequestCancelled)
	if cs.fr != nil {
		cs.fr.release()
	}
	cs.release()
}

// readResponse reads interim responses, then the final response's headers.
func (cs *clientStream) readResponse() (*http.Response, error) {
	cc := cs.cc
	if d := cc.t.ResponseHeaderTimeout; d > 0 {
		cs.str.SetReadDeadline(time.Now().Add(d))
	}
	cs.frv.r = cs.str
	cs.fr = &cs.frv
	first := true
	for {
		fields, err := cc.c.readHeaderSection(cs.req.Context(), cs.fr, uint64(cs.str.StreamID()))
		if err == io.EOF {
			return nil, errors.New("http3: stream ended without a response")
		}
		if err != nil {
			cc.c.fail(err)
			return nil, err
		}
		if first && cs.trace != nil && cs.trace.GotFirstResponseByte != nil {
			cs.trace.GotFirstResponseByte()
		}
		first = false
		status, header, contentLength, err := responseFromFields(fields)
		if err != nil {
			// A malformed response is a stream error (RFC 9114 section 4.1.2): the
			// stream is reset with its code, H3_MESSAGE_ERROR.
			var e *Error
			if errors.As(err, &e) && !e.conn {
				resetStream(cs.str, e.Code)
			}
			return nil, err
		}
		if status < 200 {
			if err := cs.onInformational(status, header); err != nil {
				return nil, err
			}
			continue
		}
		if cc.t.ResponseHeaderTimeout > 0 {
			cs.str.SetReadDeadline(time.Time{})
		}
		cs.onFinalStatus(status)
		return cs.newResponse(status, header, contentLength), nil
	}
}

// onFinalStatus releases a body held for 100-continue: a success lets it go, an
// error status means the server did not want it (RFC 9110 section 10.1.1), so it
// is not sent.
func (cs *clientStream) onFinalStatus(status int) {
	if cs.cont == nil {
		return
	}
	cs.mu.Lock()
	select {
	case <-cs.cont:
	default:
		cs.skipBody = status >= 300
		close(cs.cont)
	}
	cs.mu.Unlock()
}

// onInformational handles a 1xx response.
func (cs *clientStream) onInformational(status int, header http.Header) error {
	if status == http.StatusContinue && cs.cont != nil {
		cs.mu.Lock()
		select {
		case <-cs.cont:
		default:
			close(cs.cont)
		}
		cs.mu.Unlock()
	}
	if cs.trace != nil && cs.trace.Got1xxResponse != nil {
		return cs.trace.Got1xxResponse(status, textproto.MIMEHeader(header))
	}
	return nil
}

// newResponse builds the http.Response for the final header section.
func (cs *clientStream) newResponse(status int, header http.Header, contentLength int64) *http.Response {
	resp := &http.Response{
		Status:     strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode: status,
		Proto:      "HTTP/3.0",
		ProtoMajor: 3,
		Header:     header,
		Request:    cs.req,
	}
	state := cs.cc.c.qc.ConnectionState().TLS
	resp.TLS = &state
	noBody := cs.req.Method == http.MethodHead || !bodyAllowedForStatus(status)
	resp.ContentLength = contentLength
	if noBody && status != http.StatusNotModified && cs.req.Method != http.MethodHead {
		resp.ContentLength = 0
	}
	if v, ok := header["Trailer"]; ok {
		resp.Trailer = make(http.Header)
		for _, k := range v {
			for _, name := range splitComma(k) {
				resp.Trailer[http.CanonicalHeaderKey(name)] = nil
			}
		}
	}
	return resp
}

// attachBody gives the response its streamed body.
func (cs *clientStream) attachBody(resp *http.Response, stop func() bool) {
	noBody := cs.req.Method == http.MethodHead || !bodyAllowedForStatus(resp.StatusCode)
	cl := resp.ContentLength
	if noBody {
		cl = 0
	}
	rb := &cs.rb
	*rb = responseBody{cs: cs, resp: resp, stop: stop}
	rb.b = body{c: cs.cc.c, fr: cs.fr, streamID: uint64(cs.str.StreamID()), ctx: cs.req.Context(),
		contentLength: cl, owner: rb}
	resp.Body = rb
	if !cs.cc.t.DisableCompression && cs.cc.t.wantsGzip(cs.req) && !noBody &&
		asciiEqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		resp.Header.Del("Content-Encoding")
		resp.Header.Del("Content-Length")
		resp.ContentLength = -1
		resp.Uncompressed = true
		resp.Body = &gzipBody{body: rb}
	}
}

// responseBody is a response's Body: it reads DATA frames straight from the
// stream, and closing it before the end stops the server (H3_REQUEST_CANCELLED).
type responseBody struct {
	cs   *clientStream
	resp *http.Response
	b    body
	stop func() bool
	once sync.Once
}

// bodyTrailers stores the trailers in the response (bodyOwner).
func (r *responseBody) bodyTrailers(h http.Header) {
	if r.resp.Trailer == nil {
		r.resp.Trailer = make(http.Header, len(h))
	}
	for k, vv := range h {
		r.resp.Trailer[k] = vv
	}
}

func (r *responseBody) bodyFirstRead() {}

// bodyError resets the stream when the response breaks a rule (bodyOwner).
func (r *responseBody) bodyError(e *Error) { resetStream(r.cs.str, e.Code) }

// bodyDone ends the response's share of the stream (bodyOwner).
func (r *responseBody) bodyDone(error) { r.finish() }

func (r *responseBody) Read(p []byte) (int, error) {
	n, err := r.b.Read(p)
	if err != nil && err != io.EOF {
		err = r.cs.classifyBody(err)
	}
	return n, err
}

// Close implements io.Closer.
func (r *responseBody) Close() error {
	if !r.b.finished.Load() {
		r.cs.str.CancelRead(uint64(ErrCodeRequestCancelled))
		r.cs.cc.c.cancelStreamDecoding(uint64(r.cs.str.StreamID()))
	}
	r.b.close()
	r.finish()
	return nil
}

// finish ends the response's share of the stream, once.
func (r *responseBody) finish() {
	r.once.Do(func() {
		r.stop()
		r.cs.fr.release()
		r.cs.release()
	})
}

// gzipBody decompresses a gzip-encoded response body lazily.
type gzipBody struct {
	body *responseBody
	zr   *gzip.Reader
	err  error
}

func (g *gzipBody) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	if g.zr == nil {
		zr, err := gzip.NewReader(g.body)
		if err != nil {
			g.err = err
			return 0, err
		}
		g.zr = zr
	}
	return g.zr.Read(p)
}

func (g *gzipBody) Close() error { return g.body.Close() }

// classify turns a failed round trip into the error RoundTrip returns, marking
// what may be retried.
func (cs *clientStream) classify(err error) error {
	cs.mu.Lock()
	goaway := cs.goaway
	cs.mu.Unlock()
	req := cs.req
	if req.Context().Err() != nil {
		return context.Cause(req.Context())
	}
	if goaway {
		return &retryableError{err: errors.New("http3: request not processed: server sent GOAWAY")}
	}
	if errors.Is(err, quic.Err0RTTRejected) {
		return &retryableError{err: err}
	}
	if id, ok := cs.cc.c.goaway(); ok && uint64(cs.str.StreamID()) >= id {
		return &retryableError{err: errors.New("http3: request not processed: server sent GOAWAY")}
	}
	err = fromQUIC(err)
	var e *Error
	if errors.As(err, &e) && e.Remote && !e.conn && e.Code == ErrCodeRequestRejected {
		return &retryableError{err: err}
	}
	return cs.cc.connFailure(req, err, cs.fr != nil && cs.fr.start > 0)
}

// connFailure marks a request whose connection died before any response as
// retryable once, when it is idempotent.
func (cc *clientConn) connFailure(req *http.Request, err error, gotBytes bool) error {
	err = fromQUIC(err)
	if cc.c.qc.Context().Err() != nil && !gotBytes && isIdempotent(req) {
		return &retryableError{err: err, onceOnly: true}
	}
	return err
}

// classifyBody translates errors met while reading the response body.
func (cs *clientStream) classifyBody(err error) error {
	if cs.req.Context().Err() != nil {
		return context.Cause(cs.req.Context())
	}
	return err
}

// splitComma splits a comma-separated header value into trimmed non-empty items.
func splitComma(v string) []string {
	var out []string
	for len(v) > 0 {
		var item string
		i := 0
		for i < len(v) && v[i] != ',' {
			i++
		}
		item, v = v[:i], v[min(i+1, len(v)):]
		for len(item) > 0 && (item[0] == ' ' || item[0] == '\t') {
			item = item[1:]
		}
		for len(item) > 0 && (item[len(item)-1] == ' ' || item[len(item)-1] == '\t') {
			item = item[:len(item)-1]
		}
		if item != "" {
			out = append(out, item)
		}
	}
	return out
}
