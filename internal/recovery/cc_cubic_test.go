package recovery

import (
	"math"
	"testing"
)

func TestCubicReduction(t *testing.T) {
	c := NewCubic(1200)
	if c.Window() != 12000 || !c.InSlowStart() {
		t.Fatalf("initial window %d", c.Window())
	}
	c.OnPacketAcked(10, AckedPacket{TimeSent: 1, Size: 1200}, nil)
	c.OnPacketAcked(10, AckedPacket{TimeSent: 1, Size: 1200, AppLimited: true}, nil)
	if c.Window() != 13200 {
		t.Fatalf("slow start window %d, want 13200", c.Window())
	}
	steps := []struct {
		now, sent int64
		window    int
		wMax      float64
	}{
		{100, 50, 9240, 13200},     // beta 0.7
		{110, 90, 9240, 13200},     // same recovery period
		{200, 150, 6468, 7854},     // fast convergence: W_max = 9240 * 0.85
		{300, 250, 4527, 5497.8},   // again
		{400, 350, 3169, 3848.46},  // again
		{500, 450, 2400, 2693.922}, // floored at the minimum window
		{600, 550, 2400, 2040.0},   // window 2400 < W_max: 2400 * 0.85
	}
	for i, s := range steps {
		c.OnCongestionEvent(s.now, s.sent)
		if c.Window() != s.window || math.Abs(c.wMax-s.wMax) > 0.01 {
			t.Fatalf("step %d: window %d W_max %.3f, want %d %.3f", i, c.Window(), c.wMax, s.window, s.wMax)
		}
	}
	c.OnPersistentCongestion(700)
	if c.Window() != 2400 || c.InRecovery(650) {
		t.Errorf("after persistent congestion: window %d", c.Window())
	}
	// Persistent congestion keeps ssthresh: below it, slow start resumes.
	c = NewCubic(1200)
	c.OnCongestionEvent(100, 50)
	c.OnPersistentCongestion(100)
	c.OnPacketAcked(200, AckedPacket{TimeSent: 60, Size: 1200}, nil)
	if c.Window() != 3600 || !c.InSlowStart() {
		t.Errorf("no slow start after persistent congestion: %d", c.Window())
	}
}

// ackClock acknowledges one window per RTT in chunks of chunk bytes from
// time start for rounds RTTs, calling check after each round.
func ackClock(c *Cubic, rtt *RTTStats, start int64, rounds int, chunk int, check func(round int, now int64)) {
	now := start
	for round := 1; round <= rounds; round++ {
		acked := 0
		w := c.Window()
		for acked < w {
			c.OnPacketAcked(now, AckedPacket{TimeSent: now - rtt.Smoothed(), Size: chunk}, rtt)
			acked += chunk
		}
		now += rtt.Smoothed()
		check(round, now)
	}
}

func TestCubicCurve(t *testing.T) {
	// A large window on a 100 ms path is in CUBIC's own region: after a
	// reduction from W_max = 12 MB the window climbs back to W_max at K
	// seconds (concave), stays near it, then probes beyond it (convex).
	const mss = 1200
	const wMax = 10000 * mss
	var rtt RTTStats
	rtt.Reset()
	rtt.Update(0, 100*ms, 0, true)
	c := NewCubic(mss)
	c.window = wMax
	c.OnCongestionEvent(0, 0)
	k := math.Cbrt(wMax * (1 - cubicBeta) / (cubicC * mss)) // 19.57 s
	start := int64(1)
	var atHalfK, atK, atTwoK int
	ackClock(c, &rtt, start, int(2*k*10)+1, 100*mss, func(round int, now int64) {
		t := float64(now-start) / 1e9
		switch {
		case atHalfK == 0 && t >= k/2:
			atHalfK = c.Window()
		case atK == 0 && t >= k:
			atK = c.Window()
		case atTwoK == 0 && t >= 2*k:
			atTwoK = c.Window()
		}
	})
	// W_cubic(K/2) = W_max - C*(K/2)^3 = W_max - 3/8 * 0.3 W_max... plus one RTT ahead.
	wantHalf := wMax - cubicC*mss*math.Pow(k/2, 3)
	if math.Abs(float64(atHalfK)-wantHalf)/wantHalf > 0.02 {
		t.Errorf("window at K/2 = %d, want about %.0f", atHalfK, wantHalf)
	}
	if math.Abs(float64(atK)-wMax)/wMax > 0.02 {
		t.Errorf("window at K = %d, want about %d", atK, wMax)
	}
	wantTwoK := wMax + cubicC*mss*math.Pow(k, 3)
	if math.Abs(float64(atTwoK)-wantTwoK)/wantTwoK > 0.03 {
		t.Errorf("window at 2K = %d, want about %.0f", atTwoK, wantTwoK)
	}
}

func TestCubicRenoFriendly(t *testing.T) {
	// A small window is in the Reno-friendly region: it grows by about
	// alpha_cubic = 0.53 segments per RTT, faster than the cubic curve
	// would at first.
	var rtt RTTStats
	rtt.Reset()
	rtt.Update(0, 100*ms, 0, true)
	c := NewCubic(1200)
	c.OnCongestionEvent(0, 0) // 12000 -> 8400
	before := c.Window()
	// Five RTTs, before W_est reaches the window before the reduction
	// (then alpha becomes 1).
	ackClock(c, &rtt, 200*ms, 5, 1200, func(int, int64) {})
	growth := float64(c.Window()-before) / 1200 / 5
	if growth < 0.5 || growth > 0.6 {
		t.Errorf("Reno-friendly growth %.2f segments per RTT, want about 0.53", growth)
	}
	if c.InSlowStart() {
		t.Error("in slow start after a reduction")
	}
}

func TestCubicMaxDatagramSize(t *testing.T) {
	c := NewCubic(0)
	c.SetMaxDatagramSize(1500)
	if c.Window() != 14720 {
		t.Errorf("window %d", c.Window())
	}
	c.OnCongestionEvent(10, 5)
	c.OnPersistentCongestion(10)
	c.SetMaxDatagramSize(4000)
	if c.Window() != 8000 {
		t.Errorf("minimum window %d, want 8000", c.Window())
	}
	c.OnPacketSent(0, 1)
}
