//go:build wasip1

package wasi

import (
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/h3wasi/h3wasi/internal/wasiabi"
)

// udpConn is a host UDP socket used through the WasmEdge socket ABI. Reads
// never block in a host call: the host answers EAGAIN when the socket is
// empty, and the reader sleeps in the Go scheduler until the doorbell (see
// wake_wasip1.go), a deadline or Close wakes it, so other goroutines keep
// running.
type udpConn struct {
	fd     int32
	family int32
	laddr  netip.AddrPort

	// notify (capacity 1) tells the reader to try the socket again.
	notify chan struct{}
	closed chan struct{}
	once   sync.Once
	isDone atomic.Bool

	rmu    sync.Mutex // serializes readers: they share rtimer
	rtimer *time.Timer
	wmu    sync.Mutex // serializes writers that wait on EAGAIN
	wtimer *time.Timer

	dmu       sync.Mutex
	rdl, wdl  time.Time
	dlChanged chan struct{} // closed and replaced when a deadline changes
	hasRDL    atomic.Bool
	hasWDL    atomic.Bool
}

func newUDPConn(fd, family int32) *udpConn {
	c := &udpConn{
		fd:        fd,
		family:    family,
		notify:    make(chan struct{}, 1),
		closed:    make(chan struct{}),
		dlChanged: make(chan struct{}),
		rtimer:    stoppedTimer(),
		wtimer:    stoppedTimer(),
	}
	register(c)
	return c
}

func stoppedTimer() *time.Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}

// wake makes a waiting reader try the socket again; it never blocks.
func (c *udpConn) wake() {
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

func (c *udpConn) addrLen() uint32 {
	if c.family == wasiabi.AFInet6 {
		return 16
	}
	return 4
}

// recv is one non-blocking sock_recv_from.
func (c *udpConn) recv(b []byte) (int, netip.AddrPort, syscall.Errno) {
	var raw [16]byte
	wa := wasiAddr{buf: ptr(&raw[0]), bufLen: c.addrLen()}
	var iov iovec
	if len(b) > 0 {
		iov = iovec{buf: ptr(&b[0]), bufLen: uint32(len(b))}
	}
	var port, n, oflags uint32
	errno := sock_recv_from(c.fd, &iov, 1, &wa, 0, &port, &n, &oflags)
	runtime.KeepAlive(b)
	if errno != 0 {
		return 0, netip.AddrPort{}, errno
	}
	var ip netip.Addr
	if wa.bufLen == 4 {
		ip = netip.AddrFrom4([4]byte(raw[:4]))
	} else {
		ip = netip.AddrFrom16(raw).Unmap()
	}
	return int(n), netip.AddrPortFrom(ip, uint16(port)), 0
}

// ReadFromUDPAddrPort reads one datagram into b without allocating.
func (c *udpConn) ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	backoff := pollMin
	for {
		if c.isDone.Load() {
			return 0, netip.AddrPort{}, c.opErr("read", netip.AddrPort{}, net.ErrClosed)
		}
		dl, changed := c.deadline(&c.hasRDL, &c.rdl)
		if !dl.IsZero() && !time.Now().Before(dl) {
			return 0, netip.AddrPort{}, c.opErr("read", netip.AddrPort{}, os.ErrDeadlineExceeded)
		}
		n, from, errno := c.recv(b)
		if errno == 0 {
			return n, from, nil
		}
		if errno != syscall.EAGAIN {
			return 0, netip.AddrPort{}, c.opErr("read", netip.AddrPort{}, sysErr("sock_recv_from", errno))
		}
		if mode() == wasiabi.WakeStdin {
			c.waitBell(dl, changed)
		} else {
			c.sleep(c.rtimer, dl, changed, nil, backoff)
			backoff = min(2*backoff, pollMax)
		}
	}
}

// TryReadFromUDPAddrPort reads a datagram the host already has queued, with
// one host call and no waiting; ok is false if there is none, on any error
// (the next ReadFrom reports it), and while another goroutine is reading.
// quic.Transport uses it (quic.NonblockingReader) to handle the datagrams
// that arrived together as one batch.
func (c *udpConn) TryReadFromUDPAddrPort(b []byte) (n int, from netip.AddrPort, ok bool) {
	if c.isDone.Load() || !c.rmu.TryLock() {
		return 0, netip.AddrPort{}, false
	}
	defer c.rmu.Unlock()
	n, from, errno := c.recv(b)
	return n, from, errno == 0
}

// Bounds of the sleep between two tries when the host offers no doorbell,
// or when a send finds the host's socket buffer full.
const (
	pollMin = 50 * time.Microsecond
	pollMax = 2 * time.Millisecond
)

// sleep waits until notify fires, the deadline dl passes, a deadline
// changes, the socket closes, or (if d > 0) d elapses. The caller re-checks
// its state afterwards, so spurious returns are harmless.
func (c *udpConn) sleep(t *time.Timer, dl time.Time, changed, notify chan struct{}, d time.Duration) {
	if !dl.IsZero() {
		if until := time.Until(dl); d <= 0 || until < d {
			d = until
		}
	}
	var tc <-chan time.Time
	if d > 0 {
		t.Reset(d)
		tc = t.C
	}
	select {
	case <-notify:
	case <-tc:
	case <-changed:
	case <-c.closed:
	}
	t.Stop()
}

// ReadFrom implements net.PacketConn.
func (c *udpConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, from, err := c.ReadFromUDPAddrPort(b)
	if err != nil {
		return 0, nil, err
	}
	return n, net.UDPAddrFromAddrPort(from), nil
}

// wasiAddrOf fills raw with to's address in the socket's family and returns
// the address record pointing to it.
func (c *udpConn) wasiAddrOf(raw *[16]byte, to netip.AddrPort) (wasiAddr, syscall.Errno) {
	ip := to.Addr()
	wa := wasiAddr{buf: ptr(&raw[0])}
	switch {
	case c.family == wasiabi.AFInet4 && ip.Unmap().Is4():
		raw4 := ip.Unmap().As4()
		copy(raw[:], raw4[:])
		wa.bufLen = 4
	case c.family == wasiabi.AFInet6:
		*raw = ip.As16()
		wa.bufLen = 16
	default:
		return wa, syscall.EAFNOSUPPORT
	}
	return wa, 0
}

// send is one non-blocking sock_send_to.
func (c *udpConn) send(b []byte, to netip.AddrPort) (int, syscall.Errno) {
	var raw [16]byte
	wa, errno := c.wasiAddrOf(&raw, to)
	if errno != 0 {
		return 0, errno
	}
	var iov iovec
	if len(b) > 0 {
		iov = iovec{buf: ptr(&b[0]), bufLen: uint32(len(b))}
	}
	var n uint32
	errno = sock_send_to(c.fd, &iov, 1, &wa, uint32(to.Port()), 0, &n)
	runtime.KeepAlive(b)
	return int(n), errno
}

// WriteToUDPAddrPort sends b to addr without allocating.
func (c *udpConn) WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	if !addr.IsValid() {
		return 0, c.opErr("write", addr, syscall.EINVAL)
	}
	n := 0
	err := c.writeRetry("sock_send_to", addr, func() (bool, syscall.Errno) {
		var errno syscall.Errno
		n, errno = c.send(b, addr)
		return true, errno
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// writeRetry calls send until it reports that all is sent or fails for
// another reason than a full host send buffer (EAGAIN, ENOBUFS), after which
// it sleeps: rare for UDP, so a short backoff suffices and no host
// notification is needed. A call that sent part without error is followed
// by the next at once. As in package net, a closed socket or a passed write
// deadline fails the write, also before the first try. op names the host
// function in errors.
func (c *udpConn) writeRetry(op string, addr netip.AddrPort, send func() (done bool, errno syscall.Errno)) error {
	backoff := pollMin
	locked := false
	defer func() {
		if locked {
			c.wmu.Unlock()
		}
	}()
	for {
		if c.isDone.Load() {
			return c.opErr("write", addr, net.ErrClosed)
		}
		dl, changed := c.deadline(&c.hasWDL, &c.wdl)
		if !dl.IsZero() && !time.Now().Before(dl) {
			return c.opErr("write", addr, os.ErrDeadlineExceeded)
		}
		done, errno := send()
		switch errno {
		case 0:
			if done {
				return nil
			}
		case syscall.EAGAIN, syscall.ENOBUFS:
			if !locked { // writers that wait share the timer
				c.wmu.Lock()
				locked = true
			}
			c.sleep(c.wtimer, dl, changed, nil, backoff)
			backoff = min(2*backoff, pollMax)
		default:
			return c.opErr("write", addr, sysErr(op, errno))
		}
	}
}

// WriteTo implements net.PacketConn.
func (c *udpConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	ap, err := addrPortOf(addr)
	if err != nil {
		return 0, c.opErr("write", netip.AddrPort{}, err)
	}
	return c.WriteToUDPAddrPort(b, ap)
}

// Close implements net.PacketConn. Under wasihost, shutting down both
// directions frees the host socket; elsewhere (WasmEdge) fd_close does.
func (c *udpConn) Close() error {
	err := error(net.ErrClosed)
	c.once.Do(func() {
		err = nil
		c.isDone.Store(true)
		close(c.closed)
		kick(c)
		unregister(c)
		if errno := sock_shutdown(c.fd, 3); errno != 0 && errno != syscall.ENOTCONN {
			err = os.NewSyscallError("sock_shutdown", errno)
		}
		if mode() != wasiabi.WakeStdin {
			if errno := fd_close(c.fd); errno != 0 && err == nil {
				err = os.NewSyscallError("fd_close", errno)
			}
		}
	})
	if err != nil {
		return c.opErr("close", netip.AddrPort{}, err)
	}
	return nil
}

// LocalAddr implements net.PacketConn.
func (c *udpConn) LocalAddr() net.Addr { return net.UDPAddrFromAddrPort(c.laddr) }

// SetDeadline implements net.PacketConn.
func (c *udpConn) SetDeadline(t time.Time) error {
	c.setDeadline(t, true, true)
	return nil
}

// SetReadDeadline implements net.PacketConn.
func (c *udpConn) SetReadDeadline(t time.Time) error {
	c.setDeadline(t, true, false)
	return nil
}

// SetWriteDeadline implements net.PacketConn.
func (c *udpConn) SetWriteDeadline(t time.Time) error {
	c.setDeadline(t, false, true)
	return nil
}

func (c *udpConn) setDeadline(t time.Time, r, w bool) {
	c.dmu.Lock()
	if r {
		c.rdl = t
		c.hasRDL.Store(!t.IsZero())
	}
	if w {
		c.wdl = t
		c.hasWDL.Store(!t.IsZero())
	}
	close(c.dlChanged)
	c.dlChanged = make(chan struct{})
	c.dmu.Unlock()
	if r && mode() == wasiabi.WakeStdin {
		kick(c)
	}
}

// deadline returns a deadline (zero: none) and the channel that is closed
// when a deadline changes.
func (c *udpConn) deadline(has *atomic.Bool, dl *time.Time) (time.Time, chan struct{}) {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	if !has.Load() {
		return time.Time{}, c.dlChanged
	}
	return *dl, c.dlChanged
}

// SetReadBuffer sets the host socket's receive buffer size (SO_RCVBUF).
func (c *udpConn) SetReadBuffer(bytes int) error {
	return c.setsockopt(wasiabi.SoRcvbuf, bytes)
}

// SetWriteBuffer sets the host socket's send buffer size (SO_SNDBUF).
func (c *udpConn) SetWriteBuffer(bytes int) error {
	return c.setsockopt(wasiabi.SoSndbuf, bytes)
}

func (c *udpConn) setsockopt(name uint32, v int) error {
	val := int32(v)
	if errno := sock_setsockopt(c.fd, wasiabi.SolSocket, name, &val, 4); errno != 0 {
		return c.opErr("set", netip.AddrPort{}, os.NewSyscallError("sock_setsockopt", errno))
	}
	return nil
}

func (c *udpConn) opErr(op string, addr netip.AddrPort, err error) error {
	e := &net.OpError{Op: op, Net: "udp", Source: c.LocalAddr(), Err: err}
	if addr.IsValid() {
		e.Addr = net.UDPAddrFromAddrPort(addr)
	}
	return e
}
