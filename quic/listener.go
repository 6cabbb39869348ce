package quic

import (
	"context"
	"net"
)

// Listener accepts the connections of a Transport's server side.
type Listener struct {
	t     *Transport
	conf  *Config
	queue []*Conn       // handshake complete, not yet accepted
	ready chan struct{} // signalled when queue grows or the listener closes
	// closed: Accept fails; new connections are refused.
	closed bool
	// ownsTransport: the Listener came from ListenAddr, so Close closes the transport.
	ownsTransport bool
	// early: connections are queued before their handshake completes (ListenEarly).
	early bool
}

// enqueue hands a connection whose handshake completed to Accept; t.mu is held.
func (l *Listener) enqueue(c *Conn) {
	if l.closed {
		// The handshake finished after Close: refuse the connection.
		c.core.CloseWithError(l.t.now(), 0, "server closed")
		return
	}
	l.queue = append(l.queue, c)
	signal(l.ready)
}

// Accept returns the next connection whose handshake completed, or for a Listener from
// ListenEarly or ListenAddrEarly, whose ClientHello was processed.
func (l *Listener) Accept(ctx context.Context) (*Conn, error) {
	t := l.t
	for {
		t.mu.Lock()
		if len(l.queue) > 0 {
			c := l.queue[0]
			l.queue[0] = nil
			l.queue = l.queue[1:]
			if len(l.queue) > 0 {
				signal(l.ready)
			}
			t.mu.Unlock()
			return c, nil
		}
		closed := l.closed
		t.mu.Unlock()
		if closed {
			return nil, ErrServerClosed
		}
		select {
		case <-l.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Close stops accepting: Accept fails with ErrServerClosed, new connections are refused
// and the ones not yet accepted are closed. Accepted connections stay open, unless the
// Listener came from ListenAddr: then its transport and all its connections close.
func (l *Listener) Close() error {
	t := l.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if l.ownsTransport {
		t.closeLocked(ErrServerClosed)
		return nil
	}
	l.closeLocked()
	return nil
}

// closeLocked marks the listener closed and closes the queued connections.
func (l *Listener) closeLocked() {
	if l.closed {
		return
	}
	l.closed = true
	now := l.t.now()
	for _, c := range l.queue {
		c.core.CloseWithError(now, 0, "server closed")
		c.flush(now)
	}
	l.queue = nil
	close(l.ready)
}

// Addr returns the address the listener's socket is bound to.
func (l *Listener) Addr() net.Addr { return l.t.Conn.LocalAddr() }
