package quic

import (
	"bytes"
	"context"
	"errors"
	"hash/fnv"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
)

// segmentConn is a PacketConn that is also a SegmentWriter: it splits each run
// itself and, if partial is set, sends only the first half of a run and fails,
// so that the driver must send the rest one by one. It remembers a hash of
// every datagram it forwards, to catch one sent twice.
type segmentConn struct {
	net.PacketConn
	partial bool

	mu         sync.Mutex
	runs       int
	seen       map[uint64]bool
	duplicates int
}

var errTestPartial = errors.New("test: partial segmented send")

func (c *segmentConn) note(b []byte) {
	h := fnv.New64a()
	h.Write(b)
	sum := h.Sum64()
	c.mu.Lock()
	if c.seen[sum] {
		c.duplicates++
	}
	c.seen[sum] = true
	c.mu.Unlock()
}

func (c *segmentConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	c.note(b)
	return c.PacketConn.WriteTo(b, addr)
}

func (c *segmentConn) WriteSegments(b []byte, seg int, addr netip.AddrPort) (int, error) {
	c.mu.Lock()
	c.runs++
	c.mu.Unlock()
	n := len(b)
	if c.partial && len(b) > seg {
		n = (len(b) / seg / 2) * seg
	}
	to := net.UDPAddrFromAddrPort(addr)
	for off := 0; off < n; off += seg {
		if _, err := c.WriteTo(b[off:min(off+seg, n)], to); err != nil {
			return off, err
		}
	}
	if n < len(b) {
		return n, errTestPartial
	}
	return n, nil
}

// TestSegmentWriter: a Transport whose PacketConn is a SegmentWriter sends its
// datagrams in runs through it, and a run the writer sends only in part is
// finished one datagram at a time, with no datagram sent twice.
func TestSegmentWriter(t *testing.T) {
	for _, partial := range []bool{false, true} {
		name := map[bool]string{false: "whole runs", true: "partial runs"}[partial]
		t.Run(name, func(t *testing.T) {
			var sc *segmentConn
			nw := network{"netsim+segments", func(t *testing.T) (net.PacketConn, net.PacketConn) {
				s, c := networks[1].pair(t)
				sc = &segmentConn{PacketConn: c, partial: partial, seen: map[uint64]bool{}}
				return s, sc
			}}
			sendToServer(t, newTestPair(t, nw, nil, nil), testData(2<<20))
			sc.mu.Lock()
			defer sc.mu.Unlock()
			if sc.runs == 0 {
				t.Fatal("the driver never used WriteSegments")
			}
			if sc.duplicates != 0 {
				t.Fatalf("%d datagrams were sent twice", sc.duplicates)
			}
			t.Logf("%d runs, %d datagrams", sc.runs, len(sc.seen))
		})
	}
}

// queuedConn is a PacketConn that is also a NonblockingReader: a goroutine
// queues what the inner connection receives, ReadFrom waits for the queue and
// TryReadFromUDPAddrPort takes from it without waiting. It counts the
// datagrams the driver took without waiting.
type queuedConn struct {
	net.PacketConn
	queue chan queuedDatagram
	tried atomic.Int64
}

type queuedDatagram struct {
	b    []byte
	from netip.AddrPort
}

func newQueuedConn(pc net.PacketConn) *queuedConn {
	q := &queuedConn{PacketConn: pc, queue: make(chan queuedDatagram, 256)}
	go func() {
		defer close(q.queue)
		for {
			b := make([]byte, 2048)
			n, from, err := pc.ReadFrom(b)
			if err != nil {
				return
			}
			ap, _ := netip.ParseAddrPort(from.String())
			q.queue <- queuedDatagram{b[:n], ap}
		}
	}()
	return q
}

func (q *queuedConn) ReadFrom(b []byte) (int, net.Addr, error) {
	d, ok := <-q.queue
	if !ok {
		return 0, nil, net.ErrClosed
	}
	return copy(b, d.b), net.UDPAddrFromAddrPort(d.from), nil
}

func (q *queuedConn) TryReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, bool) {
	select {
	case d, ok := <-q.queue:
		if !ok {
			return 0, netip.AddrPort{}, false
		}
		q.tried.Add(1)
		return copy(b, d.b), d.from, true
	default:
		return 0, netip.AddrPort{}, false
	}
}

// TestNonblockingReader: a Transport whose PacketConn is a NonblockingReader
// handles the datagrams queued behind each one it reads as a batch, and a
// transfer through it arrives byte-exact.
func TestNonblockingReader(t *testing.T) {
	var sq *queuedConn
	nw := network{"netsim+queue", func(t *testing.T) (net.PacketConn, net.PacketConn) {
		s, c := networks[1].pair(t)
		sq = newQueuedConn(s)
		return sq, c
	}}
	sendToServer(t, newTestPair(t, nw, nil, nil), testData(2<<20))
	if sq.tried.Load() == 0 {
		t.Fatal("the driver never took a queued datagram without waiting")
	}
	t.Logf("%d datagrams taken in batches", sq.tried.Load())
}

// sendToServer writes data on a new stream from p's client and checks that the
// server reads it all, byte-exact.
func sendToServer(t *testing.T, p *testPair, data []byte) {
	t.Helper()
	got := make(chan []byte, 1)
	go func() {
		s, err := p.server.AcceptStream(context.Background())
		if err != nil {
			got <- nil
			return
		}
		b, _ := io.ReadAll(s)
		got <- b
	}()
	s, err := p.client.OpenStreamSync(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(data); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if b := <-got; !bytes.Equal(b, data) {
		t.Fatalf("server read %d bytes, not the %d sent", len(b), len(data))
	}
}
