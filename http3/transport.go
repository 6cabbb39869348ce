package http3

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"time"

	"github.com/h3wasi/h3wasi/quic"
)

// Transport is an http.RoundTripper that sends requests over HTTP/3:
//
//	client := &http.Client{Transport: &http3.Transport{}}
//
// It keeps one QUIC connection per authority (host:port), shared by concurrent
// requests; concurrent first requests share one dial. Requests the server did not
// process (beyond its GOAWAY, or rejected with H3_REQUEST_REJECTED) are retried on
// a new connection whatever their method, and an idempotent request whose
// connection died before any response is retried once, when its body can be
// replayed (Request.GetBody). Its fields follow http.Transport's where they mean
// the same; set them before the first request and do not change them after. A
// Transport is safe for concurrent use.
type Transport struct {
	// TLSClientConfig configures TLS; "h3" is offered as ALPN whatever NextProtos
	// says.
	TLSClientConfig *tls.Config
	// QUICConfig configures the QUIC connections; nil means quic's defaults.
	QUICConfig *quic.Config
	// Dial opens a QUIC connection to addr (host:port); nil uses a new UDP socket
	// per connection (package wasi's, so that the same program runs natively and
	// in WebAssembly). A Dial that returns before the handshake completes (like
	// quic.Transport.DialEarly) lets requests go out as 0-RTT data.
	Dial func(ctx context.Context, addr string, tlsConf *tls.Config, conf *quic.Config) (*quic.Conn, error)
	// DialTimeout bounds a dial, handshake included; default 30 s.
	DialTimeout time.Duration

	// ResponseHeaderTimeout, if non-zero, bounds the wait for a response's header
	// section after the request was written.
	ResponseHeaderTimeout time.Duration
	// ExpectContinueTimeout is how long a request with "Expect: 100-continue"
	// waits for the server's 100 before sending its body anyway; default 1 s.
	ExpectContinueTimeout time.Duration
	// MaxResponseHeaderBytes bounds a response's header section (announced as
	// SETTINGS_MAX_FIELD_SECTION_SIZE); default DefaultMaxHeaderBytes.
	MaxResponseHeaderBytes int64
	// IdleConnTimeout closes a connection that has had no request in flight for
	// this long; 0 means 90 s, negative never.
	IdleConnTimeout time.Duration
	// DisableCompression stops the transport from asking for gzip and
	// decompressing responses transparently, as in net/http.
	DisableCompression bool

	// Allow0RTT lets idempotent requests (GET, HEAD, OPTIONS, TRACE, and those
	// with an Idempotency-Key header) ride in 0-RTT data when
	// TLSClientConfig.ClientSessionCache holds a session ticket that allows it.
	// Requests are resent after the handshake if the server rejects 0-RTT.
	// 0-RTT data can be replayed by an attacker.
	Allow0RTT bool
	// EnableDatagrams announces HTTP datagrams (RFC 9297) and turns on QUIC
	// datagrams; see RequestStream.
	EnableDatagrams bool
	// QPACKMaxTableCapacity and QPACKBlockedStreams are what the server's encoder
	// may use to compress responses; defaults DefaultQPACKMaxTableCapacity and
	// DefaultQPACKBlockedStreams, negative disables.
	QPACKMaxTableCapacity, QPACKBlockedStreams int

	// Logger receives debug logs of connection events; nil means none.
	Logger *slog.Logger

	mu     sync.Mutex
	conns  map[string]*clientConn
	closed bool
}

// ErrTransportClosed is returned by RoundTrip after Close.
var ErrTransportClosed = errors.New("http3: transport closed")

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL == nil {
		closeBody(req)
		return nil, errors.New("http3: nil Request.URL")
	}
	if req.URL.Scheme != "https" {
		closeBody(req)
		return nil, errors.New("http3: unsupported protocol scheme " + req.URL.Scheme)
	}
	if req.URL.Host == "" && req.Host == "" {
		closeBody(req)
		return nil, errors.New("http3: no Host in request URL")
	}
	addr := authorityAddr(req.URL)
	for attempt := 0; ; attempt++ {
		cc, err := t.getConn(req, addr)
		if err != nil {
			closeBody(req)
			return nil, err
		}
		resp, err := cc.roundTrip(req)
		if err == nil {
			return resp, nil
		}
		var re *retryableError
		if !errors.As(err, &re) || (re.onceOnly && attempt > 0) || attempt >= 3 {
			if errors.As(err, &re) {
				err = re.err
			}
			closeBody(req)
			return nil, err
		}
		// "On a new connection": this one may go on serving the requests it
		// accepted, but the retry must not land on it again.
		t.removeConn(cc)
		if req, err = rewindBody(req); err != nil {
			return nil, re.err
		}
		if t.Logger != nil {
			t.Logger.Debug("http3: retrying request", slog.String("url", req.URL.String()), slog.Any("reason", re.err))
		}
	}
}

// retryableError is a request failure after which the request may be sent again
// on a new connection: the server did not process it, or (onceOnly) the
// connection died before any response to an idempotent request.
type retryableError struct {
	err      error
	onceOnly bool
}

func (e *retryableError) Error() string { return e.err.Error() }
func (e *retryableError) Unwrap() error { return e.err }

// rewindBody returns the request to send again: its body replayed with GetBody.
func rewindBody(req *http.Request) (*http.Request, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return req, nil
	}
	if req.GetBody == nil {
		return nil, errors.New("http3: cannot retry a request whose body cannot be replayed")
	}
	b, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	r := *req
	r.Body = b
	return &r, nil
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// authorityAddr returns host:port for a URL, port 443 by default.
func authorityAddr(u interface {
	Hostname() string
	Port() string
}) string {
	port := u.Port()
	if port == "" {
		port = "443"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// getConn returns the connection for addr, dialing it if there is none; requests
// arriving during a dial wait for it.
func (t *Transport) getConn(req *http.Request, addr string) (*clientConn, error) {
	trace := httptrace.ContextClientTrace(req.Context())
	if trace != nil && trace.GetConn != nil {
		trace.GetConn(addr)
	}
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil, ErrTransportClosed
	}
	cc := t.conns[addr]
	if cc != nil && !cc.usable() {
		delete(t.conns, addr)
		cc = nil
	}
	reused := cc != nil
	if cc == nil {
		cc = &clientConn{t: t, addr: addr, dialed: make(chan struct{})}
		if t.conns == nil {
			t.conns = make(map[string]*clientConn)
		}
		t.conns[addr] = cc
		t.mu.Unlock()
		cc.dial(req.Context(), trace)
	} else {
		t.mu.Unlock()
	}
	select {
	case <-cc.dialed:
	case <-req.Context().Done():
		return nil, context.Cause(req.Context())
	}
	if cc.dialErr != nil {
		t.removeConn(cc)
		return nil, cc.dialErr
	}
	if trace != nil && trace.GotConn != nil {
		trace.GotConn(httptrace.GotConnInfo{Conn: connAdapter{cc.c.qc}, Reused: reused, WasIdle: reused && cc.idle()})
	}
	return cc, nil
}

// removeConn forgets a connection that failed or is closing.
func (t *Transport) removeConn(cc *clientConn) {
	t.mu.Lock()
	if t.conns[cc.addr] == cc {
		delete(t.conns, cc.addr)
	}
	t.mu.Unlock()
}

// CloseIdleConnections closes the connections that have no request in flight.
func (t *Transport) CloseIdleConnections() {
	t.mu.Lock()
	var idle []*clientConn
	for _, cc := range t.conns {
		if cc.idle() {
			idle = append(idle, cc)
		}
	}
	t.mu.Unlock()
	for _, cc := range idle {
		cc.closeIfIdle()
	}
}

// Close closes every connection, in flight or not, and makes later requests fail.
func (t *Transport) Close() error {
	t.mu.Lock()
	t.closed = true
	conns := t.conns
	t.conns = nil
	t.mu.Unlock()
	for _, cc := range conns {
		select {
		case <-cc.dialed:
			if cc.c != nil {
				cc.c.goawayAndClose()
			}
		default:
		}
	}
	return nil
}

// tlsConfig returns the TLS configuration of a dial to addr.
func (t *Transport) tlsConfig(addr string) *tls.Config {
	var c *tls.Config
	if t.TLSClientConfig != nil {
		c = t.TLSClientConfig.Clone()
	} else {
		c = &tls.Config{}
	}
	c.NextProtos = []string{NextProtoH3}
	c.MinVersion = tls.VersionTLS13
	if c.ServerName == "" {
		if host, _, err := net.SplitHostPort(addr); err == nil {
			c.ServerName = host
		}
	}
	return c
}

func (t *Transport) quicConfig() *quic.Config {
	var c quic.Config
	if t.QUICConfig != nil {
		c = *t.QUICConfig
	}
	if t.EnableDatagrams {
		c.EnableDatagrams = true
	}
	if t.Allow0RTT {
		c.Allow0RTT = true
	}
	return &c
}

func (t *Transport) connConfig() connConfig {
	return newConnConfig(t.QPACKMaxTableCapacity, t.QPACKBlockedStreams, t.MaxResponseHeaderBytes,
		false, t.EnableDatagrams, t.Logger)
}

// dialQUIC opens a QUIC connection with t.Dial or, by default, from a new UDP
// socket that the connection owns.
func (t *Transport) dialQUIC(ctx context.Context, addr string, tlsConf *tls.Config, conf *quic.Config) (*quic.Conn, error) {
	if t.Dial != nil {
		return t.Dial(ctx, addr, tlsConf, conf)
	}
	if t.Allow0RTT && tlsConf.ClientSessionCache != nil {
		return quic.DialAddrEarly(ctx, addr, tlsConf, conf)
	}
	return quic.DialAddr(ctx, addr, tlsConf, conf)
}

// connAdapter presents a QUIC connection as the net.Conn that httptrace.GotConnInfo
// carries; only its addresses are meaningful.
type connAdapter struct{ qc *quic.Conn }

func (a connAdapter) Read([]byte) (int, error)         { return 0, errors.ErrUnsupported }
func (a connAdapter) Write([]byte) (int, error)        { return 0, errors.ErrUnsupported }
func (a connAdapter) Close() error                     { return nil }
func (a connAdapter) LocalAddr() net.Addr              { return a.qc.LocalAddr() }
func (a connAdapter) RemoteAddr() net.Addr             { return a.qc.RemoteAddr() }
func (a connAdapter) SetDeadline(time.Time) error      { return nil }
func (a connAdapter) SetReadDeadline(time.Time) error  { return nil }
func (a connAdapter) SetWriteDeadline(time.Time) error { return nil }

// isIdempotent reports whether a request may be sent twice (RFC 9110 section
// 9.2.2), as net/http decides for its retries.
func isIdempotent(req *http.Request) bool {
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	_, key := req.Header["Idempotency-Key"]
	_, xkey := req.Header["X-Idempotency-Key"]
	return key || xkey
}

// safeFor0RTT reports whether a request may ride in 0-RTT data: safe methods, and
// requests that declare themselves idempotent.
func safeFor0RTT(req *http.Request) bool {
	if safeMethod(req.Method) || req.Method == "" {
		return true
	}
	_, key := req.Header["Idempotency-Key"]
	return key
}

// wantsGzip reports whether the transport adds "accept-encoding: gzip".
func (t *Transport) wantsGzip(req *http.Request) bool {
	return !t.DisableCompression && req.Header.Get("Accept-Encoding") == "" &&
		req.Header.Get("Range") == "" && req.Method != http.MethodHead
}

var _ io.Closer = (*Transport)(nil)
