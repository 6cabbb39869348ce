//go:build wasip1

package wasi

import (
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/h3wasi/h3wasi/internal/wasiabi"
)

// The doorbell. A WASI module runs on one thread, so a host call that
// blocks freezes every goroutine; the guest must instead sleep in the Go
// scheduler's own poll_oneoff, the only place where it may block. wazero's
// poll_oneoff really waits only on stdin, so wasihost passes a pipe as
// stdin and writes one byte (the socket's fd, truncated) whenever a socket
// that the guest found empty becomes readable.
//
// No goroutine is dedicated to the doorbell: a goroutine switch costs
// ~10µs in WebAssembly. The first reader that has to wait becomes the
// leader and reads stdin itself (through the netpoller, with its own read
// deadline); other waiting readers follow, each asleep on its socket's
// notify channel, and the leader wakes the ones whose fd it reads. When
// the leader leaves, it hands the doorbell to a follower.

var bell struct {
	once sync.Once
	mode atomic.Value // string: wasiabi.WakeStdin or wasiabi.WakePoll
	file *os.File

	mu      sync.Mutex
	conns   map[int32]*udpConn
	leader  *udpConn              // reading the doorbell, or nil
	waiting map[*udpConn]struct{} // followers
	buf     [512]byte             // the leader's
}

// mode returns how readers wait for datagrams.
func mode() string {
	bell.once.Do(startBell)
	return bell.mode.Load().(string)
}

func startBell() {
	bell.conns = make(map[int32]*udpConn)
	bell.waiting = make(map[*udpConn]struct{})
	bell.mode.Store(wasiabi.WakePoll)
	if os.Getenv(wasiabi.WakeEnv) != wasiabi.WakeStdin {
		return
	}
	// Non-blocking stdin is registered with the netpoller, so its reader
	// parks in poll_oneoff instead of blocking the module.
	if err := syscall.SetNonblock(0, true); err != nil {
		return
	}
	if bell.file = os.NewFile(0, "h3wasi-doorbell"); bell.file == nil {
		return
	}
	bell.mode.Store(wasiabi.WakeStdin)
}

func register(c *udpConn) {
	mode()
	bell.mu.Lock()
	bell.conns[c.fd] = c
	bell.mu.Unlock()
}

func unregister(c *udpConn) {
	bell.mu.Lock()
	delete(bell.conns, c.fd)
	bell.mu.Unlock()
}

// kick makes c's reader re-check its deadline and state: if it leads, its
// doorbell read ends at once.
func kick(c *udpConn) {
	bell.mu.Lock()
	if bell.leader == c {
		bell.file.SetReadDeadline(time.Unix(1, 0))
	}
	bell.mu.Unlock()
	c.wake()
}

// waitBell waits, as leader or follower, until c may have a datagram, its
// deadline dl passes, a deadline changes or c closes. The caller holds
// c.rmu and re-checks everything afterwards.
func (c *udpConn) waitBell(dl time.Time, changed chan struct{}) {
	bell.mu.Lock()
	if bell.leader == nil {
		bell.leader = c
		c.lead(dl, changed) // unlocks bell.mu while it reads
		bell.leader = nil
		handoff()
		bell.mu.Unlock()
		return
	}
	bell.waiting[c] = struct{}{}
	bell.mu.Unlock()
	c.sleep(c.rtimer, dl, changed, c.notify, 0)
	bell.mu.Lock()
	delete(bell.waiting, c)
	if bell.leader == nil {
		handoff()
	}
	bell.mu.Unlock()
}

// handoff wakes one follower, which becomes the leader if its socket is
// still empty. bell.mu is held.
func handoff() {
	for w := range bell.waiting {
		w.wake()
		return
	}
}

// lead reads the doorbell once and wakes the readers it names. It is
// called and returns with bell.mu held.
func (c *udpConn) lead(dl time.Time, changed chan struct{}) {
	select {
	case <-changed:
		return
	case <-c.closed:
		return
	default:
	}
	// Under bell.mu, so a kick cannot slip in before this deadline.
	bell.file.SetReadDeadline(dl)
	bell.mu.Unlock()
	n, err := bell.file.Read(bell.buf[:])
	bell.mu.Lock()
	var seen [256]bool
	for _, b := range bell.buf[:n] {
		seen[b] = true
	}
	for fd, x := range bell.conns {
		if seen[byte(fd)] && x != c {
			x.wake()
		}
	}
	if err != nil && !os.IsTimeout(err) {
		// The host hung up the doorbell: poll from now on.
		bell.mode.Store(wasiabi.WakePoll)
		for _, x := range bell.conns {
			x.wake()
		}
	}
}
