//go:build wasip1

package wasi

import (
	"os"
	"sync"
	"sync/atomic"
	"syscall"
)

// The doorbell. A WASI module runs on one thread, so a host call that
// blocks freezes every goroutine; the guest must instead sleep in the Go
// scheduler's own poll_oneoff, the only place where it may block. wazero's
// poll_oneoff really waits only on stdin, so wasihost passes a pipe as
// stdin and writes one byte (the socket's fd, truncated) whenever a socket
// that the guest found empty becomes readable. One goroutine reads stdin
// through the netpoller and wakes the matching sockets' readers.

var bell struct {
	once  sync.Once
	mode  atomic.Value // string: WakeStdin or WakePoll
	mu    sync.Mutex
	conns map[int32]*udpConn
}

// mode returns how readers wait for datagrams, starting the doorbell
// goroutine on first use.
func mode() string {
	bell.once.Do(startBell)
	return bell.mode.Load().(string)
}

func startBell() {
	bell.conns = make(map[int32]*udpConn)
	bell.mode.Store(WakePoll)
	if os.Getenv(WakeEnv) != WakeStdin {
		return
	}
	// Non-blocking stdin is registered with the netpoller, so its reader
	// parks in poll_oneoff instead of blocking the module.
	if err := syscall.SetNonblock(0, true); err != nil {
		return
	}
	f := os.NewFile(0, "h3wasi-doorbell")
	if f == nil {
		return
	}
	bell.mode.Store(WakeStdin)
	go ringLoop(f)
}

func ringLoop(f *os.File) {
	var buf [512]byte
	for {
		n, err := f.Read(buf[:])
		bell.mu.Lock()
		if err != nil {
			// The host closed the doorbell: fall back to polling and
			// let every reader notice.
			bell.mode.Store(WakePoll)
			for _, c := range bell.conns {
				c.wake()
			}
			bell.mu.Unlock()
			return
		}
		var seen [256]bool
		for _, b := range buf[:n] {
			seen[b] = true
		}
		for fd, c := range bell.conns {
			if seen[byte(fd)] {
				c.wake()
			}
		}
		bell.mu.Unlock()
	}
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
