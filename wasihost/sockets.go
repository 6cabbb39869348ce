package wasihost

import (
	"net/netip"
	"sync"

	"github.com/h3wasi/h3wasi/internal/wasiabi"
)

// firstFD is the first guest descriptor of a socket. wazero numbers its
// own descriptors from 0 upwards and cannot be told about ours, so sockets
// live far above them: a stray fd_close or poll on a socket then fails
// with EBADF instead of hitting one of the module's files.
const firstFD = 1 << 16

// socket is one entry of a module's socket table.
type socket struct {
	fd    int32
	v6    bool
	bound bool
	// wanted: the guest found the socket empty and may be waiting; the
	// inline poll watches it (module goroutine only).
	wanted bool
	h      *hostSocket
	want   chan struct{} // capacity 1: the guest found the socket empty
	done   chan struct{} // closed when the socket is closed
	// lastDst caches the last destination the policy allowed, so a flow
	// costs one policy check.
	lastDst netip.AddrPort
}

// table is the socket table of one module instance.
type table struct {
	policy Policy
	max    int
	ring   func(fd int32) // for watchers; nil without watcher goroutines
	bell   *doorbell      // for the inline poll; nil without it
	stop   *stopFlag
	//lint:ignore U1000 empty, and unused, where there is no inline poll
	pollState

	mu     sync.Mutex
	socks  map[int32]*socket
	next   int32
	closed bool
	opened int // sockets opened in total, for Process.Stats
	wg     sync.WaitGroup
	// scratch gathers or scatters multi-element iovecs; iovs holds the
	// guest buffers of one call. Host calls of one module are serialized.
	scratch []byte
	iovs    [][]byte
}

func newTable(p Policy, max int, ring func(int32)) *table {
	return &table{policy: p, max: max, ring: ring, socks: make(map[int32]*socket), next: firstFD}
}

func (t *table) open(v6 bool) (*socket, uint32) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, wasiabi.ErrnoBadf
	}
	if len(t.socks) >= t.max {
		return nil, wasiabi.ErrnoMfile
	}
	h, err := openHostSocket(v6)
	if err != nil {
		return nil, toErrno(err)
	}
	s := &socket{fd: t.next, v6: v6, h: h, want: make(chan struct{}, 1), done: make(chan struct{})}
	t.next++
	t.socks[s.fd] = s
	t.opened++
	if t.ring != nil {
		t.wg.Add(1)
		go t.watch(s)
	}
	return s, wasiabi.ErrnoSuccess
}

// watch rings the doorbell each time the guest found s empty and s then
// became readable. It runs until s is closed.
func (t *table) watch(s *socket) {
	defer t.wg.Done()
	for {
		select {
		case <-s.want:
		case <-s.done:
			return
		}
		if err := s.h.watch(); err != nil {
			return
		}
		select {
		case <-s.done:
			return
		default:
		}
		t.ring(s.fd)
	}
}

func (t *table) get(fd int32) *socket {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.socks[fd]
}

func (t *table) close(fd int32) uint32 {
	t.mu.Lock()
	s := t.socks[fd]
	delete(t.socks, fd)
	t.mu.Unlock()
	if s == nil {
		return wasiabi.ErrnoBadf
	}
	close(s.done)
	if err := s.h.close(); err != nil {
		return toErrno(err)
	}
	return wasiabi.ErrnoSuccess
}

// closeAll closes every socket and waits for the watchers; the table
// accepts no new sockets afterwards.
func (t *table) closeAll() {
	t.mu.Lock()
	t.closed = true
	fds := make([]int32, 0, len(t.socks))
	for fd := range t.socks {
		fds = append(fds, fd)
	}
	t.mu.Unlock()
	for _, fd := range fds {
		t.close(fd)
	}
	t.wg.Wait()
}

func (t *table) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.socks)
}

// bind binds s to ap, narrowed by the policy.
func (t *table) bind(s *socket, ap netip.AddrPort) uint32 {
	if s.bound {
		return wasiabi.ErrnoInval
	}
	if s.v6 != ap.Addr().Is6() {
		return wasiabi.ErrnoAfnosupport
	}
	ap, ok := t.policy.bindAddr(ap)
	if !ok {
		return wasiabi.ErrnoNotcapable
	}
	if err := s.h.bind(ap); err != nil {
		return toErrno(err)
	}
	s.bound = true
	return wasiabi.ErrnoSuccess
}

// autobind binds a socket the guest sends from before binding it, as the
// kernel would, to an ephemeral port of the (narrowed) unspecified address.
func (t *table) autobind(s *socket) uint32 {
	if s.bound {
		return wasiabi.ErrnoSuccess
	}
	any := netip.IPv4Unspecified()
	if s.v6 {
		any = netip.IPv6Unspecified()
	}
	return t.bind(s, netip.AddrPortFrom(any, 0))
}
