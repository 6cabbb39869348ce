package interop

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"sync"
	"time"

	"github.com/h3wasi/h3wasi/internal/selfsigned"

	quicgo "github.com/quic-go/quic-go"

	"github.com/h3wasi/h3wasi/quic"
)

// The tests and benchmarks run both stacks through these small interfaces, so that every
// case can pair any client with any server.

// stack is a QUIC implementation.
type stack interface {
	name() string
	// transport runs the stack over pc; closing it closes pc and its connections.
	transport(pc net.PacketConn) tport
}

// tport is a stack's transport: one socket, any number of connections.
type tport interface {
	listen(tc *tls.Config, c *cfg) (listener, error)
	dial(ctx context.Context, addr net.Addr, tc *tls.Config, c *cfg) (conn, error)
	Close() error
}

// cfg holds the settings both stacks share.
type cfg struct {
	idle       time.Duration
	maxStreams int64
	retry      bool // servers validate addresses with Retry (h3wasi only)
	datagrams  bool // RFC 9221
}

type listener interface {
	Accept(ctx context.Context) (conn, error)
	Close() error
}

type conn interface {
	OpenStreamSync(ctx context.Context) (io.ReadWriteCloser, error)
	AcceptStream(ctx context.Context) (io.ReadWriteCloser, error)
	CloseWithError(code uint64, reason string) error
	TLS() tls.ConnectionState
	Done() <-chan struct{}
	SendDatagram(p []byte) error
	ReceiveDatagram(ctx context.Context) ([]byte, error)
}

// ---- h3wasi

type h3wasiStack struct{}

func (h3wasiStack) name() string { return "h3wasi" }

func (h3wasiStack) transport(pc net.PacketConn) tport { return h3Transport{&quic.Transport{Conn: pc}} }

type h3Transport struct{ tr *quic.Transport }

func h3Conf(c *cfg) *quic.Config {
	if c == nil {
		return nil
	}
	return &quic.Config{MaxIdleTimeout: c.idle, MaxIncomingStreams: c.maxStreams,
		RequireAddressValidation: c.retry, EnableDatagrams: c.datagrams}
}

func (t h3Transport) listen(tc *tls.Config, c *cfg) (listener, error) {
	ln, err := t.tr.Listen(tc, h3Conf(c))
	if err != nil {
		return nil, err
	}
	return h3Listener{ln}, nil
}

func (t h3Transport) dial(ctx context.Context, addr net.Addr, tc *tls.Config, c *cfg) (conn, error) {
	qc, err := t.tr.Dial(ctx, addr, tc, h3Conf(c))
	if err != nil {
		return nil, err
	}
	return h3Conn{qc}, nil
}

func (t h3Transport) Close() error { return t.tr.Close() }

type h3Listener struct{ ln *quic.Listener }

func (l h3Listener) Accept(ctx context.Context) (conn, error) {
	c, err := l.ln.Accept(ctx)
	if err != nil {
		return nil, err
	}
	return h3Conn{c}, nil
}

func (l h3Listener) Close() error { return l.ln.Close() }

type h3Conn struct{ c *quic.Conn }

func (c h3Conn) OpenStreamSync(ctx context.Context) (io.ReadWriteCloser, error) {
	return c.c.OpenStreamSync(ctx)
}

func (c h3Conn) AcceptStream(ctx context.Context) (io.ReadWriteCloser, error) {
	return c.c.AcceptStream(ctx)
}

func (c h3Conn) CloseWithError(code uint64, r string) error { return c.c.CloseWithError(code, r) }
func (c h3Conn) TLS() tls.ConnectionState                   { return c.c.ConnectionState().TLS }
func (c h3Conn) Done() <-chan struct{}                      { return c.c.Context().Done() }
func (c h3Conn) SendDatagram(p []byte) error                { return c.c.SendDatagram(p) }

func (c h3Conn) ReceiveDatagram(ctx context.Context) ([]byte, error) {
	return c.c.ReceiveDatagram(ctx)
}

// ---- quic-go

type quicGoStack struct{}

func (quicGoStack) name() string { return "quic-go" }

func (quicGoStack) transport(pc net.PacketConn) tport {
	return qgTransport{&quicgo.Transport{Conn: pc}}
}

type qgTransport struct{ tr *quicgo.Transport }

func qgConf(c *cfg) *quicgo.Config {
	if c == nil {
		return nil
	}
	return &quicgo.Config{MaxIdleTimeout: c.idle, MaxIncomingStreams: c.maxStreams,
		EnableDatagrams: c.datagrams}
}

func (t qgTransport) listen(tc *tls.Config, c *cfg) (listener, error) {
	ln, err := t.tr.Listen(tc, qgConf(c))
	if err != nil {
		return nil, err
	}
	return qgListener{ln}, nil
}

func (t qgTransport) dial(ctx context.Context, addr net.Addr, tc *tls.Config, c *cfg) (conn, error) {
	qc, err := t.tr.Dial(ctx, addr, tc, qgConf(c))
	if err != nil {
		return nil, err
	}
	return qgConn{qc}, nil
}

// Close closes the transport and, since quic-go leaves a socket it did not open alone,
// the socket.
func (t qgTransport) Close() error {
	err := t.tr.Close()
	t.tr.Conn.Close()
	return err
}

type qgListener struct{ ln *quicgo.Listener }

func (l qgListener) Accept(ctx context.Context) (conn, error) {
	c, err := l.ln.Accept(ctx)
	if err != nil {
		return nil, err
	}
	return qgConn{c}, nil
}

func (l qgListener) Close() error { return l.ln.Close() }

type qgConn struct{ c *quicgo.Conn }

func (c qgConn) OpenStreamSync(ctx context.Context) (io.ReadWriteCloser, error) {
	return c.c.OpenStreamSync(ctx)
}

func (c qgConn) AcceptStream(ctx context.Context) (io.ReadWriteCloser, error) {
	return c.c.AcceptStream(ctx)
}

func (c qgConn) CloseWithError(code uint64, r string) error {
	return c.c.CloseWithError(quicgo.ApplicationErrorCode(code), r)
}
func (c qgConn) TLS() tls.ConnectionState    { return c.c.ConnectionState().TLS }
func (c qgConn) Done() <-chan struct{}       { return c.c.Context().Done() }
func (c qgConn) SendDatagram(p []byte) error { return c.c.SendDatagram(p) }

func (c qgConn) ReceiveDatagram(ctx context.Context) ([]byte, error) {
	return c.c.ReceiveDatagram(ctx)
}

// ---- certificates

var testCert = sync.OnceValues(func() (tls.Certificate, *x509.CertPool) {
	return selfsigned.MustFixed("h3wasi interop", []string{"localhost"}, net.IPv4(127, 0, 0, 1), net.IPv4(10, 0, 0, 1))
})

const alpn = "h3wasi-interop"

func serverTLS() *tls.Config {
	cert, _ := testCert()
	return &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{alpn}}
}

func clientTLS() *tls.Config {
	_, pool := testCert()
	return &tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: []string{alpn}}
}
