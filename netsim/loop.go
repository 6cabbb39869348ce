package netsim

import (
	"net/netip"
	"time"
)

// Node is a sans-IO protocol endpoint driven by a Loop: the network hands it
// datagrams and the loop calls it when its timer expires. A node sends by
// calling Send on its Endpoint from inside these methods. A node may also
// implement Flusher; CoreNode turns a pull-style core into a Node.
type Node interface {
	// Receive handles a datagram delivered at now; b is only valid during
	// the call.
	Receive(now time.Duration, from netip.AddrPort, b []byte)
	// Deadline returns when the node next wants HandleTimeout, and false if
	// it has no timer armed.
	Deadline() (time.Duration, bool)
	// HandleTimeout is called once now has reached the node's deadline.
	HandleTimeout(now time.Duration)
}

// Loop pumps sans-IO nodes attached to a virtual-clock network: each Step
// jumps the clock to the earliest of the next delivery and the nodes'
// deadlines and runs what is due. Nothing sleeps, so a test of seconds of
// protocol time runs in microseconds, and with a fixed seed it replays
// exactly.
type Loop struct {
	net   *Network
	nodes []Node
}

// NewLoop returns a loop over the virtual-clock network n.
func NewLoop(n *Network) *Loop { return &Loop{net: n} }

// Add attaches node to ep: datagrams delivered to ep go to node.Receive.
func (l *Loop) Add(ep *Endpoint, node Node) {
	ep.SetHandler(node.Receive)
	l.nodes = append(l.nodes, node)
}

// next returns the earliest time anything is due.
func (l *Loop) next() (time.Duration, bool) {
	t, ok := l.net.NextEvent()
	for _, nd := range l.nodes {
		if d, armed := nd.Deadline(); armed && (!ok || d < t) {
			t, ok = d, true
		}
	}
	return t, ok
}

// Step advances to the next due time, delivers the datagrams due and fires
// the expired node timers. It returns false, doing nothing, when no datagram
// is in flight and no timer is armed.
func (l *Loop) Step() bool {
	l.flush(l.net.Now())
	t, ok := l.next()
	if !ok {
		return false
	}
	now := max(t, l.net.Now())
	l.net.AdvanceTo(now)
	for _, nd := range l.nodes {
		if d, armed := nd.Deadline(); armed && d <= now {
			nd.HandleTimeout(now)
		}
	}
	l.flush(now)
	return true
}

// flush calls Flush on the nodes that have it.
func (l *Loop) flush(now time.Duration) {
	for _, nd := range l.nodes {
		if f, ok := nd.(Flusher); ok {
			f.Flush(now)
		}
	}
}

// Run steps until done returns true (checked before every step), nothing is
// left to do, or the clock would pass limit. It returns done's last answer.
func (l *Loop) Run(limit time.Duration, done func() bool) bool {
	for !done() {
		l.flush(l.net.Now())
		t, ok := l.next()
		if !ok || t > limit {
			return done()
		}
		l.Step()
	}
	return true
}
