package quicproto

import "github.com/h3wasi/h3wasi/internal/recovery"

// Deadline returns the time at which HandleTimeout must be called (0: no timer). It
// covers loss detection and PTO, delayed ACKs, the idle and handshake timeouts,
// keep-alives, key discarding and the end of closing or draining.
func (c *Conn) Deadline() int64 {
	var d int64
	add := func(t int64) {
		if t > 0 && (d == 0 || t < d) {
			d = t
		}
	}
	switch c.state {
	case stateClosed:
		return 0
	case stateClosing, stateDraining:
		return c.closeDeadline
	}
	add(c.idleDeadline())
	if !c.handshakeComplete {
		add(c.created + int64(c.cfg.HandshakeTimeout))
	}
	add(c.keepAliveDeadline())
	for l := range c.spaces {
		sp := &c.spaces[l]
		// A server that accepted 0-RTT owes ACKs in the application space before it
		// can seal 1-RTT packets (it lacks the 1-RTT read key until the client's
		// Finished): an ACK timer it cannot serve would fire forever.
		if !sp.discarded && sp.acks.Deadline() != recovery.NoDeadline && c.canSeal(level(l)) {
			add(sp.acks.Deadline())
		}
	}
	add(c.recoveryDeadline())
	if c.keyUpd.keys != nil {
		if t, ok := c.keyUpd.keys.Deadline(); ok {
			add(t)
		}
	}
	add(c.pacingDeadline())
	add(c.pathDeadline())
	return d
}

// HandleTimeout runs the timers that expired at now. The driver calls it when the time
// returned by Deadline has come, then calls Send until it reports nothing more.
func (c *Conn) HandleTimeout(now int64) {
	c.setStreamTime(now)
	switch c.state {
	case stateClosed:
		return
	case stateClosing, stateDraining:
		if now >= c.closeDeadline {
			c.enterClosed(c.closeErr)
		}
		return
	}
	if t := c.idleDeadline(); t > 0 && now >= t {
		c.enterClosed(ErrIdleTimeout)
		return
	}
	if !c.handshakeComplete && now >= c.created+int64(c.cfg.HandshakeTimeout) {
		c.enterClosed(ErrHandshakeTimeout)
		return
	}
	if t := c.keepAliveDeadline(); t > 0 && now >= t {
		c.pingDue = true
	}
	if c.keyUpd.keys != nil {
		c.keyUpd.keys.HandleTimeout(now)
	}
	c.onRecoveryTimeout(now)
	c.pathTimeout(now)
}

// HoldAcks postpones the application-space ACK that two ack-eliciting packets make due
// at once (RFC 9000 section 13.2.2 says SHOULD), until ReleaseAcks, or at the latest
// max_ack_delay after the first packet it acknowledges: a driver holds it while the
// application reacts to what arrived, so that the ACK rides on the reply instead of
// taking a packet of its own. A packet that leaves meanwhile carries it. ACKs due at
// once for other reasons (a packet out of order or after a gap, the handshake spaces)
// are not held.
func (c *Conn) HoldAcks() { c.spaces[levelApp].acks.Hold() }

// AckHeld reports whether HoldAcks holds back an ACK that would be due at now.
func (c *Conn) AckHeld(now int64) bool { return c.spaces[levelApp].acks.Held(now) }

// ReleaseAcks ends HoldAcks: a held ACK is due again; Send sends it.
func (c *Conn) ReleaseAcks() { c.spaces[levelApp].acks.Release() }
