package http3

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/h3wasi/h3wasi/quic"
	"github.com/h3wasi/h3wasi/wasi"
)

// NextProtoH3 is the ALPN protocol identifier of HTTP/3 (RFC 9114 section 3.1).
const NextProtoH3 = "h3"

// ErrServerClosed is returned by the Server's Serve methods after Close or Shutdown,
// like http.ErrServerClosed.
var ErrServerClosed = http.ErrServerClosed

// Server serves HTTP/3 requests with an http.Handler. Its fields follow
// http.Server's where they mean the same; set them before serving and do not
// change them after.
type Server struct {
	// Addr is the UDP address ListenAndServe listens on, ":443" if empty.
	Addr string
	// Handler answers requests; http.DefaultServeMux if nil.
	Handler http.Handler
	// TLSConfig holds the certificates. "h3" is added to NextProtos, and TLS 1.3 is
	// required whatever MinVersion says (RFC 9001).
	TLSConfig *tls.Config
	// QUICConfig configures the QUIC connections; nil means quic's defaults, with
	// datagrams enabled when EnableDatagrams is set.
	QUICConfig *quic.Config

	// MaxHeaderBytes bounds the size of a request's header section, as decoded
	// (RFC 9114 SETTINGS_MAX_FIELD_SECTION_SIZE, announced to clients). A request
	// over it is answered 431. Default DefaultMaxHeaderBytes.
	MaxHeaderBytes int
	// IdleTimeout closes a connection that has had no request in flight for this
	// long, with a GOAWAY first. 0 leaves idle connections to QUIC's idle timeout.
	IdleTimeout time.Duration
	// ReadHeaderTimeout bounds the time from a request stream's opening to its
	// complete header section; 0 means no limit.
	ReadHeaderTimeout time.Duration
	// WriteTimeout, if set, is the deadline for writing each response, counted
	// from the end of its request headers, as in net/http.
	WriteTimeout time.Duration

	// BaseContext returns the base context of the requests of a listener; default
	// context.Background().
	BaseContext func(*quic.Listener) context.Context
	// ConnContext derives the context of a connection's requests from the base.
	ConnContext func(ctx context.Context, c *quic.Conn) context.Context

	// QPACKMaxTableCapacity is the dynamic table size clients may use to compress
	// the requests they send. Default DefaultQPACKMaxTableCapacity; negative
	// disables the dynamic table.
	QPACKMaxTableCapacity int
	// QPACKBlockedStreams is how many request streams may wait on QPACK inserts at
	// once. Default DefaultQPACKBlockedStreams; negative allows none.
	QPACKBlockedStreams int

	// EnableDatagrams announces HTTP datagrams (RFC 9297, SETTINGS_H3_DATAGRAM) and
	// turns on QUIC datagrams; handlers reach them through RequestStream.
	EnableDatagrams bool
	// EnableConnectProtocol announces extended CONNECT (RFC 9220,
	// SETTINGS_ENABLE_CONNECT_PROTOCOL): requests then may carry a :protocol,
	// which the handler finds in Request.Header[":protocol"].
	EnableConnectProtocol bool

	// Logger receives the server's logs: handler panics at Error level, and
	// connection events at Debug level. Nil means no logs.
	Logger *slog.Logger

	mu         sync.Mutex
	listeners  map[*quic.Listener]bool
	conns      map[*serverConn]struct{}
	onShutdown []func()
	closing    atomic.Bool
	connsDone  chan struct{} // signalled when a connection ends during Shutdown
}

// ListenAndServe listens on s.Addr (UDP) and serves requests with s.TLSConfig's
// certificates.
func (s *Server) ListenAndServe() error {
	if s.TLSConfig == nil || (len(s.TLSConfig.Certificates) == 0 && s.TLSConfig.GetCertificate == nil &&
		s.TLSConfig.GetConfigForClient == nil) {
		return errors.New("http3: ListenAndServe needs a TLSConfig with a certificate")
	}
	return s.listenAndServe(s.TLSConfig)
}

// ListenAndServeTLS listens on s.Addr (UDP) and serves requests with the
// certificate and key in certFile and keyFile (PEM).
func (s *Server) ListenAndServeTLS(certFile, keyFile string) error {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return err
	}
	conf := &tls.Config{}
	if s.TLSConfig != nil {
		conf = s.TLSConfig.Clone()
	}
	conf.Certificates = append(conf.Certificates, cert)
	return s.listenAndServe(conf)
}

func (s *Server) listenAndServe(conf *tls.Config) error {
	if s.closing.Load() {
		return ErrServerClosed
	}
	addr := s.Addr
	if addr == "" {
		addr = ":443"
	}
	pc, err := wasi.ListenPacket("udp", addr)
	if err != nil {
		return err
	}
	return s.serve(pc, conf)
}

// Serve serves HTTP/3 on the datagram socket pc (a *net.UDPConn, a netsim
// endpoint, a wasi socket...) with s.TLSConfig. The socket is closed when Serve
// returns.
func (s *Server) Serve(pc net.PacketConn) error {
	if s.TLSConfig == nil {
		return errors.New("http3: Serve needs a TLSConfig with a certificate")
	}
	return s.serve(pc, s.TLSConfig)
}

// serve runs a listener on its own transport over pc. The transport, and with it
// the socket, closes once the listener stopped and its last connection ended, so
// that Shutdown lets the requests in flight finish.
func (s *Server) serve(pc net.PacketConn, conf *tls.Config) error {
	t := &quic.Transport{Conn: pc}
	ln, err := t.ListenEarly(s.tlsConfig(conf), s.quicConfig())
	if err != nil {
		pc.Close()
		return err
	}
	var conns sync.WaitGroup
	err = s.serveListener(ln, &conns)
	go func() {
		conns.Wait()
		t.Close()
	}()
	return err
}

// tlsConfig returns a copy of conf that offers h3 and TLS 1.3 only.
func (s *Server) tlsConfig(conf *tls.Config) *tls.Config {
	c := conf.Clone()
	if !slices.Contains(c.NextProtos, NextProtoH3) {
		c.NextProtos = append([]string{NextProtoH3}, c.NextProtos...)
	}
	c.MinVersion = tls.VersionTLS13
	return c
}

// quicConfig returns the QUIC configuration of the server's listeners.
func (s *Server) quicConfig() *quic.Config {
	var c quic.Config
	if s.QUICConfig != nil {
		c = *s.QUICConfig
	}
	if s.EnableDatagrams {
		c.EnableDatagrams = true
	}
	return &c
}

// ServeListener serves the connections of ln (which must offer the "h3" ALPN
// protocol) until ln fails or the server closes. ln is closed when it returns.
func (s *Server) ServeListener(ln *quic.Listener) error {
	return s.serveListener(ln, nil)
}

// serveListener serves ln; conns, if set, counts its connections in flight.
func (s *Server) serveListener(ln *quic.Listener, conns *sync.WaitGroup) error {
	if !s.track(ln) {
		ln.Close()
		return ErrServerClosed
	}
	defer s.untrack(ln)
	ctx := context.Background()
	if s.BaseContext != nil {
		if ctx = s.BaseContext(ln); ctx == nil {
			panic("http3: BaseContext returned a nil context")
		}
	}
	for {
		qc, err := ln.Accept(context.Background())
		if err != nil {
			if s.closing.Load() {
				return ErrServerClosed
			}
			return err
		}
		if conns != nil {
			conns.Add(1)
		}
		go func() {
			if conns != nil {
				defer conns.Done()
			}
			s.serveConn(ctx, qc)
		}()
	}
}

// ServeQUICConn serves one QUIC connection that already negotiated "h3", and
// returns when it ends.
func (s *Server) ServeQUICConn(qc *quic.Conn) error {
	return s.serveConn(context.Background(), qc)
}

func (s *Server) track(ln *quic.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return false
	}
	if s.listeners == nil {
		s.listeners = make(map[*quic.Listener]bool)
	}
	s.listeners[ln] = true
	return true
}

func (s *Server) untrack(ln *quic.Listener) {
	s.mu.Lock()
	delete(s.listeners, ln)
	s.mu.Unlock()
	ln.Close()
}

func (s *Server) handler() http.Handler {
	if s.Handler != nil {
		return s.Handler
	}
	return http.DefaultServeMux
}

// connConfig returns the HTTP/3 settings of the server's connections.
func (s *Server) connConfig() connConfig {
	return newConnConfig(s.QPACKMaxTableCapacity, s.QPACKBlockedStreams, int64(s.MaxHeaderBytes),
		s.EnableConnectProtocol, s.EnableDatagrams, s.Logger)
}

// RegisterOnShutdown registers a function to call when Shutdown starts, as
// http.Server's does.
func (s *Server) RegisterOnShutdown(f func()) {
	s.mu.Lock()
	s.onShutdown = append(s.onShutdown, f)
	s.mu.Unlock()
}

// Close closes the listeners and every connection at once (H3_NO_ERROR), without
// waiting for requests in flight.
func (s *Server) Close() error {
	s.closing.Store(true)
	s.mu.Lock()
	lns := s.listenersLocked()
	conns := s.connsLocked()
	s.mu.Unlock()
	for _, ln := range lns {
		ln.Close()
	}
	for _, sc := range conns {
		sc.c.closeWithError(&Error{Code: ErrCodeNoError, Reason: "server closed", conn: true})
	}
	return nil
}

func (s *Server) listenersLocked() []*quic.Listener {
	var lns []*quic.Listener
	for ln := range s.listeners {
		lns = append(lns, ln)
	}
	return lns
}

func (s *Server) connsLocked() []*serverConn {
	var conns []*serverConn
	for sc := range s.conns {
		conns = append(conns, sc)
	}
	return conns
}

// Shutdown shuts the server down gracefully: it stops accepting connections, sends
// each connection a GOAWAY that lets its requests in flight finish and tells the
// client to send new ones elsewhere (RFC 9114 section 5.2), waits for those
// requests to complete and for the clients to close, then closes what is left. If
// ctx ends first, Shutdown closes every connection and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	s.mu.Lock()
	lns := s.listenersLocked()
	hooks := slices.Clone(s.onShutdown)
	if s.connsDone == nil {
		s.connsDone = make(chan struct{}, 1)
	}
	done := s.connsDone
	conns := s.connsLocked()
	s.mu.Unlock()
	for _, f := range hooks {
		go f()
	}
	for _, ln := range lns {
		ln.Close()
	}
	for _, sc := range conns {
		sc.shutdown()
	}
	for {
		s.mu.Lock()
		n := len(s.conns)
		s.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-done:
		case <-ctx.Done():
			s.Close()
			return ctx.Err()
		}
	}
}

// addConn registers a connection; false once the server is closing.
func (s *Server) addConn(sc *serverConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns == nil {
		s.conns = make(map[*serverConn]struct{})
	}
	s.conns[sc] = struct{}{}
	return true
}

func (s *Server) removeConn(sc *serverConn) {
	s.mu.Lock()
	delete(s.conns, sc)
	done := s.connsDone
	s.mu.Unlock()
	if done != nil {
		select {
		case done <- struct{}{}:
		default:
		}
	}
}
