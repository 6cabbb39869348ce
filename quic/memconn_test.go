package quic

import (
	"net"
	"net/netip"
	"os"
	"sync"
	"time"
)

// memConn is one end of an in-memory datagram pipe: a lossless "network" with no delay,
// to measure the stacks without the kernel. Datagrams are copied into pooled buffers and
// dropped, like UDP, when the receiver's queue (4096) is full. It also implements the
// allocation-free ReadFromUDPAddrPort/WriteToUDPAddrPort, as *net.UDPConn does.
type memConn struct {
	local, remote     *net.UDPAddr
	localAP, remoteAP netip.AddrPort
	in                chan *[]byte
	peer              *memConn
	closed            chan struct{}
	closeOnce         sync.Once

	mu        sync.Mutex
	deadline  time.Time
	dlChanged chan struct{}
}

var memPool = sync.Pool{New: func() any { b := make([]byte, 2048); return &b }}

// memPair returns two connected in-memory sockets.
func memPair() (*memConn, *memConn) {
	a := netip.MustParseAddrPort("10.1.0.1:443")
	b := netip.MustParseAddrPort("10.1.0.2:5000")
	x := &memConn{localAP: a, remoteAP: b, in: make(chan *[]byte, 4096), closed: make(chan struct{}), dlChanged: make(chan struct{})}
	y := &memConn{localAP: b, remoteAP: a, in: make(chan *[]byte, 4096), closed: make(chan struct{}), dlChanged: make(chan struct{})}
	x.local, x.remote = net.UDPAddrFromAddrPort(a), net.UDPAddrFromAddrPort(b)
	y.local, y.remote = x.remote, x.local
	x.peer, y.peer = y, x
	return x, y
}

func (c *memConn) ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error) {
	for {
		c.mu.Lock()
		dl, changed := c.deadline, c.dlChanged
		c.mu.Unlock()
		var timeout <-chan time.Time
		if !dl.IsZero() {
			d := time.Until(dl)
			if d <= 0 {
				return 0, netip.AddrPort{}, os.ErrDeadlineExceeded
			}
			t := time.NewTimer(d)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case p := <-c.in:
			n := copy(b, *p)
			memPool.Put(p)
			return n, c.remoteAP, nil
		case <-c.closed:
			return 0, netip.AddrPort{}, net.ErrClosed
		case <-timeout:
			return 0, netip.AddrPort{}, os.ErrDeadlineExceeded
		case <-changed:
		}
	}
}

func (c *memConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, _, err := c.ReadFromUDPAddrPort(b)
	if err != nil {
		return 0, nil, err
	}
	return n, c.remote, nil // a shared address value: no allocation
}

func (c *memConn) WriteToUDPAddrPort(b []byte, _ netip.AddrPort) (int, error) {
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

func (c *memConn) WriteTo(b []byte, _ net.Addr) (int, error) {
	return c.WriteToUDPAddrPort(b, c.remoteAP)
}

func (c *memConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return nil
}

func (c *memConn) LocalAddr() net.Addr { return c.local }

func (c *memConn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

func (c *memConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	close(c.dlChanged)
	c.dlChanged = make(chan struct{})
	c.mu.Unlock()
	return nil
}

func (c *memConn) SetWriteDeadline(time.Time) error { return nil }
