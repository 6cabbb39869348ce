package recovery

import (
	"math"
	"testing"
)

func TestPacer(t *testing.T) {
	// cwnd 12000, srtt 100 ms: 1.25 * 12000 / 100 ms = 150 bytes/ms, so a
	// 1200-byte packet earns its credit in 8 ms. The burst is the initial
	// window, 10 packets.
	const cwnd, srtt, mss = 12000, 100 * ms, 1200
	var p Pacer
	now := int64(0)
	for i := 0; i < 10; i++ {
		if next := p.NextSendTime(now, mss, cwnd, srtt, mss); next != now {
			t.Fatalf("packet %d of the burst delayed to %d", i, next)
		}
		p.OnPacketSent(now, mss, cwnd, srtt, mss)
	}
	next := p.NextSendTime(now, mss, cwnd, srtt, mss)
	if next != 8*ms {
		t.Fatalf("11th packet at %d, want 8 ms", next)
	}
	// Half-way, half the credit was earned: 4 ms remain.
	if got := p.NextSendTime(4*ms, mss, cwnd, srtt, mss); got != 8*ms {
		t.Fatalf("at 4 ms: next %d, want 8 ms", got)
	}
	now = next
	if p.NextSendTime(now, mss, cwnd, srtt, mss) != now {
		t.Fatal("not released at its time")
	}
	p.OnPacketSent(now, mss, cwnd, srtt, mss)
	// In steady state packets are spaced 8 ms apart.
	for i := 0; i < 5; i++ {
		next := p.NextSendTime(now, mss, cwnd, srtt, mss)
		if next-now != 8*ms {
			t.Fatalf("gap %d, want 8 ms", next-now)
		}
		now = next
		p.OnPacketSent(now, mss, cwnd, srtt, mss)
	}
	// A long idle period restores the burst, no more.
	now += 1e15
	for i := 0; i < 10; i++ {
		if p.NextSendTime(now, mss, cwnd, srtt, mss) != now {
			t.Fatalf("after idle, packet %d delayed", i)
		}
		p.OnPacketSent(now, mss, cwnd, srtt, mss)
	}
	if p.NextSendTime(now, mss, cwnd, srtt, mss) == now {
		t.Fatal("burst after idle exceeds the allowance")
	}
}

func TestPacerEdgeCases(t *testing.T) {
	tests := []struct {
		name       string
		burst      int
		minDelay   int64
		cwnd       int
		srtt       int64
		sends      int // packets of 1200 sent at time 0 first
		wantAfter0 int64
	}{
		{"no RTT: no pacing", 0, 0, 12000, 0, 50, 0},
		{"explicit burst", 2400, 0, 12000, 100 * ms, 2, 8 * ms},
		{"burst below one packet", 100, 0, 12000, 100 * ms, 1, 8 * ms},
		// 150 bytes/µs: the burst is what 2 ms earn, 300 kB (250 packets),
		// and the wait is at least 1 ms.
		{"fast path: burst of two intervals", 0, 0, 1200000, 10 * ms, 249, 0},
		{"fast path: wait at least 1 ms", 0, 0, 1200000, 10 * ms, 250, ms},
		{"no minimum delay: sub-ms gaps", 0, -1, 1200000, 10 * ms, 10, 8000},
		{"custom minimum delay", 0, 50000, 1200000, 10 * ms, 13, 50000},
		{"rounding up", 0, -1, 7, 1, 10, 138}, // 1200 * 4 / 35 = 137.1
		{"tiny rate saturates", 0, 0, 1, math.MaxInt64 / 4, 10, math.MaxInt64},
		{"huge rate caps the burst", 0, 0, math.MaxInt32, 1, 10, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Pacer{Burst: tt.burst, MinDelay: tt.minDelay}
			for i := 0; i < tt.sends; i++ {
				p.OnPacketSent(0, 1200, tt.cwnd, tt.srtt, 1200)
			}
			if got := p.NextSendTime(0, 1200, tt.cwnd, tt.srtt, 1200); got != tt.wantAfter0 {
				t.Errorf("next %d, want %d", got, tt.wantAfter0)
			}
		})
	}
}

func TestRecoveryPacing(t *testing.T) {
	r := New(Config{IsServer: true}, &recorder{})
	r.SetHandshakeConfirmed(0)
	send(r, 0, Application, 0)
	mustAck(t, r, 100*ms, Application, ranges(0, 0), 0) // srtt 100 ms, cwnd 13200
	now := 100 * ms
	n := uint64(1)
	for r.NextSendTime(now, 1200) == now {
		send(r, now, Application, n)
		n++
	}
	if n < 10 || n > 13 {
		t.Errorf("burst of %d packets", n-1)
	}
	if r.Available() != max(13200-r.BytesInFlight(), 0) || r.CanSend(r.Available()+1) {
		t.Errorf("available %d", r.Available())
	}
	r.OnTimeout(r.Deadline()) // a PTO: probes are not paced
	if r.NextSendTime(now, 1200) != now {
		t.Error("probe paced")
	}
}
