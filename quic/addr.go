package quic

import (
	"context"
	"crypto/tls"
	"net"

	"github.com/h3wasi/h3wasi/wasi"
)

// ListenAddr listens on a new UDP socket at addr (host:port). It opens the socket with
// package wasi, which is net.ListenPacket natively and the host's sockets under
// GOOS=wasip1, so the same program runs in both. Closing the Listener closes the socket
// and every connection.
func ListenAddr(addr string, tlsConf *tls.Config, conf *Config) (*Listener, error) {
	return listenAddr(addr, tlsConf, conf, false)
}

// ListenAddrEarly is ListenAddr for a Listener that hands out connections before their
// handshake completes, as Transport.ListenEarly's does.
func ListenAddrEarly(addr string, tlsConf *tls.Config, conf *Config) (*Listener, error) {
	return listenAddr(addr, tlsConf, conf, true)
}

func listenAddr(addr string, tlsConf *tls.Config, conf *Config, early bool) (*Listener, error) {
	pc, err := wasi.ListenPacket("udp", addr)
	if err != nil {
		return nil, err
	}
	t := &Transport{Conn: pc}
	ln, err := t.listen(tlsConf, conf, early)
	if err != nil {
		pc.Close()
		return nil, err
	}
	ln.ownsTransport = true
	return ln, nil
}

// DialAddr connects to addr (host:port) from a new UDP socket (opened like ListenAddr's),
// which the connection owns: it closes when the connection ends.
func DialAddr(ctx context.Context, addr string, tlsConf *tls.Config, conf *Config) (*Conn, error) {
	c, err := dialAddr(addr, tlsConf, conf)
	if err != nil {
		return nil, err
	}
	select {
	case <-c.handshakeDone:
		return c, nil
	case <-c.ctx.Done():
		c.t.Close()
		return nil, context.Cause(c.ctx)
	case <-ctx.Done():
		c.CloseWithError(0, "")
		return nil, ctx.Err()
	}
}

// DialAddrEarly is DialAddr that returns as soon as the first flight is out, as
// Transport.DialEarly does: with a session ticket that allows it, streams written
// before the handshake completes travel as 0-RTT data.
func DialAddrEarly(ctx context.Context, addr string, tlsConf *tls.Config, conf *Config) (*Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return dialAddr(addr, tlsConf, conf)
}

// dialAddr resolves addr, opens a UDP socket of its family and dials from it; the
// connection owns the socket's transport.
func dialAddr(addr string, tlsConf *tls.Config, conf *Config) (*Conn, error) {
	ua, err := wasi.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	if tlsConf != nil && tlsConf.ServerName == "" && !tlsConf.InsecureSkipVerify {
		// Verify the certificate against the name dialed, not the address it resolved to.
		if host, _, err := net.SplitHostPort(addr); err == nil {
			tlsConf = tlsConf.Clone()
			tlsConf.ServerName = host
		}
	}
	network, local := "udp4", "0.0.0.0:0"
	if ap := ua.AddrPort(); ap.Addr().Unmap().Is6() {
		network, local = "udp6", "[::]:0"
	}
	pc, err := wasi.ListenPacket(network, local)
	if err != nil {
		return nil, err
	}
	t := &Transport{Conn: pc}
	c, err := t.dial(ua, tlsConf, conf)
	if err != nil {
		pc.Close()
		return nil, err
	}
	t.mu.Lock()
	c.ownsTransport = true
	t.mu.Unlock()
	return c, nil
}
