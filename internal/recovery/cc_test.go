package recovery

import (
	"math"
	"testing"

	"github.com/h3wasi/h3wasi/internal/quicwire"
)

func TestInitialWindow(t *testing.T) {
	tests := []struct{ mss, want int }{
		{1000, 10000},
		{1200, 12000},
		{1472, 14720},
		{1500, 14720},
		{9000, 18000},
	}
	for _, tt := range tests {
		if got := InitialWindow(tt.mss); got != tt.want {
			t.Errorf("InitialWindow(%d) = %d, want %d", tt.mss, got, tt.want)
		}
		if c := NewNewReno(tt.mss); c.Window() != tt.want || !c.InSlowStart() {
			t.Errorf("NewNewReno(%d): window %d", tt.mss, c.Window())
		}
	}
	if MinimumWindow(1200) != 2400 || NewNewReno(0).Window() != 12000 {
		t.Error("defaults")
	}
}

// ccStep is one event applied to a NewReno controller.
type ccStep struct {
	kind       byte  // 'a' ack, 'c' congestion event, 'p' persistent congestion
	now        int64 // time of the event
	sent       int64 // send time of the acknowledged or lost packet
	size       int   // bytes acknowledged
	appLimited bool
	window     int  // expected window after the step
	slowStart  bool // expected InSlowStart after the step
}

func TestNewRenoEvolution(t *testing.T) {
	tests := []struct {
		name  string
		steps []ccStep
	}{
		{"slow start doubles per window", []ccStep{
			{kind: 'a', now: 10, sent: 1, size: 1200, window: 13200, slowStart: true},
			{kind: 'a', now: 10, sent: 1, size: 12000, window: 25200, slowStart: true},
		}},
		{"app-limited packets do not grow", []ccStep{
			{kind: 'a', now: 10, sent: 1, size: 1200, appLimited: true, window: 12000, slowStart: true},
		}},
		{"loss halves once per recovery period", []ccStep{
			{kind: 'c', now: 100, sent: 50, window: 6000},
			{kind: 'c', now: 110, sent: 90, window: 6000},             // sent before recovery began
			{kind: 'a', now: 120, sent: 99, size: 1200, window: 6000}, // no growth in recovery
			{kind: 'c', now: 200, sent: 150, window: 3000},            // a new period
			{kind: 'c', now: 300, sent: 250, window: 2400},            // floored at the minimum
		}},
		{"congestion avoidance: one datagram per window", []ccStep{
			{kind: 'c', now: 100, sent: 50, window: 6000},
			{kind: 'a', now: 200, sent: 150, size: 1200, window: 6000},
			{kind: 'a', now: 200, sent: 150, size: 3600, window: 6000},
			{kind: 'a', now: 200, sent: 150, size: 1200, window: 7200}, // 6000 acknowledged
			{kind: 'a', now: 200, sent: 150, size: 7200, window: 8400},
		}},
		{"persistent congestion collapses and restarts slow start", []ccStep{
			{kind: 'c', now: 100, sent: 50, window: 6000},
			{kind: 'p', now: 100, window: 2400, slowStart: true},
			// The recovery period ended: a packet sent before it grows the window.
			{kind: 'a', now: 200, sent: 60, size: 1200, window: 3600, slowStart: true},
			{kind: 'a', now: 200, sent: 160, size: 2400, window: 6000},
			{kind: 'a', now: 200, sent: 160, size: 6000, window: 7200},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewNewReno(1200)
			for i, s := range tt.steps {
				switch s.kind {
				case 'a':
					c.OnPacketAcked(s.now, AckedPacket{TimeSent: s.sent, Size: s.size, AppLimited: s.appLimited}, nil)
				case 'c':
					c.OnCongestionEvent(s.now, s.sent)
				case 'p':
					c.OnPersistentCongestion(s.now)
				}
				if c.Window() != s.window || c.InSlowStart() != s.slowStart {
					t.Fatalf("step %d: window %d slow start %v, want %d %v",
						i, c.Window(), c.InSlowStart(), s.window, s.slowStart)
				}
			}
		})
	}
}

func TestNewRenoMaxDatagramSize(t *testing.T) {
	c := NewNewReno(1200)
	c.SetMaxDatagramSize(1500)
	if c.Window() != 14720 {
		t.Errorf("window %d after raising mss before any loss, want 14720", c.Window())
	}
	c.OnCongestionEvent(10, 5)
	c.OnPersistentCongestion(10)
	if c.Window() != 3000 {
		t.Errorf("minimum window %d, want 3000", c.Window())
	}
	c.SetMaxDatagramSize(0)
	if c.SlowStartThreshold() == math.MaxInt {
		t.Error("ssthresh not set by loss")
	}
}

// pcScenario sends packet 0 for a first RTT sample (100 ms), then packets
// 1..3 at the given times and 4..6 at 1400 ms, and acknowledges ack at
// 1500 ms. Packets 1..3 are lost unless acknowledged.
func pcScenario(t *testing.T, sendTimes [3]int64, ack []quicwire.AckRange) *Recovery {
	r := New(Config{IsServer: true}, &recorder{})
	r.SetHandshakeConfirmed(0)
	send(r, 0, Application, 0)
	mustAck(t, r, 100*ms, Application, ranges(0, 0), 0)
	for i, at := range sendTimes {
		send(r, at, Application, uint64(i+1))
	}
	send(r, 1400*ms, Application, 4, 5, 6)
	mustAck(t, r, 1500*ms, Application, ack, 0)
	return r
}

func TestPersistentCongestion(t *testing.T) {
	// After the second sample (100 ms): srtt 100, rttvar 37.5, so the
	// persistent congestion duration is (100 + 150 + 25) * 3 = 825 ms.
	tests := []struct {
		name   string
		times  [3]int64
		ack    []quicwire.AckRange
		window int
	}{
		// The first ACK grew the window to 13200 in slow start; a loss halves
		// it. Persistent congestion collapses it to 2400 and ends recovery,
		// so the ACK of packets 4..6 (processed after the losses, RFC 9002
		// Appendix A.7) grows it again in slow start to 6000.
		{"long period of loss", [3]int64{200 * ms, 700 * ms, 1300 * ms}, ranges(4, 6), 6000},
		{"period too short", [3]int64{200 * ms, 700 * ms, 900 * ms}, ranges(4, 6), 6600},
		{"acknowledged packet in between", [3]int64{200 * ms, 700 * ms, 1300 * ms}, ranges(4, 6, 2, 2), 6600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := pcScenario(t, tt.times, tt.ack)
			if r.RTT().PersistentCongestionDuration() != 825*ms {
				t.Fatalf("duration %d", r.RTT().PersistentCongestionDuration())
			}
			if got := r.Congestion().Window(); got != tt.window {
				t.Errorf("window %d, want %d", got, tt.window)
			}
		})
	}
}

func TestPersistentCongestionNeedsPriorSample(t *testing.T) {
	// Losses of packets sent before the first RTT sample do not count.
	r := New(Config{IsServer: true}, &recorder{})
	r.SetHandshakeConfirmed(0)
	send(r, 0, Application, 0)
	send(r, 500*ms, Application, 1)
	send(r, 1100*ms, Application, 2)
	send(r, 1200*ms, Application, 3, 4, 5)
	mustAck(t, r, 1300*ms, Application, ranges(3, 5), 0)
	if got := r.Congestion().Window(); got != 6000 {
		t.Errorf("window %d, want 6000 (one reduction, no collapse)", got)
	}
}

func TestECNCongestion(t *testing.T) {
	r := New(Config{IsServer: true}, &recorder{})
	send(r, 0, Application, 0, 1)
	if err := r.OnAck(10*ms, Application, Ack{Ranges: ranges(0, 0), HasECN: true, ECT0: 1}); err != nil {
		t.Fatal(err)
	}
	if r.Congestion().Window() != 13200 {
		t.Fatalf("window %d", r.Congestion().Window())
	}
	if err := r.OnAck(20*ms, Application, Ack{Ranges: ranges(0, 1), HasECN: true, ECT0: 1, CE: 1}); err != nil {
		t.Fatal(err)
	}
	if r.Congestion().Window() != 6600 {
		t.Errorf("window %d after CE, want 6600", r.Congestion().Window())
	}
	if a, b, c := r.ECNCounts(Application); a != 1 || b != 0 || c != 1 {
		t.Errorf("ECN counts %d %d %d", a, b, c)
	}
}
