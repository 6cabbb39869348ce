package netsim

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"
)

// arqSender is a stop-and-wait sender: a minimal sans-IO node with a
// retransmission timer.
type arqSender struct {
	ep       *Endpoint
	peer     netip.AddrPort
	next     uint32 // message being sent
	total    uint32
	deadline time.Duration
	armed    bool
	rto      time.Duration
	sent     int
}

func (s *arqSender) transmit(now time.Duration) {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], s.next)
	s.ep.Send(s.peer, b[:])
	s.sent++
	s.deadline, s.armed = now+s.rto, true
}

func (s *arqSender) Receive(now time.Duration, from netip.AddrPort, b []byte) {
	if len(b) != 4 || binary.BigEndian.Uint32(b) != s.next {
		return // stale or corrupt ack
	}
	s.next++
	s.armed = false
	if s.next < s.total {
		s.transmit(now)
	}
}

func (s *arqSender) Deadline() (time.Duration, bool) { return s.deadline, s.armed }
func (s *arqSender) HandleTimeout(now time.Duration) { s.transmit(now) }

// arqReceiver acknowledges every message and records the in-order ones.
type arqReceiver struct {
	ep  *Endpoint
	got []uint32
}

func (r *arqReceiver) Receive(now time.Duration, from netip.AddrPort, b []byte) {
	if len(b) != 4 {
		return
	}
	seq := binary.BigEndian.Uint32(b)
	if seq == uint32(len(r.got)) {
		r.got = append(r.got, seq)
	}
	r.ep.Send(from, b)
}
func (r *arqReceiver) Deadline() (time.Duration, bool) { return 0, false }
func (r *arqReceiver) HandleTimeout(time.Duration)     {}

// runARQ transfers total messages over lossy links and returns when it
// finished and how many transmissions it took.
func runARQ(t *testing.T, seed uint64) (time.Duration, int) {
	n := New(seed)
	n.SetDefaultLink(LinkConfig{Delay: 10 * time.Millisecond, Jitter: 2 * time.Millisecond, Loss: 0.3})
	a, b := n.MustListen("10.0.0.1:1000"), n.MustListen("10.0.0.2:443")
	snd := &arqSender{ep: a, peer: b.AddrPort(), total: 100, rto: 50 * time.Millisecond}
	rcv := &arqReceiver{ep: b}
	loop := NewLoop(n)
	loop.Add(a, snd)
	loop.Add(b, rcv)
	snd.transmit(0)
	if !loop.Run(time.Hour, func() bool { return snd.next == snd.total }) {
		t.Fatalf("transfer stalled at %d", snd.next)
	}
	for i, v := range rcv.got {
		if v != uint32(i) {
			t.Fatalf("received %d at %d", v, i)
		}
	}
	if len(rcv.got) != 100 || snd.sent <= 100 {
		t.Fatalf("received %d, sent %d", len(rcv.got), snd.sent)
	}
	if loop.Step() {
		t.Error("loop has work after the transfer")
	}
	return n.Now(), snd.sent
}

func TestLoopARQ(t *testing.T) {
	t1, s1 := runARQ(t, 7)
	t2, s2 := runARQ(t, 7)
	if t1 != t2 || s1 != s2 {
		t.Errorf("same seed, different runs: %v/%d vs %v/%d", t1, s1, t2, s2)
	}
	// Every round trip takes at least 20 ms of virtual time.
	if t1 < 100*20*time.Millisecond {
		t.Errorf("finished at %v, too early", t1)
	}
}

func TestLoopLimit(t *testing.T) {
	n := New(1)
	n.SetDefaultLink(LinkConfig{Loss: 1})
	a, b := n.MustListen("10.0.0.1:1"), n.MustListen("10.0.0.2:2")
	snd := &arqSender{ep: a, peer: b.AddrPort(), total: 1, rto: time.Second}
	loop := NewLoop(n)
	loop.Add(a, snd)
	snd.transmit(0)
	if loop.Run(10*time.Second, func() bool { return snd.next == 1 }) {
		t.Fatal("done over a dead link")
	}
	if snd.sent != 11 || n.Now() != 10*time.Second {
		t.Errorf("sent %d by %v; want 11 by 10s", snd.sent, n.Now())
	}
}
