package netsim

import (
	"net"
	"net/netip"
	"os"
	"time"
)

// waiters wakes readers blocked in ReadFrom without allocating per datagram.
// A new datagram needs to wake only one reader, so it puts a token in data
// (capacity 1); a reader that takes a datagram and sees more queued passes
// the token on, so no wake-up is lost. Close and deadline changes concern
// every reader, so they close the broadcast channel, which is made again
// only when someone waits after that (rare).
type waiters struct {
	n         int           // readers blocked
	data      chan struct{} // token: a datagram was queued
	bcast     chan struct{} // closed on Close or deadline change
	timer     *time.Timer   // reused by one blocked reader at a time
	timerBusy bool
}

// signal wakes one blocked reader, if any.
func (w *waiters) signal() {
	if w.n == 0 {
		return
	}
	select {
	case w.data <- struct{}{}:
	default: // a token is already pending
	}
}

// broadcast wakes every blocked reader.
func (w *waiters) broadcast() {
	if w.n > 0 && w.bcast != nil {
		close(w.bcast)
		w.bcast = nil
	}
}

// ReadFromUDPAddrPort blocks until a datagram is received, the read deadline
// passes or the endpoint is closed, like net.UDPConn's method. A datagram
// longer than b is truncated. Errors are *net.OpError wrapping net.ErrClosed
// or os.ErrDeadlineExceeded (a net.Error whose Timeout is true).
func (e *Endpoint) ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error) {
	n := e.net
	n.mu.Lock()
	defer n.mu.Unlock()
	for {
		if k, from, ok := e.recvLocked(b); ok {
			if e.rhead < len(e.rq) {
				e.wait.signal() // more queued: wake the next reader
			}
			return k, from, nil
		}
		if e.closed {
			return 0, netip.AddrPort{}, e.opError("read", netip.AddrPort{}, net.ErrClosed)
		}
		dl := e.readDeadline
		if !dl.IsZero() && !time.Now().Before(dl) {
			return 0, netip.AddrPort{}, e.opError("read", netip.AddrPort{}, os.ErrDeadlineExceeded)
		}
		e.blockLocked(dl)
	}
}

// blockLocked waits, with the network unlocked, for a datagram, a broadcast
// or the deadline dl (if set).
func (e *Endpoint) blockLocked(dl time.Time) {
	w := &e.wait
	if w.bcast == nil {
		w.bcast = make(chan struct{})
	}
	bcast := w.bcast
	var t *time.Timer
	var tc <-chan time.Time
	if !dl.IsZero() {
		if w.timer != nil && !w.timerBusy {
			t = w.timer
			t.Reset(time.Until(dl))
		} else {
			t = time.NewTimer(time.Until(dl))
			if w.timer == nil {
				w.timer = t
			}
		}
		w.timerBusy = w.timerBusy || t == w.timer
		tc = t.C
	}
	w.n++
	e.net.mu.Unlock()
	select {
	case <-w.data:
	case <-bcast:
	case <-tc:
	}
	if t != nil {
		// Since Go 1.23 a stopped timer delivers no stale value, so the
		// shared one can be reset by the next reader.
		t.Stop()
	}
	e.net.mu.Lock()
	w.n--
	if t != nil && t == w.timer {
		w.timerBusy = false
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
	e.wait.broadcast()
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
