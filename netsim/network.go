package netsim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Network is a simulated datagram network. Its methods are safe for
// concurrent use.
type Network struct {
	mu sync.Mutex

	realtime bool
	start    time.Time     // realtime: the epoch of network time
	now      time.Duration // virtual: the current time

	rng      *rand.Rand
	routes   map[netip.AddrPort]*Endpoint // external address -> endpoint
	links    map[linkKey]*Link
	def      LinkConfig // config for links created from now on
	nextPort uint16     // next ephemeral port

	events eventHeap
	seq    uint64 // tie-breaker so equal-time events keep their order
	free   []*packet
	trace  func(TraceEvent)

	// Unroutable counts datagrams sent to an address no endpoint owns.
	unroutable uint64

	// realtime scheduling: one goroutine per network.
	armed  time.Duration // deadline the goroutine sleeps until; maxTime if none
	wake   chan struct{}
	done   chan struct{}
	closed bool
	wg     sync.WaitGroup
}

type linkKey struct{ from, to *Endpoint }

const maxTime = time.Duration(1<<63 - 1)

// New returns a network driven by a virtual clock that starts at 0 and moves
// only when AdvanceTo is called. seed selects the random sequence of all
// impairments: the same seed and the same calls give the same results.
func New(seed uint64) *Network {
	return &Network{
		rng:      rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		routes:   make(map[netip.AddrPort]*Endpoint),
		links:    make(map[linkKey]*Link),
		nextPort: 49152,
	}
}

// NewRealtime returns a network whose clock is real (monotonic) time since
// the call. One goroutine delivers datagrams when their time comes; Close
// stops it. Impairments are the same as in virtual mode, and the random
// decisions still follow seed, but timing depends on the scheduler.
func NewRealtime(seed uint64) *Network {
	n := New(seed)
	n.realtime = true
	n.start = time.Now()
	n.armed = maxTime
	n.wake = make(chan struct{}, 1)
	n.done = make(chan struct{})
	n.wg.Add(1)
	go n.run()
	return n
}

// Close closes every endpoint, drops the datagrams in flight and, in
// realtime mode, stops the delivery goroutine.
func (n *Network) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	eps := make([]*Endpoint, 0, len(n.routes))
	for _, ep := range n.routes {
		eps = append(eps, ep)
	}
	for len(n.events) > 0 {
		ev := n.events.pop()
		if ev.pkt != nil {
			n.freePacket(ev.pkt)
		}
	}
	if n.done != nil {
		close(n.done)
	}
	n.mu.Unlock()
	for _, ep := range eps {
		ep.Close()
	}
	n.wg.Wait()
	return nil
}

// Now returns the current network time.
func (n *Network) Now() time.Duration {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.nowLocked()
}

func (n *Network) nowLocked() time.Duration {
	if n.realtime {
		return time.Since(n.start)
	}
	return n.now
}

// NextEvent returns the time of the earliest pending delivery (or scheduled
// address change), and false if nothing is pending.
func (n *Network) NextEvent() (time.Duration, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.events) == 0 {
		return 0, false
	}
	return n.events[0].at, true
}

// AdvanceTo moves the virtual clock to t, delivering, in time order, every
// datagram due at or before t. Handlers run synchronously, with the clock set
// to each datagram's delivery time, and may send: datagrams they send that are
// due by t are delivered in the same call. A t in the past is ignored. Call it
// from one goroutine at a time (the one that owns the clock). It panics on a
// realtime network, whose clock cannot be moved.
func (n *Network) AdvanceTo(t time.Duration) {
	if n.realtime {
		panic("netsim: AdvanceTo on a realtime network")
	}
	n.advance(t)
}

// Advance moves the virtual clock forward by d; see AdvanceTo.
func (n *Network) Advance(d time.Duration) { n.AdvanceTo(n.Now() + d) }

// advance processes the events due at or before t, one at a time, releasing
// the lock around handler calls so handlers may use the network.
func (n *Network) advance(t time.Duration) {
	n.mu.Lock()
	for len(n.events) > 0 && n.events[0].at <= t {
		ev := n.events.pop()
		if !n.realtime && ev.at > n.now {
			n.now = ev.at
		}
		if ev.pkt == nil {
			n.rebindLocked(ev.ep, ev.addr)
			continue
		}
		h, now := n.deliverLocked(ev.pkt)
		if h == nil {
			continue
		}
		// The handler owns nothing: the packet returns to the pool after it.
		n.mu.Unlock()
		h(now, ev.pkt.from, ev.pkt.buf)
		n.mu.Lock()
		n.freePacket(ev.pkt)
	}
	if !n.realtime && t > n.now {
		n.now = t
	}
	n.mu.Unlock()
}

// run is the realtime delivery goroutine: it sleeps until the earliest event,
// or until a send schedules an earlier one.
func (n *Network) run() {
	defer n.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		n.advance(time.Since(n.start))
		n.mu.Lock()
		if n.closed {
			n.mu.Unlock()
			return
		}
		wait := time.Hour
		n.armed = maxTime
		if len(n.events) > 0 {
			n.armed = n.events[0].at
			wait = n.armed - time.Since(n.start)
		}
		n.mu.Unlock()
		timer.Reset(wait)
		select {
		case <-timer.C:
		case <-n.wake:
		case <-n.done:
			return
		}
	}
}

// schedule queues an event, waking the realtime goroutine if the event is
// earlier than the one it sleeps for.
func (n *Network) schedule(ev event) {
	n.seq++
	ev.seq = n.seq
	n.events.push(ev)
	if n.realtime && ev.at < n.armed {
		n.armed = ev.at
		select {
		case n.wake <- struct{}{}:
		default:
		}
	}
}

// SetTrace installs a function called for every send, drop, delivery and
// address change, in order; nil removes it. It runs with the network locked
// and must not call the network.
func (n *Network) SetTrace(f func(TraceEvent)) {
	n.mu.Lock()
	n.trace = f
	n.mu.Unlock()
}

// SetDefaultLink sets the configuration of links created after the call.
// Links are created when first used or looked up with Link.
func (n *Network) SetDefaultLink(cfg LinkConfig) {
	n.mu.Lock()
	n.def = cfg
	n.mu.Unlock()
}

// Link returns the link from one endpoint to another, creating it with the
// default configuration if needed.
func (n *Network) Link(from, to *Endpoint) *Link {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.linkLocked(from, to)
}

func (n *Network) linkLocked(from, to *Endpoint) *Link {
	k := linkKey{from, to}
	l := n.links[k]
	if l == nil {
		l = &Link{net: n, from: from, to: to}
		l.setConfigLocked(n.def)
		n.links[k] = l
	}
	return l
}

// SetPath configures both directions between a and b: ab for a->b and ba for
// b->a.
func (n *Network) SetPath(a, b *Endpoint, ab, ba LinkConfig) {
	n.Link(a, b).SetConfig(ab)
	n.Link(b, a).SetConfig(ba)
}

// Unroutable returns how many datagrams were sent to an address that no
// endpoint owned at the time.
func (n *Network) Unroutable() uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.unroutable
}

// ErrAddrInUse is returned when listening on an address that an endpoint
// already owns.
var ErrAddrInUse = errors.New("netsim: address already in use")

// Listen creates an endpoint at address, "ip:port" (e.g. "10.0.0.1:443").
// Port 0 picks a free ephemeral port.
func (n *Network) Listen(address string) (*Endpoint, error) {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return nil, fmt.Errorf("netsim: listen %q: %w", address, err)
	}
	return n.ListenAddrPort(ap)
}

// ListenUDP creates an endpoint at addr; it mirrors net.ListenUDP.
func (n *Network) ListenUDP(addr *net.UDPAddr) (*Endpoint, error) {
	return n.ListenAddrPort(addr.AddrPort())
}

// MustListen is Listen that panics on error, for tests.
func (n *Network) MustListen(address string) *Endpoint {
	ep, err := n.Listen(address)
	if err != nil {
		panic(err)
	}
	return ep
}

// ListenAddrPort creates an endpoint at ap. Port 0 picks a free ephemeral
// port.
func (n *Network) ListenAddrPort(ap netip.AddrPort) (*Endpoint, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, net.ErrClosed
	}
	if !ap.Addr().IsValid() {
		return nil, fmt.Errorf("netsim: listen: no IP address")
	}
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	if ap.Port() == 0 {
		ap = n.freePortLocked(ap.Addr())
	}
	if _, ok := n.routes[ap]; ok || ap.Port() == 0 {
		return nil, fmt.Errorf("netsim: listen %v: %w", ap, ErrAddrInUse)
	}
	ep := newEndpoint(n, ap)
	n.routes[ap] = ep
	return ep, nil
}

// freePortLocked returns the next ephemeral port of ip that nobody uses
// (or port 0, making the caller fail, if all are taken).
func (n *Network) freePortLocked(ip netip.Addr) netip.AddrPort {
	for range 16384 {
		ap := netip.AddrPortFrom(ip, n.nextPort)
		n.nextPort++
		if n.nextPort == 0 {
			n.nextPort = 49152
		}
		if _, ok := n.routes[ap]; !ok {
			return ap
		}
	}
	return netip.AddrPortFrom(ip, 0)
}

// rebindLocked moves ep's external address to addr: the old address no
// longer routes to it, the new one does. If another endpoint owns addr, the
// change is ignored.
func (n *Network) rebindLocked(ep *Endpoint, addr netip.AddrPort) {
	if ep.closed {
		return
	}
	if other, ok := n.routes[addr]; ok && other != ep {
		return
	}
	if n.routes[ep.ext] == ep {
		delete(n.routes, ep.ext)
	}
	if n.trace != nil {
		n.trace(TraceEvent{Kind: TraceRebind, At: n.nowLocked(), From: ep.ext, To: addr})
	}
	ep.ext = addr
	n.routes[addr] = ep
}

// packet is a pooled datagram in flight.
type packet struct {
	buf      []byte
	from, to netip.AddrPort // as seen on the wire
	link     *Link
	seq      uint64 // per-link send sequence
	dup      bool   // a duplicated copy
	corrupt  bool
}

func (n *Network) newPacket(b []byte) *packet {
	var p *packet
	if k := len(n.free); k > 0 {
		p = n.free[k-1]
		n.free = n.free[:k-1]
	} else {
		p = new(packet)
	}
	if cap(p.buf) < len(b) {
		p.buf = make([]byte, len(b), (len(b)+2047)&^2047)
	}
	p.buf = append(p.buf[:0], b...)
	return p
}

func (n *Network) freePacket(p *packet) {
	p.link = nil
	n.free = append(n.free, p)
}

// event is a scheduled delivery (pkt != nil) or address change.
type event struct {
	at   time.Duration
	seq  uint64
	pkt  *packet
	ep   *Endpoint      // rebind: the endpoint
	addr netip.AddrPort // rebind: its new external address
}

// eventHeap is a binary min-heap ordered by (at, seq). It avoids
// container/heap, whose interface boxing would allocate per datagram.
type eventHeap []event

func (h eventHeap) less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}

func (h *eventHeap) push(ev event) {
	*h = append(*h, ev)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s.less(i, p) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *eventHeap) pop() event {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s[last] = event{}
	s = s[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(s) && s.less(l, m) {
			m = l
		}
		if r < len(s) && s.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}
