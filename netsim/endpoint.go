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
	readDeadline  time.Time
	writeDeadline time.Time
	wait          waiters // blocked readers
}

var _ net.PacketConn = (*Endpoint)(nil)

func newEndpoint(n *Network, ap netip.AddrPort) *Endpoint {
	e := &Endpoint{net: n, local: ap, ext: ap, rbuf: DefaultReadBuffer}
	e.wait.data = make(chan struct{}, 1)
	return e
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
	e.wait.signal()
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
	e.wait.broadcast()
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
