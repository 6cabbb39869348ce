package quicproto

import "net/netip"

// Send, Deadline and HandleTimeout let a simple driver (or a test) run a whole endpoint like
// a single connection: Send takes the endpoint's own datagrams first, then those of each
// connection in turn. They scan every connection, so a driver with many connections should
// rather run each connection on its own.

// Send writes the next datagram of the endpoint or of any of its connections into buf.
func (e *Endpoint) Send(now int64, buf []byte) (n int, to netip.AddrPort, ok bool) {
	if n, to, ok = e.SendStateless(buf); ok {
		return n, to, ok
	}
	for range len(e.list) {
		if e.rr >= len(e.list) {
			e.rr = 0
		}
		c := e.list[e.rr]
		if n, to, ok = c.Send(now, buf); ok {
			return n, to, ok
		}
		e.rr++
	}
	return 0, to, false
}

// Deadline returns the earliest deadline of the endpoint's connections (0: none).
func (e *Endpoint) Deadline() int64 {
	var d int64
	for _, c := range e.list {
		if t := c.Deadline(); t > 0 && (d == 0 || t < d) {
			d = t
		}
	}
	return d
}

// HandleTimeout runs the expired timers of every connection and forgets the connections
// that are done.
func (e *Endpoint) HandleTimeout(now int64) {
	for i := 0; i < len(e.list); i++ {
		c := e.list[i]
		if t := c.Deadline(); t > 0 && t <= now {
			c.HandleTimeout(now)
		}
		if c.Done() {
			e.Forget(c)
			i--
		}
	}
}
