package netsim

import (
	"net"
	"net/netip"
	"os"
	"time"
)

// Handler receives a datagram delivered at network time now. b is only valid
// during the call: the network reuses its memory afterwards.
type Handler func(now time.Duration, from netip.AddrPort, b []byte)

// DefaultReadBuffer is the read buffer of a new endpoint, in bytes.
const DefaultReadBuffer = 4 << 20

// Endpoint is a host:port attached to a Network. It implements
// net.PacketConn (blocking reads with deadlines) and also offers a
// non-blocking Recv and a delivery callback (SetHandler) for sans-IO tests.
type Endpoint struct {
	net   *Network
	local netip.AddrPort // the address the endpoint was created with
	ext   netip.AddrPort // the address peers see (changes on rebinding)

	handler Handler
	rq      []*packet // received, not yet read
	rhead   int
	qbytes  int
	rbuf    int // read buffer limit in bytes

	closed        bool
	waitCh        chan struct{} // closed to wake blocked readers; nil if none
	readDeadline  time.Time
	writeDeadline time.Time
}

var _ net.PacketConn = (*Endpoint)(nil)

func newEndpoint(n *Network, ap netip.AddrPort) *Endpoint {
	return &Endpoint{net: n, local: ap, ext: ap, rbuf: DefaultReadBuffer}
}

// AddrPort returns the endpoint's own address.
func (e *Endpoint) AddrPort() netip.AddrPort { return e.local }

// LocalAddr returns the endpoint's own address as a *net.UDPAddr.
func (e *Endpoint) LocalAddr() net.Addr { return net.UDPAddrFromAddrPort(e.local) }

// ExternalAddr returns the address peers currently see as the source of the
// endpoint's datagrams: its own address unless it was rebound.
func (e *Endpoint) ExternalAddr() netip.AddrPort {
	e.net.mu.Lock()
	defer e.net.mu.Unlock()
	return e.ext
}

// Rebind changes, from now on, the source address peers see for this
// endpoint's datagrams, like a NAT rebinding: datagrams to the new address
// reach the endpoint, datagrams sent to the old one are unroutable. The
// endpoint's own address (LocalAddr) does not change. If another endpoint
// owns addr, nothing changes.
func (e *Endpoint) Rebind(addr netip.AddrPort) {
	n := e.net
	n.mu.Lock()
	n.rebindLocked(e, addr)
	n.mu.Unlock()
}

// RebindAt schedules Rebind(addr) at network time t.
func (e *Endpoint) RebindAt(t time.Duration, addr netip.AddrPort) {
	n := e.net
	n.mu.Lock()
	n.schedule(event{at: t, ep: e, addr: addr})
	n.mu.Unlock()
}

// SetHandler makes the network call h for every datagram delivered to the
// endpoint, instead of queueing it for Recv/ReadFrom; nil restores queueing.
// In virtual mode h runs inside AdvanceTo; in realtime mode on the network's
// delivery goroutine. h may send but must not call Network.Close.
func (e *Endpoint) SetHandler(h Handler) {
	e.net.mu.Lock()
	e.handler = h
	e.net.mu.Unlock()
}

// SetReadBuffer sets how many bytes of received, unread datagrams the
// endpoint holds; datagrams that do not fit are dropped (DropRecvBuffer).
func (e *Endpoint) SetReadBuffer(bytes int) error {
	e.net.mu.Lock()
	e.rbuf = bytes
	e.net.mu.Unlock()
	return nil
}

// Send sends b to the address to. The datagram is copied, so b may be reused
// at once. Like UDP, a datagram the network drops is not an error; the only
// error is a closed endpoint or an expired write deadline.
func (e *Endpoint) Send(to netip.AddrPort, b []byte) error {
	n := e.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if e.closed {
		return e.opError("write", to, net.ErrClosed)
	}
	if !e.writeDeadline.IsZero() && !time.Now().Before(e.writeDeadline) {
		return e.opError("write", to, os.ErrDeadlineExceeded)
	}
	to = netip.AddrPortFrom(to.Addr().Unmap(), to.Port())
	dst := n.routes[to]
	if dst == nil {
		n.unroutable++
		return nil
	}
	n.linkLocked(e, dst).sendLocked(b, e.ext, to)
	return nil
}

// WriteToUDPAddrPort is Send with net.UDPConn's signature.
func (e *Endpoint) WriteToUDPAddrPort(b []byte, to netip.AddrPort) (int, error) {
	if err := e.Send(to, b); err != nil {
		return 0, err
	}
	return len(b), nil
}

// WriteTo sends b to addr, which must be a *net.UDPAddr.
func (e *Endpoint) WriteTo(b []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return 0, &net.OpError{Op: "write", Net: "udp", Source: e.LocalAddr(), Addr: addr,
			Err: net.InvalidAddrError("netsim: not a *net.UDPAddr")}
	}
	return e.WriteToUDPAddrPort(b, ua.AddrPort())
}

// Recv copies the oldest received datagram into b without blocking. It
// returns the number of bytes copied (a datagram longer than b is
// truncated, as with UDP), its source, and false if none is queued.
func (e *Endpoint) Recv(b []byte) (int, netip.AddrPort, bool) {
	n := e.net
	n.mu.Lock()
	defer n.mu.Unlock()
	return e.recvLocked(b)
}

// Pending returns the number of received datagrams not yet read.
func (e *Endpoint) Pending() int {
	e.net.mu.Lock()
	defer e.net.mu.Unlock()
	return len(e.rq) - e.rhead
}

func (e *Endpoint) recvLocked(b []byte) (int, netip.AddrPort, bool) {
	if e.rhead == len(e.rq) {
		return 0, netip.AddrPort{}, false
	}
	p := e.rq[e.rhead]
	e.rq[e.rhead] = nil
	e.rhead++
	if e.rhead == len(e.rq) {
		e.rq, e.rhead = e.rq[:0], 0
	}
	e.qbytes -= len(p.buf)
	k := copy(b, p.buf)
	from := p.from
	e.net.freePacket(p)
	return k, from, true
}

func (e *Endpoint) enqueueLocked(p *packet) {
	if e.rhead > 0 && len(e.rq) == cap(e.rq) {
		k := copy(e.rq, e.rq[e.rhead:])
		clear(e.rq[k:])
		e.rq, e.rhead = e.rq[:k], 0
	}
	e.rq = append(e.rq, p)
	e.qbytes += len(p.buf)
	e.notifyLocked()
}

// notifyLocked wakes every blocked reader so it re-checks its state.
func (e *Endpoint) notifyLocked() {
	if e.waitCh != nil {
		close(e.waitCh)
		e.waitCh = nil
	}
}

// ReadFromUDPAddrPort blocks until a datagram is received, the read deadline
// passes or the endpoint is closed, like net.UDPConn's method.
func (e *Endpoint) ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error) {
	n := e.net
	n.mu.Lock()
	for {
		if k, from, ok := e.recvLocked(b); ok {
			n.mu.Unlock()
			return k, from, nil
		}
		if e.closed {
			n.mu.Unlock()
			return 0, netip.AddrPort{}, e.opError("read", netip.AddrPort{}, net.ErrClosed)
		}
		dl := e.readDeadline
		if !dl.IsZero() && !time.Now().Before(dl) {
			n.mu.Unlock()
			return 0, netip.AddrPort{}, e.opError("read", netip.AddrPort{}, os.ErrDeadlineExceeded)
		}
		if e.waitCh == nil {
			e.waitCh = make(chan struct{})
		}
		ch := e.waitCh
		n.mu.Unlock()
		waitUntil(ch, dl)
		n.mu.Lock()
	}
}

// waitUntil blocks until ch is closed or the deadline dl (if set) passes.
func waitUntil(ch <-chan struct{}, dl time.Time) {
	if dl.IsZero() {
		<-ch
		return
	}
	t := time.NewTimer(time.Until(dl))
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	}
}

// ReadFrom blocks until a datagram is received; see ReadFromUDPAddrPort.
// The address is a *net.UDPAddr.
func (e *Endpoint) ReadFrom(b []byte) (int, net.Addr, error) {
	k, from, err := e.ReadFromUDPAddrPort(b)
	if err != nil {
		return 0, nil, err
	}
	return k, net.UDPAddrFromAddrPort(from), nil
}

// Close detaches the endpoint: its address is freed, pending and future
// datagrams to it are dropped, and blocked reads return net.ErrClosed.
func (e *Endpoint) Close() error {
	n := e.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if e.closed {
		return e.opError("close", netip.AddrPort{}, net.ErrClosed)
	}
	e.closed = true
	if n.routes[e.ext] == e {
		delete(n.routes, e.ext)
	}
	if n.routes[e.local] == e {
		delete(n.routes, e.local)
	}
	for _, p := range e.rq[e.rhead:] {
		n.freePacket(p)
	}
	e.rq, e.rhead, e.qbytes = nil, 0, 0
	e.notifyLocked()
	return nil
}

// SetDeadline sets the read and write deadlines.
func (e *Endpoint) SetDeadline(t time.Time) error {
	e.SetReadDeadline(t)
	return e.SetWriteDeadline(t)
}

// SetReadDeadline sets the deadline of blocked and future reads; the zero
// time means none. It wakes blocked readers so they see the new deadline.
func (e *Endpoint) SetReadDeadline(t time.Time) error {
	e.net.mu.Lock()
	e.readDeadline = t
	e.notifyLocked()
	e.net.mu.Unlock()
	return nil
}

// SetWriteDeadline sets the write deadline. Writes never block (a full
// queue drops, as UDP does), so the deadline only fails writes made after it.
func (e *Endpoint) SetWriteDeadline(t time.Time) error {
	e.net.mu.Lock()
	e.writeDeadline = t
	e.net.mu.Unlock()
	return nil
}

// opError builds the *net.OpError that a UDP socket would return.
func (e *Endpoint) opError(op string, addr netip.AddrPort, err error) error {
	oe := &net.OpError{Op: op, Net: "udp", Source: net.UDPAddrFromAddrPort(e.local), Err: err}
	if addr.IsValid() {
		oe.Addr = net.UDPAddrFromAddrPort(addr)
	}
	return oe
}
