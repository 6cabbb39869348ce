//go:build linux

package wasihost

import (
	"context"
	"encoding/binary"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"golang.org/x/sys/unix"

	"github.com/h3wasi/h3wasi/internal/wasiabi"
)

// inlinePoll says that this platform replaces wazero's poll_oneoff, so
// that a module asleep in the Go scheduler wakes straight from ppoll(2) on
// its own sockets: no watcher goroutine, no thread hop, nanosecond
// timeouts. It is a variable so that tests can run the watcher fallback.
var inlinePoll = true

// WASI subscription and event layout (wasi_snapshot_preview1).
const (
	subSize       = 48
	eventSize     = 32
	eventClock    = 0
	eventFdRead   = 1
	eventFdWrite  = 2
	clockAbstime  = 1
	maxPollEvents = 4096
)

// pollState is the reusable scratch of table.wait.
type pollState struct {
	pollfds   []unix.PollFd
	pollsocks []*socket
}

func (t *table) exportPoll(b wazero.HostModuleBuilder) {
	params := []api.ValueType{api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32}
	b.NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
			t.stop.checkStop(ctx, mod)
			stack[0] = uint64(t.pollOneoff(mod, uint32(stack[0]), uint32(stack[1]), uint32(stack[2]), uint32(stack[3])))
		}), params, []api.ValueType{api.ValueTypeI32}).
		Export("poll_oneoff")
}

// pollOneoff implements poll_oneoff for what Go's wasip1 netpoller asks:
// relative clock timeouts, reads on stdin (the doorbell), and reads or
// writes on other descriptors, which it reports ready at once as wazero
// does for non-blocking files.
func (t *table) pollOneoff(mod api.Module, in, out, n, nevents uint32) uint32 {
	if n == 0 || n > maxPollEvents {
		return wasiabi.ErrnoInval
	}
	mem := mod.Memory()
	subs, ok1 := mem.Read(in, n*subSize)
	evs, ok2 := mem.Read(out, n*eventSize)
	if !ok1 || !ok2 {
		return wasiabi.ErrnoFault
	}
	clear(evs)
	timeout := int64(-1) // nanoseconds; -1: none
	var stdin []uint32   // subscriptions waiting on stdin
	var clocks []uint32
	count := uint32(0)
	emit := func(i uint32, typ byte, errno uint16) {
		e := evs[count*eventSize:]
		copy(e[:8], subs[i*subSize:])
		binary.LittleEndian.PutUint16(e[8:], errno)
		e[10] = typ
		count++
	}
	for i := range n {
		s := subs[i*subSize:]
		switch s[8] {
		case eventClock:
			if binary.LittleEndian.Uint16(s[40:])&clockAbstime != 0 {
				emit(i, eventClock, wasiabi.ErrnoNotsup)
				continue
			}
			d := int64(min(binary.LittleEndian.Uint64(s[24:]), 1<<62))
			if timeout < 0 || d < timeout {
				timeout = d
			}
			clocks = append(clocks, i)
		case eventFdRead:
			if binary.LittleEndian.Uint32(s[16:]) == 0 {
				stdin = append(stdin, i)
			} else {
				emit(i, eventFdRead, 0)
			}
		case eventFdWrite:
			emit(i, eventFdWrite, 0)
		default:
			return wasiabi.ErrnoInval
		}
	}
	if count > 0 {
		timeout = 0 // something is ready: only look, do not sleep
	}
	if t.wait(timeout, len(stdin) > 0) {
		for _, i := range stdin {
			emit(i, eventFdRead, 0)
		}
	}
	if count == 0 {
		for _, i := range clocks {
			emit(i, eventClock, 0)
		}
	}
	if !mem.WriteUint32Le(nevents, count) {
		return wasiabi.ErrnoFault
	}
	return wasiabi.ErrnoSuccess
}

// wait sleeps up to timeout (ns, -1: forever) until the doorbell pipe has
// bytes or hangs up, or (if stdin is true) one of the sockets the guest
// found empty becomes readable, for which it rings the doorbell. It
// reports whether stdin is readable.
func (t *table) wait(timeout int64, stdin bool) bool {
	fds := t.pollfds[:0]
	ev := int16(0)
	if stdin {
		ev = unix.POLLIN
	}
	// The pipe is always watched: its hang-up (ctx ended) must wake the
	// module. Unread bytes only count when the guest reads stdin.
	fds = append(fds, unix.PollFd{Fd: int32(t.bell.rfd), Events: ev})
	socks := t.pollsocks[:0]
	if stdin {
		t.mu.Lock()
		for _, s := range t.socks {
			if s.wanted {
				fds = append(fds, unix.PollFd{Fd: int32(s.h.fd), Events: unix.POLLIN})
				socks = append(socks, s)
			}
		}
		t.mu.Unlock()
	}
	t.pollfds, t.pollsocks = fds, socks
	var ts *unix.Timespec
	deadline := time.Now().Add(time.Duration(timeout))
	for {
		if timeout >= 0 {
			left := max(time.Until(deadline), 0)
			if timeout == 0 {
				left = 0
			}
			spec := unix.NsecToTimespec(int64(left))
			ts = &spec
		}
		_, err := unix.Ppoll(fds, ts, nil)
		if err != unix.EINTR {
			break
		}
	}
	return t.ready(fds, socks, stdin)
}

// ready rings the doorbell for the sockets ppoll found readable and
// reports whether stdin is readable.
func (t *table) ready(fds []unix.PollFd, socks []*socket, stdin bool) bool {
	ready := fds[0].Revents != 0
	for i, s := range socks {
		if fds[i+1].Revents != 0 {
			s.wanted = false
			t.bell.ring(s.fd)
			ready = true
		}
	}
	return ready && stdin
}
