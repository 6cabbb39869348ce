package netsim

import (
	"net/netip"
	"time"
)

// Core is the shape of a pull-style sans-IO connection such as the QUIC
// core's Conn: time is int64 nanoseconds, the driver pulls datagrams with
// Send until it reports nothing, and a Deadline of 0 means no timer. It is
// declared here, not imported, so that the core's own tests can use netsim
// without an import cycle.
type Core interface {
	Receive(now int64, from netip.AddrPort, datagram []byte)
	Send(now int64, buf []byte) (n int, to netip.AddrPort, ok bool)
	Deadline() int64
	HandleTimeout(now int64)
}

// Flusher is an optional Node method: Loop calls Flush on every node before
// and after each step, so data a test queued between steps (a stream write,
// say) is sent at the current time.
type Flusher interface {
	Flush(now time.Duration)
}

// CoreNode adapts a Core to a Node that sends through ep: after every
// received datagram, timeout and flush it drains the core's Send into the
// network. Network time (a Duration since 0) is passed as int64 nanoseconds.
func CoreNode(ep *Endpoint, c Core) Node {
	return &coreNode{ep: ep, core: c, buf: make([]byte, 65536)}
}

type coreNode struct {
	ep   *Endpoint
	core Core
	buf  []byte // one send buffer for the node's lifetime
}

func (cn *coreNode) Receive(now time.Duration, from netip.AddrPort, b []byte) {
	cn.core.Receive(int64(now), from, b)
	cn.Flush(now)
}

func (cn *coreNode) Deadline() (time.Duration, bool) {
	d := cn.core.Deadline()
	return time.Duration(d), d != 0
}

func (cn *coreNode) HandleTimeout(now time.Duration) {
	cn.core.HandleTimeout(int64(now))
	cn.Flush(now)
}

// Flush sends every datagram the core has ready. A send error (the endpoint
// was closed) ends the flush: the datagrams would be lost anyway, as they
// are when a UDP socket closes.
func (cn *coreNode) Flush(now time.Duration) {
	for {
		k, to, ok := cn.core.Send(int64(now), cn.buf)
		if !ok {
			return
		}
		if cn.ep.Send(to, cn.buf[:k]) != nil {
			return
		}
	}
}
