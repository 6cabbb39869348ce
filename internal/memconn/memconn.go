// Package memconn is an in-memory datagram pipe for benchmarks: a lossless "network"
// with no delay, so that QUIC stacks can be measured without the kernel. Both ends
// are net.PacketConns that also have the allocation-free ReadFromUDPAddrPort and
// WriteToUDPAddrPort of *net.UDPConn. It serves the quic package's benchmarks and
// the interop module's side-by-side benchmarks against quic-go.
package memconn

import (
	"net"
	"net/netip"
	"os"
	"sync"
	"time"
)

// Conn is one end of an in-memory datagram pipe. Datagrams are copied into pooled
// buffers and dropped, like UDP, when the receiver's queue (4096) is full.
type Conn struct {
	local, remote     *net.UDPAddr
	localAP, remoteAP netip.AddrPort
	in                chan *[]byte
	peer              *Conn
	closed            chan struct{}
	closeOnce         sync.Once

	mu        sync.Mutex
	deadline  time.Time
	dlChanged chan struct{}
}

var memPool = sync.Pool{New: func() any { b := make([]byte, 2048); return &b }}

// Pair returns two connected in-memory sockets, at 10.1.0.1:443 and 10.1.0.2:5000.
func Pair() (*Conn, *Conn) {
	a := netip.MustParseAddrPort("10.1.0.1:443")
	b := netip.MustParseAddrPort("10.1.0.2:5000")
	x := &Conn{localAP: a, remoteAP: b, in: make(chan *[]byte, 4096), closed: make(chan struct{}), dlChanged: make(chan struct{})}
	y := &Conn{localAP: b, remoteAP: a, in: make(chan *[]byte, 4096), closed: make(chan struct{}), dlChanged: make(chan struct{})}
	x.local, x.remote = net.UDPAddrFromAddrPort(a), net.UDPAddrFromAddrPort(b)
	y.local, y.remote = x.remote, x.local
	x.peer, y.peer = y, x
	return x, y
}

// ReadFromUDPAddrPort reads one datagram, blocking until one arrives, the read
// deadline passes or the Conn is closed.
func (c *Conn) ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error) {
	for {
		c.mu.Lock()
		dl, changed := c.deadline, c.dlChanged
		c.mu.Unlock()
		var timeout <-chan time.Time
		var timer *time.Timer
		if !dl.IsZero() {
			d := time.Until(dl)
			if d <= 0 {
				return 0, netip.AddrPort{}, os.ErrDeadlineExceeded
			}
			timer = time.NewTimer(d)
			timeout = timer.C
		}
		n, again, err := c.wait(b, timeout, changed)
		if timer != nil {
			timer.Stop()
		}
		if !again {
			return n, c.remoteAP, err
		}
	}
}

// wait waits for a datagram, Close, the deadline, or a deadline change (again).
func (c *Conn) wait(b []byte, timeout <-chan time.Time, changed chan struct{}) (n int, again bool, err error) {
	select {
	case p := <-c.in:
		n := copy(b, *p)
		memPool.Put(p)
		return n, false, nil
	case <-c.closed:
		return 0, false, net.ErrClosed
	case <-timeout:
		return 0, false, os.ErrDeadlineExceeded
	case <-changed:
		return 0, true, nil
	}
}

// ReadFrom is ReadFromUDPAddrPort with the peer as a net.Addr.
func (c *Conn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, _, err := c.ReadFromUDPAddrPort(b)
	if err != nil {
		return 0, nil, err
	}
	return n, c.remote, nil // a shared address value: no allocation
}

// WriteToUDPAddrPort sends b to the peer (the address is ignored: the pipe has
// two ends).
func (c *Conn) WriteToUDPAddrPort(b []byte, _ netip.AddrPort) (int, error) {
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	default:
	}
	p := memPool.Get().(*[]byte)
	*p = append((*p)[:0], b...)
	select {
	case c.peer.in <- p:
	default:
		memPool.Put(p) // queue full: dropped, as UDP would
	}
	return len(b), nil
}

// WriteTo sends b to the peer.
func (c *Conn) WriteTo(b []byte, _ net.Addr) (int, error) {
	return c.WriteToUDPAddrPort(b, c.remoteAP)
}

// Close makes pending and later reads and writes fail with net.ErrClosed.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return nil
}

// LocalAddr returns this end's address.
func (c *Conn) LocalAddr() net.Addr { return c.local }

// SetDeadline sets the read deadline; writes never block.
func (c *Conn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

// SetReadDeadline sets the read deadline and wakes a blocked reader to see it.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	close(c.dlChanged)
	c.dlChanged = make(chan struct{})
	c.mu.Unlock()
	return nil
}

// SetWriteDeadline does nothing: writes never block.
func (c *Conn) SetWriteDeadline(time.Time) error { return nil }
