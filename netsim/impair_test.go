package netsim

import (
	"encoding/binary"
	"math"
	"net/netip"
	"testing"
	"time"
)

// rx is a received datagram as a test records it.
type rx struct {
	at   time.Duration
	from netip.AddrPort
	data []byte
}

// pair builds a network with endpoints a and b, configures a->b with cfg
// and records what b receives.
func pair(t testing.TB, seed uint64, cfg LinkConfig) (*Network, *Endpoint, *Endpoint, *[]rx) {
	t.Helper()
	n := New(seed)
	a := n.MustListen("10.0.0.1:1000")
	b := n.MustListen("10.0.0.2:443")
	n.Link(a, b).SetConfig(cfg)
	got := new([]rx)
	b.SetHandler(func(now time.Duration, from netip.AddrPort, p []byte) {
		*got = append(*got, rx{now, from, append([]byte(nil), p...)})
	})
	return n, a, b, got
}

// payload returns a datagram of size bytes (at least 8) carrying seq.
func payload(seq uint64, size int) []byte {
	p := make([]byte, max(size, 8))
	binary.BigEndian.PutUint64(p, seq)
	return p
}

// sendEvery sends count datagrams of size bytes from a to b, one every gap,
// starting at the current time, then lets everything arrive.
func sendEvery(n *Network, a, b *Endpoint, count int, size int, gap time.Duration) {
	buf := payload(0, size)
	for i := range count {
		binary.BigEndian.PutUint64(buf, uint64(i))
		if err := a.Send(b.AddrPort(), buf); err != nil {
			panic(err)
		}
		n.Advance(gap)
	}
	for {
		t, ok := n.NextEvent()
		if !ok {
			return
		}
		n.AdvanceTo(t)
	}
}

// within fails unless got is within tol of want.
func within(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %v, want %v ± %v", what, got, want, tol)
	}
}

func checkConservation(t *testing.T, s Stats) {
	t.Helper()
	if s.Sent+s.Duplicated != s.Delivered+s.TotalDropped() {
		t.Errorf("sent %d + dup %d != delivered %d + dropped %d", s.Sent, s.Duplicated, s.Delivered, s.TotalDropped())
	}
}

func TestRandomLoss(t *testing.T) {
	for _, tc := range []struct {
		p     float64
		count int
	}{{0, 1000}, {0.01, 20000}, {0.1, 100000}, {0.5, 20000}, {1, 1000}} {
		p, count := tc.p, float64(tc.count)
		n, a, b, _ := pair(t, 1, LinkConfig{Loss: p})
		received := 0
		b.SetHandler(func(time.Duration, netip.AddrPort, []byte) { received++ })
		sendEvery(n, a, b, tc.count, 8, time.Microsecond)
		s := n.Link(a, b).Stats()
		checkConservation(t, s)
		// 5 standard deviations of a binomial count: never flaky, and the
		// seed is fixed anyway.
		tol := 5*math.Sqrt(count*p*(1-p)) + 1
		within(t, "dropped", float64(s.Dropped[DropLoss]), count*p, tol)
		if uint64(received) != s.Delivered {
			t.Errorf("loss %v: received %d, stats say %d", p, received, s.Delivered)
		}
	}
}

func TestBurstLoss(t *testing.T) {
	const count = 50000
	ge := &GilbertElliott{PGoodToBad: 0.01, PBadToGood: 0.25, LossBad: 1}
	n, a, b, got := pair(t, 2, LinkConfig{Burst: ge})
	sendEvery(n, a, b, count, 8, time.Microsecond)
	s := n.Link(a, b).Stats()
	checkConservation(t, s)
	// Stationary share of Bad: p/(p+r) = 0.01/0.26.
	want := count * 0.01 / 0.26
	within(t, "burst drops", float64(s.Dropped[DropBurst]), want, want*0.2)
	// Lost runs average 1/r = 4 datagrams; independent loss would give ~1.
	runs, lost := 0, 0
	next := uint64(0)
	for _, r := range *got {
		seq := binary.BigEndian.Uint64(r.data)
		if seq > next {
			runs++
			lost += int(seq - next)
		}
		next = seq + 1
	}
	if mean := float64(lost) / float64(runs); mean < 3 || mean > 5 {
		t.Errorf("mean burst length %.2f, want about 4", mean)
	}
}

func TestMTU(t *testing.T) {
	const mtu = 1200
	n, a, b, got := pair(t, 3, LinkConfig{MTU: mtu})
	oversize := 0
	for size := 8; size <= 1500; size++ {
		if size > mtu {
			oversize++
		}
		a.Send(b.AddrPort(), payload(uint64(size), size))
	}
	n.Advance(time.Second)
	s := n.Link(a, b).Stats()
	if s.Dropped[DropMTU] != uint64(oversize) || s.TotalDropped() != uint64(oversize) {
		t.Errorf("MTU drops %d (total %d), want exactly %d", s.Dropped[DropMTU], s.TotalDropped(), oversize)
	}
	for _, r := range *got {
		if len(r.data) > mtu {
			t.Errorf("delivered %d bytes over MTU %d", len(r.data), mtu)
		}
	}
	if len(*got) != mtu-8+1 {
		t.Errorf("delivered %d datagrams, want %d", len(*got), mtu-8+1)
	}
}

func TestBlackhole(t *testing.T) {
	w := Window{Start: 200 * time.Millisecond, End: 300 * time.Millisecond}
	n, a, b, got := pair(t, 4, LinkConfig{Delay: 50 * time.Millisecond, Blackholes: []Window{w}})
	sendEvery(n, a, b, 1000, 100, time.Millisecond) // seq i sent at i ms
	s := n.Link(a, b).Stats()
	if s.Dropped[DropBlackhole] != 100 || s.Delivered != 900 {
		t.Fatalf("blackhole dropped %d, delivered %d; want 100 and 900", s.Dropped[DropBlackhole], s.Delivered)
	}
	for _, r := range *got {
		sent := time.Duration(binary.BigEndian.Uint64(r.data)) * time.Millisecond
		if w.contains(sent) {
			t.Errorf("datagram sent at %v in the blackhole was delivered", sent)
		}
		if r.at != sent+50*time.Millisecond {
			t.Errorf("datagram sent at %v delivered at %v", sent, r.at)
		}
	}
}

func TestBandwidthQueue(t *testing.T) {
	// 8 Mbit/s is one byte per microsecond: a 1000-byte datagram takes 1 ms.
	cfg := LinkConfig{Delay: 10 * time.Millisecond, Bandwidth: 8_000_000, QueueBytes: 5000}
	n, a, b, got := pair(t, 5, cfg)
	for i := range 10 {
		a.Send(b.AddrPort(), payload(uint64(i), 1000))
	}
	n.Advance(time.Second)
	s := n.Link(a, b).Stats()
	if s.Delivered != 5 || s.Dropped[DropQueue] != 5 {
		t.Fatalf("delivered %d, queue drops %d; want 5 and 5", s.Delivered, s.Dropped[DropQueue])
	}
	for i, r := range *got {
		want := time.Duration(i+1)*time.Millisecond + 10*time.Millisecond
		if r.at != want || binary.BigEndian.Uint64(r.data) != uint64(i) {
			t.Errorf("datagram %d (seq %d) delivered at %v, want %v", i, binary.BigEndian.Uint64(r.data), r.at, want)
		}
	}
	// The queue drained: a new datagram waits for nobody.
	start := n.Now()
	*got = (*got)[:0]
	a.Send(b.AddrPort(), payload(99, 1000))
	n.Advance(time.Second)
	if len(*got) != 1 || (*got)[0].at != start+11*time.Millisecond {
		t.Errorf("after drain: got %v, want one delivery at %v", *got, start+11*time.Millisecond)
	}
}

func TestBandwidthRate(t *testing.T) {
	// Sending faster than the bottleneck: throughput equals the rate.
	cfg := LinkConfig{Bandwidth: 10_000_000, QueueBytes: 2 << 20}
	n, a, b, got := pair(t, 6, cfg)
	sendEvery(n, a, b, 1000, 1250, 0) // 1000 x 1 ms of serialisation
	last := (*got)[len(*got)-1].at
	if len(*got) != 1000 || last != time.Second {
		t.Errorf("delivered %d, last at %v; want 1000 at 1s", len(*got), last)
	}
}

func TestDelayJitter(t *testing.T) {
	cfg := LinkConfig{Delay: 20 * time.Millisecond, Jitter: 5 * time.Millisecond}
	n, a, b, got := pair(t, 7, cfg)
	sendEvery(n, a, b, 10000, 8, 10*time.Millisecond)
	var sum time.Duration
	for _, r := range *got {
		d := r.at - time.Duration(binary.BigEndian.Uint64(r.data))*10*time.Millisecond
		if d < 20*time.Millisecond || d >= 25*time.Millisecond {
			t.Fatalf("one-way delay %v outside [20ms, 25ms)", d)
		}
		sum += d
	}
	mean := sum / time.Duration(len(*got))
	within(t, "mean delay ms", mean.Seconds()*1000, 22.5, 0.2)
	if s := n.Link(a, b).Stats(); s.Reordered != 0 {
		t.Errorf("jitter smaller than the gap reordered %d", s.Reordered)
	}
}

// observedReorders counts datagrams that arrive after one sent later.
func observedReorders(got []rx) (reordered, dups int) {
	var maxSeq uint64
	seen := map[uint64]bool{}
	for i, r := range got {
		seq := binary.BigEndian.Uint64(r.data)
		if seen[seq] {
			dups++
		}
		seen[seq] = true
		if i > 0 && seq < maxSeq {
			reordered++
		}
		maxSeq = max(maxSeq, seq)
	}
	return reordered, dups
}

func TestReorder(t *testing.T) {
	const count = 20000
	cfg := LinkConfig{Delay: 10 * time.Millisecond, Reorder: 0.1, ReorderDelay: 5 * time.Millisecond}
	n, a, b, got := pair(t, 8, cfg)
	sendEvery(n, a, b, count, 8, time.Millisecond)
	s := n.Link(a, b).Stats()
	checkConservation(t, s)
	reordered, _ := observedReorders(*got)
	if uint64(reordered) != s.Reordered {
		t.Errorf("receiver saw %d reordered, stats say %d", reordered, s.Reordered)
	}
	// A held-back datagram is overtaken unless the next ones are held too.
	within(t, "reordered", float64(s.Reordered), count*0.1, count*0.02)
}

func TestDuplicate(t *testing.T) {
	const count = 20000
	n, a, b, got := pair(t, 9, LinkConfig{Duplicate: 0.05, Jitter: time.Millisecond})
	sendEvery(n, a, b, count, 8, 10*time.Millisecond)
	s := n.Link(a, b).Stats()
	checkConservation(t, s)
	_, dups := observedReorders(*got)
	if uint64(dups) != s.Duplicated || s.Delivered != count+s.Duplicated {
		t.Errorf("receiver saw %d duplicates, stats %d; delivered %d", dups, s.Duplicated, s.Delivered)
	}
	within(t, "duplicated", float64(s.Duplicated), count*0.05, 5*math.Sqrt(count*0.05*0.95))
}

func TestCorrupt(t *testing.T) {
	const count = 20000
	n, a, b, got := pair(t, 10, LinkConfig{Corrupt: 0.1})
	sendEvery(n, a, b, count, 64, time.Millisecond)
	s := n.Link(a, b).Stats()
	corrupted := 0
	for i, r := range *got {
		want := payload(uint64(i), 64)
		flipped := 0
		for j := range want {
			for x := want[j] ^ r.data[j]; x != 0; x &= x - 1 {
				flipped++
			}
		}
		if flipped > 1 {
			t.Fatalf("datagram %d has %d flipped bits", i, flipped)
		}
		corrupted += flipped
	}
	if uint64(corrupted) != s.Corrupted {
		t.Errorf("receiver saw %d corrupted, stats say %d", corrupted, s.Corrupted)
	}
	within(t, "corrupted", float64(s.Corrupted), count*0.1, 5*math.Sqrt(count*0.1*0.9))
}

func TestDirectionsIndependent(t *testing.T) {
	n := New(11)
	a, b := n.MustListen("10.0.0.1:1"), n.MustListen("10.0.0.2:2")
	n.SetPath(a, b, LinkConfig{Loss: 1}, LinkConfig{Delay: time.Millisecond})
	a.Send(b.AddrPort(), []byte("lost"))
	b.Send(a.AddrPort(), []byte("kept"))
	n.Advance(time.Second)
	buf := make([]byte, 16)
	if _, _, ok := b.Recv(buf); ok {
		t.Error("a->b with Loss 1 delivered")
	}
	if k, from, ok := a.Recv(buf); !ok || string(buf[:k]) != "kept" || from != b.AddrPort() {
		t.Errorf("b->a: %q from %v, %v", buf[:k], from, ok)
	}
}

func TestFilter(t *testing.T) {
	cfg := LinkConfig{Duplicate: 1, Filter: func(now time.Duration, seq uint64, b []byte) bool {
		if seq == 2 {
			return false // lose the second datagram
		}
		b[len(b)-1] = 0xee // tamper with the others
		return true
	}}
	n, a, b, got := pair(t, 19, cfg)
	sendEvery(n, a, b, 3, 9, time.Millisecond)
	s := n.Link(a, b).Stats()
	if s.Dropped[DropFilter] != 1 || s.Delivered != 4 || len(*got) != 4 {
		t.Fatalf("stats %v, received %d", s, len(*got))
	}
	for _, r := range *got {
		if seq := binary.BigEndian.Uint64(r.data); seq == 1 || r.data[8] != 0xee {
			t.Errorf("received seq %d ending %#x", seq, r.data[8])
		}
	}
}
