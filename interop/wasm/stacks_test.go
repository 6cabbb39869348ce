package wasm_test

import (
	"context"
	"io"
	"net"
	"time"

	quicgo "github.com/quic-go/quic-go"

	"github.com/h3wasi/h3wasi/interop/wasm/internal/app"
	"github.com/h3wasi/h3wasi/quic"
)

// conn is the part of a client connection the tests use, for either stack.
type conn interface {
	OpenStreamSync(ctx context.Context) (io.ReadWriteCloser, error)
	Close() error
}

// dialer dials addr with one stack's native client.
type dialer struct {
	name string
	dial func(ctx context.Context, addr string, idle time.Duration) (conn, error)
}

var (
	ourDialer    = dialer{"h3wasi", dialOurs}
	quicGoDialer = dialer{"quic-go", dialQuicGo}
)

type ourConn struct{ c *quic.Conn }

func (c ourConn) OpenStreamSync(ctx context.Context) (io.ReadWriteCloser, error) {
	return c.c.OpenStreamSync(ctx)
}

func (c ourConn) Close() error { return c.c.CloseWithError(0, "") }

func dialOurs(ctx context.Context, addr string, idle time.Duration) (conn, error) {
	c, err := quic.DialAddr(ctx, addr, app.ClientTLS(), &quic.Config{MaxIdleTimeout: idle})
	if err != nil {
		return nil, err
	}
	return ourConn{c}, nil
}

type quicGoConn struct{ c *quicgo.Conn }

func (c quicGoConn) OpenStreamSync(ctx context.Context) (io.ReadWriteCloser, error) {
	return c.c.OpenStreamSync(ctx)
}

func (c quicGoConn) Close() error { return c.c.CloseWithError(0, "") }

func dialQuicGo(ctx context.Context, addr string, idle time.Duration) (conn, error) {
	c, err := quicgo.DialAddr(ctx, addr, app.ClientTLS(), &quicgo.Config{MaxIdleTimeout: idle})
	if err != nil {
		return nil, err
	}
	return quicGoConn{c}, nil
}

// serveOurs runs a native h3wasi server on loopback until the returned function is
// called.
func serveOurs() (addr string, stop func(), err error) {
	ln, err := quic.ListenAddr("127.0.0.1:0", app.ServerTLS(), &quic.Config{MaxIdleTimeout: 30 * time.Second})
	if err != nil {
		return "", nil, err
	}
	go func() {
		for {
			c, err := ln.Accept(context.Background())
			if err != nil {
				return
			}
			go func() {
				for {
					s, err := c.AcceptStream(context.Background())
					if err != nil {
						return
					}
					go app.Handle(s)
				}
			}()
		}
	}()
	return ln.Addr().String(), func() { ln.Close() }, nil
}

// serveQuicGo runs a native quic-go server on loopback until stop is called.
func serveQuicGo() (addr string, stop func(), err error) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	tr := &quicgo.Transport{Conn: pc}
	ln, err := tr.Listen(app.ServerTLS(), &quicgo.Config{MaxIdleTimeout: 30 * time.Second})
	if err != nil {
		pc.Close()
		return "", nil, err
	}
	go func() {
		for {
			c, err := ln.Accept(context.Background())
			if err != nil {
				return
			}
			go func() {
				for {
					s, err := c.AcceptStream(context.Background())
					if err != nil {
						return
					}
					go app.Handle(s)
				}
			}()
		}
	}()
	return pc.LocalAddr().String(), func() { tr.Close(); pc.Close() }, nil
}
