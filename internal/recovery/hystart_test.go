package recovery

import "testing"

// hsRound acknowledges 8 packets of 1200 bytes at time now, each with an
// RTT sample of latest, as one round of slow start: the first packet was
// sent after the previous round began, the others earlier.
func hsRound(c CongestionController, rtt *RTTStats, now, latest int64) {
	for i := 0; i < 8; i++ {
		rtt.Update(now, latest, 0, true)
		sent := now - 1
		if i > 0 {
			sent = now - 3*latest
		}
		c.OnPacketAcked(now, AckedPacket{TimeSent: sent, Size: 1200}, rtt)
	}
}

func TestHyStart(t *testing.T) {
	for _, name := range []string{"NewReno", "Cubic"} {
		t.Run(name, func(t *testing.T) {
			var c CongestionController
			if name == "NewReno" {
				nr := NewNewReno(1200)
				nr.HyStart = true
				c = nr
			} else {
				cu := NewCubic(1200)
				cu.HyStart = true
				c = cu
			}
			var rtt RTTStats
			rtt.Reset()
			now := int64(0)
			// Three rounds at 50 ms: plain slow start, 8 * 1200 per round.
			for r := 0; r < 3; r++ {
				now += 100 * ms
				hsRound(c, &rtt, now, 50*ms)
			}
			if c.Window() != 12000+3*9600 || !c.InSlowStart() {
				t.Fatalf("window %d after 3 rounds", c.Window())
			}
			// The RTT rises by 10 ms > max(50/8, 4) ms: after 8 samples,
			// Conservative Slow Start grows by a quarter.
			now += 100 * ms
			hsRound(c, &rtt, now, 60*ms)
			if want := 40800 + 7*1200 + 300; c.Window() != want {
				t.Fatalf("window %d in the round of the RTT rise, want %d", c.Window(), want)
			}
			w := c.Window()
			now += 100 * ms
			hsRound(c, &rtt, now, 60*ms)
			if c.Window() != w+8*300 {
				t.Fatalf("CSS growth %d, want %d", c.Window()-w, 8*300)
			}
			// After CSS_ROUNDS rounds in CSS, slow start ends.
			for r := 0; r < 3; r++ {
				now += 100 * ms
				hsRound(c, &rtt, now, 60*ms)
			}
			if !c.InSlowStart() {
				t.Fatal("slow start ended early")
			}
			now += 100 * ms
			hsRound(c, &rtt, now, 60*ms)
			if c.InSlowStart() {
				t.Fatalf("still in slow start at window %d", c.Window())
			}
		})
	}
}

func TestHyStartSpuriousRise(t *testing.T) {
	c := NewNewReno(1200)
	c.HyStart = true
	var rtt RTTStats
	rtt.Reset()
	now := int64(0)
	for _, latest := range []int64{50 * ms, 50 * ms, 60 * ms} {
		now += 100 * ms
		hsRound(c, &rtt, now, latest)
	}
	if !c.hs.inCSS {
		t.Fatal("not in CSS after the RTT rise")
	}
	// The RTT falls below the CSS baseline: back to full slow start.
	now += 100 * ms
	hsRound(c, &rtt, now, 40*ms)
	if c.hs.inCSS {
		t.Fatal("still in CSS after the RTT fell")
	}
	w := c.Window()
	now += 100 * ms
	hsRound(c, &rtt, now, 40*ms)
	if c.Window() != w+8*1200 {
		t.Errorf("growth %d, want full slow start", c.Window()-w)
	}
	// A loss ends slow start and persistent congestion restarts HyStart++.
	c.OnCongestionEvent(now, now)
	c.OnPersistentCongestion(now)
	if c.hs.inCSS || c.hs.lastRoundMin != 1<<63-1 {
		t.Error("HyStart++ not reset")
	}
	c.hs.onAck(now, now, nil) // without RTT information it stays out of the way
}
