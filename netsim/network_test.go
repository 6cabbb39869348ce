package netsim

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"
)

func TestRebinding(t *testing.T) {
	n := New(12)
	client := n.MustListen("10.0.0.2:5000")
	server := n.MustListen("10.0.0.1:443")
	n.SetDefaultLink(LinkConfig{}) // links made below get the default
	n.SetPath(client, server, LinkConfig{Delay: 10 * time.Millisecond}, LinkConfig{Delay: 10 * time.Millisecond})
	newAddr := netip.MustParseAddrPort("10.0.0.3:6000")
	client.RebindAt(100*time.Millisecond, newAddr)

	buf := make([]byte, 64)
	type step struct {
		at        time.Duration
		wantFrom  netip.AddrPort
		wantReply bool // false: the reply goes to an address gone meanwhile
	}
	for _, st := range []step{
		{0, client.AddrPort(), true},
		{95 * time.Millisecond, client.AddrPort(), false}, // in flight across the rebind
		{100 * time.Millisecond, newAddr, true},
		{200 * time.Millisecond, newAddr, true},
	} {
		n.AdvanceTo(st.at)
		client.Send(server.AddrPort(), []byte("ping"))
		n.Advance(20 * time.Millisecond)
		_, from, ok := server.Recv(buf)
		if !ok || from != st.wantFrom {
			t.Fatalf("sent at %v: server saw %v (%v), want %v", st.at, from, ok, st.wantFrom)
		}
		// The reply to what the server saw reaches the client.
		server.Send(from, []byte("pong"))
		n.Advance(20 * time.Millisecond)
		k, from, ok := client.Recv(buf)
		if !st.wantReply {
			if ok {
				t.Fatalf("sent at %v: reply to the old address arrived", st.at)
			}
			continue
		}
		if !ok || string(buf[:k]) != "pong" || from != server.AddrPort() {
			t.Fatalf("sent at %v: client got %q from %v (%v)", st.at, buf[:k], from, ok)
		}
	}
	if client.LocalAddr().String() != "10.0.0.2:5000" || client.ExternalAddr() != newAddr {
		t.Errorf("local %v external %v", client.LocalAddr(), client.ExternalAddr())
	}
	// The old address no longer routes.
	server.Send(client.AddrPort(), []byte("stale"))
	n.Advance(time.Second)
	if _, _, ok := client.Recv(buf); ok || n.Unroutable() != 2 {
		t.Errorf("old address still routes (unroutable %d)", n.Unroutable())
	}
}

// allImpairments exercises every random decision at once.
var allImpairments = LinkConfig{
	Delay: 5 * time.Millisecond, Jitter: 3 * time.Millisecond, Loss: 0.05,
	Burst:   &GilbertElliott{PGoodToBad: 0.02, PBadToGood: 0.3, LossBad: 0.9},
	Reorder: 0.05, Duplicate: 0.05, Corrupt: 0.05, MTU: 1300,
	Bandwidth: 50_000_000, QueueBytes: 30000,
	Blackholes: []Window{{Start: 40 * time.Millisecond, End: 45 * time.Millisecond}},
}

// traceRun runs a two-way exchange under allImpairments and returns its trace.
func traceRun(seed uint64) []TraceEvent {
	n := New(seed)
	var trace []TraceEvent
	n.SetTrace(func(ev TraceEvent) { trace = append(trace, ev) })
	n.SetDefaultLink(allImpairments)
	a, b := n.MustListen("10.0.0.1:1"), n.MustListen("10.0.0.2:2")
	b.SetHandler(func(now time.Duration, from netip.AddrPort, p []byte) {
		b.Send(from, p[:len(p)/2+1])
	})
	buf := make([]byte, 1400)
	for i := range 2000 {
		a.Send(b.AddrPort(), buf[:100+i%1300])
		n.Advance(50 * time.Microsecond)
		a.Recv(buf)
	}
	n.Advance(time.Second)
	return trace
}

func TestDeterminism(t *testing.T) {
	r1, r2, r3 := traceRun(42), traceRun(42), traceRun(43)
	if len(r1) < 4000 {
		t.Fatalf("trace too short: %d", len(r1))
	}
	if !slices.Equal(r1, r2) {
		t.Error("two runs with seed 42 differ")
	}
	if slices.Equal(r1, r3) {
		t.Error("seeds 42 and 43 give the same trace")
	}
	kinds := map[TraceKind]int{}
	causes := map[DropCause]int{}
	for _, ev := range r1 {
		kinds[ev.Kind]++
		if ev.Kind == TraceDrop {
			causes[ev.Cause]++
		}
	}
	for _, c := range []DropCause{DropLoss, DropBurst, DropMTU, DropBlackhole} {
		if causes[c] == 0 {
			t.Errorf("no %v drop in the trace", c)
		}
	}
}

func TestRecvBufferAndClose(t *testing.T) {
	n := New(13)
	a, b := n.MustListen("10.0.0.1:1"), n.MustListen("10.0.0.2:2")
	b.SetReadBuffer(250)
	for range 5 {
		a.Send(b.AddrPort(), make([]byte, 100))
	}
	n.Advance(time.Millisecond)
	l := n.Link(a, b)
	if s := l.Stats(); s.Delivered != 2 || s.Dropped[DropRecvBuffer] != 3 || b.Pending() != 2 {
		t.Errorf("read buffer: %+v pending %d", s, b.Pending())
	}
	n.Link(a, b).SetConfig(LinkConfig{Delay: time.Millisecond})
	a.Send(b.AddrPort(), []byte("x"))
	b.Close()
	n.Advance(time.Second)
	if s := l.Stats(); s.Dropped[DropClosed] != 1 {
		t.Errorf("closed: %+v", s)
	}
	if err := a.Send(b.AddrPort(), []byte("y")); err != nil || n.Unroutable() != 1 {
		t.Errorf("send to closed endpoint: %v, unroutable %d", err, n.Unroutable())
	}
	a.Close()
	if err := a.Send(b.AddrPort(), nil); !errors.Is(err, net.ErrClosed) {
		t.Errorf("send on closed endpoint: %v", err)
	}
	if err := a.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second close: %v", err)
	}
}

func TestListen(t *testing.T) {
	n := New(14)
	a := n.MustListen("10.0.0.1:443")
	if _, err := n.Listen("10.0.0.1:443"); !errors.Is(err, ErrAddrInUse) {
		t.Errorf("duplicate listen: %v", err)
	}
	if _, err := n.Listen("nonsense"); err == nil {
		t.Error("bad address accepted")
	}
	if _, err := n.ListenUDP(&net.UDPAddr{Port: 5}); err == nil {
		t.Error("address without IP accepted")
	}
	e1, _ := n.Listen("10.0.0.1:0")
	e2, _ := n.ListenUDP(&net.UDPAddr{IP: net.IPv4(10, 0, 0, 1)})
	if e1.AddrPort().Port() == 0 || e1.AddrPort() == e2.AddrPort() {
		t.Errorf("ephemeral ports %v %v", e1.AddrPort(), e2.AddrPort())
	}
	// IPv4-mapped IPv6 addresses reach the IPv4 endpoint.
	e1.Send(netip.MustParseAddrPort("[::ffff:10.0.0.1]:443"), []byte("hi"))
	n.Advance(0)
	if a.Pending() != 1 {
		t.Error("mapped address did not route")
	}
	n.Close()
	if _, err := n.Listen("10.0.0.9:1"); !errors.Is(err, net.ErrClosed) {
		t.Errorf("listen on closed network: %v", err)
	}
}

func TestNextEventAndAdvance(t *testing.T) {
	n, a, b, got := pair(t, 15, LinkConfig{Delay: 30 * time.Millisecond})
	if _, ok := n.NextEvent(); ok {
		t.Error("empty network has an event")
	}
	n.AdvanceTo(10 * time.Millisecond)
	a.Send(b.AddrPort(), []byte("x"))
	if at, ok := n.NextEvent(); !ok || at != 40*time.Millisecond {
		t.Errorf("next event %v %v, want 40ms", at, ok)
	}
	n.AdvanceTo(39 * time.Millisecond)
	if len(*got) != 0 {
		t.Error("delivered early")
	}
	n.AdvanceTo(5 * time.Millisecond) // the past: ignored
	if n.Now() != 39*time.Millisecond {
		t.Errorf("clock went back to %v", n.Now())
	}
	n.AdvanceTo(40 * time.Millisecond)
	if len(*got) != 1 || (*got)[0].at != 40*time.Millisecond {
		t.Errorf("got %v", *got)
	}
}

func TestDropCauseString(t *testing.T) {
	for c, want := range map[DropCause]string{DropLoss: "loss", DropClosed: "closed", 99: "unknown"} {
		if c.String() != want {
			t.Errorf("%d: %q", c, c.String())
		}
	}
}

func TestRebindImmediateAndConflict(t *testing.T) {
	n := New(16)
	var rebinds []TraceEvent
	n.SetTrace(func(ev TraceEvent) {
		if ev.Kind == TraceRebind {
			rebinds = append(rebinds, ev)
		}
	})
	a, b := n.MustListen("10.0.0.1:1"), n.MustListen("10.0.0.2:2")
	a.Rebind(b.AddrPort()) // owned by b: ignored
	if a.ExternalAddr() != a.AddrPort() || len(rebinds) != 0 {
		t.Fatalf("rebind onto an owned address changed %v", a.ExternalAddr())
	}
	to := netip.MustParseAddrPort("192.0.2.7:4444")
	a.Rebind(to)
	a.Send(b.AddrPort(), []byte("x"))
	n.Advance(0)
	if _, from, ok := b.Recv(make([]byte, 4)); !ok || from != to {
		t.Errorf("after rebind b saw %v", from)
	}
	if len(rebinds) != 1 || rebinds[0].From != a.AddrPort() || rebinds[0].To != to {
		t.Errorf("trace %+v", rebinds)
	}
	a.Close()
	a.Rebind(netip.MustParseAddrPort("192.0.2.8:1")) // closed: ignored
	if _, err := n.Listen("192.0.2.7:4444"); err != nil {
		t.Errorf("closing a rebound endpoint kept its address: %v", err)
	}
}

func TestLinkConfigCopyAndReset(t *testing.T) {
	n := New(17)
	a, b := n.MustListen("10.0.0.1:1"), n.MustListen("10.0.0.2:2")
	cfg := LinkConfig{Burst: &GilbertElliott{PGoodToBad: 0.5}, Blackholes: []Window{{0, 1}}}
	l := n.Link(a, b)
	l.SetConfig(cfg)
	cfg.Burst.PGoodToBad, cfg.Blackholes[0].End = 0.9, 9 // caller's copy only
	got := l.Config()
	if got.Burst.PGoodToBad != 0.5 || got.Blackholes[0].End != 1 {
		t.Errorf("SetConfig kept the caller's memory: %+v", got)
	}
	a.Send(b.AddrPort(), nil)
	if l.Stats().Sent != 1 {
		t.Fatal("not counted")
	}
	l.ResetStats()
	if l.Stats() != (Stats{}) {
		t.Errorf("after reset %+v", l.Stats())
	}
}

func TestCloseWithDatagramsInFlight(t *testing.T) {
	n := New(18)
	a, b := n.MustListen("10.0.0.1:1"), n.MustListen("10.0.0.2:2")
	n.Link(a, b).SetConfig(LinkConfig{Delay: time.Second})
	a.Send(b.AddrPort(), []byte("late"))
	n.Close()
	if _, ok := n.NextEvent(); ok {
		t.Error("events survive Close")
	}
	if err := n.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	if err := b.Send(a.AddrPort(), nil); !errors.Is(err, net.ErrClosed) {
		t.Errorf("endpoint still open: %v", err)
	}
}

func TestStrings(t *testing.T) {
	from, to := netip.MustParseAddrPort("10.0.0.1:1"), netip.MustParseAddrPort("10.0.0.2:2")
	for _, tc := range []struct {
		got  fmt.Stringer
		want string
	}{
		{TraceEvent{Kind: TraceDeliver, At: 12 * time.Millisecond, Seq: 3, From: from, To: to, Size: 1200, Corrupted: true},
			"12ms deliver #3 10.0.0.1:1->10.0.0.2:2 1200B corrupt"},
		{TraceEvent{Kind: TraceDrop, Seq: 4, From: from, To: to, Size: 9, Cause: DropMTU, Duplicate: true},
			"0s drop #4 10.0.0.1:1->10.0.0.2:2 9B mtu dup"},
		{TraceEvent{Kind: TraceRebind, At: time.Second, From: from, To: to}, "1s rebind 10.0.0.1:1->10.0.0.2:2"},
		{TraceKind(9), "unknown"},
		{Stats{Sent: 5, Delivered: 2, Dropped: [NumDropCauses]uint64{DropLoss: 1, DropQueue: 2}},
			"sent 5 delivered 2 dup 0 corrupt 0 reordered 0 dropped 3 (loss 1, queue 2)"},
		{Stats{Sent: 1, Delivered: 1}, "sent 1 delivered 1 dup 0 corrupt 0 reordered 0 dropped 0"},
	} {
		if s := tc.got.String(); s != tc.want {
			t.Errorf("got  %q\nwant %q", s, tc.want)
		}
	}
}
