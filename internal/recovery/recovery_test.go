package recovery

import (
	"errors"
	"slices"
	"testing"

	"github.com/h3wasi/h3wasi/internal/quicwire"
)

// recorder is a Handler that remembers packet numbers and frames.
type recorder struct {
	acked, lost [NumSpaces][]uint64
	lostFrames  []Frame
}

func (h *recorder) OnPacketAcked(space Space, p *SentPacket) {
	h.acked[space] = append(h.acked[space], p.PacketNumber)
}

func (h *recorder) OnPacketLost(space Space, p *SentPacket) {
	h.lost[space] = append(h.lost[space], p.PacketNumber)
	h.lostFrames = append(h.lostFrames, p.Frames...)
}

// send sends ack-eliciting packets pns of 1200 bytes at now.
func send(r *Recovery, now int64, space Space, pns ...uint64) {
	for _, pn := range pns {
		r.OnPacketSent(now, space, SentPacket{PacketNumber: pn, Size: 1200, AckEliciting: true})
	}
}

// ranges builds descending ACK ranges from pairs smallest, largest given in
// descending order.
func ranges(pairs ...uint64) []quicwire.AckRange {
	var rs []quicwire.AckRange
	for i := 0; i+1 < len(pairs); i += 2 {
		rs = append(rs, quicwire.AckRange{Smallest: pairs[i], Largest: pairs[i+1]})
	}
	return rs
}

func mustAck(t *testing.T, r *Recovery, now int64, space Space, rs []quicwire.AckRange, delay int64) {
	t.Helper()
	if err := r.OnAck(now, space, Ack{Ranges: rs, AckDelay: delay}); err != nil {
		t.Fatalf("OnAck: %v", err)
	}
}

func TestPacketThresholdLoss(t *testing.T) {
	tests := []struct {
		name      string
		sent      uint64 // packets 0..sent-1 are sent
		ack       []quicwire.AckRange
		wantAcked []uint64
		wantLost  []uint64
	}{
		{"no gap", 4, ranges(0, 3), []uint64{0, 1, 2, 3}, nil},
		{"gap of one below threshold", 4, ranges(2, 3, 0, 0), []uint64{2, 3, 0}, nil},
		{"third packet after the gap", 5, ranges(2, 4, 0, 0), []uint64{2, 3, 4, 0}, []uint64{1}},
		{"several losses", 10, ranges(9, 9, 5, 6), []uint64{9, 5, 6}, []uint64{0, 1, 2, 3, 4}},
		{"largest only", 10, ranges(9, 9), []uint64{9}, []uint64{0, 1, 2, 3, 4, 5, 6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &recorder{}
			r := New(Config{IsServer: true}, h)
			for pn := uint64(0); pn < tt.sent; pn++ {
				send(r, 0, Application, pn)
			}
			mustAck(t, r, 10*ms, Application, tt.ack, 0)
			if !slices.Equal(h.acked[Application], tt.wantAcked) {
				t.Errorf("acked %v, want %v", h.acked[Application], tt.wantAcked)
			}
			if !slices.Equal(h.lost[Application], tt.wantLost) {
				t.Errorf("lost %v, want %v", h.lost[Application], tt.wantLost)
			}
			outstanding := int(tt.sent) - len(tt.wantAcked) - len(tt.wantLost)
			if r.BytesInFlight() != 1200*outstanding {
				t.Errorf("bytes in flight %d, want %d", r.BytesInFlight(), 1200*outstanding)
			}
		})
	}
}

func TestTimeThresholdLoss(t *testing.T) {
	h := &recorder{}
	r := New(Config{IsServer: true}, h)
	send(r, 0, Application, 0)
	send(r, 10*ms, Application, 1)
	// The ACK of packet 1 at 110 ms gives latest_rtt = smoothed = 100 ms;
	// packet 0 is below the packet threshold, so it waits for the time
	// threshold: 9/8 * 100 ms after it was sent.
	mustAck(t, r, 110*ms, Application, ranges(1, 1), 0)
	if len(h.lost[Application]) != 0 {
		t.Fatalf("lost early: %v", h.lost[Application])
	}
	if got, want := r.Deadline(), 112500000; got != int64(want) {
		t.Fatalf("deadline %d, want %d (loss time)", got, want)
	}
	r.OnTimeout(112 * ms) // early: nothing happens
	if len(h.lost[Application]) != 0 || r.PTOCount() != 0 {
		t.Fatal("early OnTimeout acted")
	}
	r.OnTimeout(r.Deadline())
	if !slices.Equal(h.lost[Application], []uint64{0}) {
		t.Fatalf("lost %v, want [0]", h.lost[Application])
	}
	if r.PTOCount() != 0 || r.BytesInFlight() != 0 || r.Deadline() != NoDeadline {
		t.Errorf("after loss timeout: pto %d inflight %d deadline %d", r.PTOCount(), r.BytesInFlight(), r.Deadline())
	}
}

func TestTimeThresholdOnAck(t *testing.T) {
	// A packet sent long enough before the ACK is lost at once by the time
	// threshold, though fewer than three later packets are acknowledged.
	h := &recorder{}
	r := New(Config{IsServer: true}, h)
	send(r, 0, Application, 0)
	send(r, 200*ms, Application, 1)
	mustAck(t, r, 220*ms, Application, ranges(1, 1), 0) // rtt 20 ms: loss delay 22.5 ms
	if !slices.Equal(h.lost[Application], []uint64{0}) {
		t.Fatalf("lost %v, want [0]", h.lost[Application])
	}
}

func TestAckValidation(t *testing.T) {
	r := New(Config{IsServer: true}, &recorder{})
	if err := r.OnAck(0, Application, Ack{Ranges: ranges(0, 0)}); !errors.Is(err, &quicwire.TransportError{Code: quicwire.ProtocolViolation}) {
		t.Errorf("ACK before sending: %v", err)
	}
	send(r, 0, Application, 0, 1, 2, 3, 4)
	tests := []struct {
		name string
		rs   []quicwire.AckRange
		code quicwire.ErrorCode
	}{
		{"unsent", ranges(5, 5), quicwire.ProtocolViolation},
		{"empty", nil, quicwire.FrameEncodingError},
		{"inverted", ranges(3, 2), quicwire.FrameEncodingError},
		{"ascending", ranges(0, 0, 2, 3), quicwire.FrameEncodingError},
		{"no gap", ranges(3, 4, 1, 2), quicwire.FrameEncodingError},
	}
	for _, tt := range tests {
		err := r.OnAck(0, Application, Ack{Ranges: tt.rs})
		var te *quicwire.TransportError
		if !errors.As(err, &te) || te.Code != tt.code || te.FrameType != uint64(quicwire.FrameTypeAck) {
			t.Errorf("%s: %v, want code %v", tt.name, err, tt.code)
		}
	}
	if r.BytesInFlight() != 5*1200 {
		t.Error("a rejected ACK changed state")
	}
}

func TestDuplicateAckIgnored(t *testing.T) {
	h := &recorder{}
	r := New(Config{IsServer: true}, h)
	send(r, 0, Application, 0, 1)
	mustAck(t, r, 10*ms, Application, ranges(0, 1), 0)
	mustAck(t, r, 500*ms, Application, ranges(0, 1), 0)
	if len(h.acked[Application]) != 2 || r.RTT().Latest() != 10*ms {
		t.Errorf("acked %v latest %d", h.acked[Application], r.RTT().Latest())
	}
}

func TestRTTSampleRules(t *testing.T) {
	tests := []struct {
		name       string
		space      Space
		ack        []quicwire.AckRange
		wantSmooth int64
	}{
		// Second sample 130 ms with 20 ms ack delay: adjusted 110 ms.
		{"ack delay used", Application, ranges(2, 2), 101250000},
		{"initial ignores ack delay", Initial, ranges(2, 2), 103750000},
		{"handshake uses ack delay", Handshake, ranges(2, 2), 101250000},
		// Packet 1 newly acked, but the largest (2) was acked already.
		{"largest not newly acked: no sample", Application, ranges(1, 2), 100 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New(Config{IsServer: true}, &recorder{})
			send(r, 0, tt.space, 0)
			mustAck(t, r, 100*ms, tt.space, ranges(0, 0), 0) // first sample: 100 ms
			send(r, 100*ms, tt.space, 1, 2)
			if tt.name == "largest not newly acked: no sample" {
				mustAck(t, r, 150*ms, tt.space, ranges(2, 2, 0, 0), 0) // 50 ms sample
				if r.RTT().Latest() != 50*ms {
					t.Fatalf("latest %d", r.RTT().Latest())
				}
				tt.wantSmooth = r.RTT().Smoothed()
			}
			if err := r.OnAck(230*ms, tt.space, Ack{Ranges: tt.ack, AckDelay: 20 * ms}); err != nil {
				t.Fatal(err)
			}
			if r.RTT().Smoothed() != tt.wantSmooth {
				t.Errorf("srtt %d, want %d", r.RTT().Smoothed(), tt.wantSmooth)
			}
		})
	}
	// A newly acknowledged largest that is not ack-eliciting gives no sample.
	r := New(Config{IsServer: true}, &recorder{})
	r.OnPacketSent(0, Application, SentPacket{PacketNumber: 0, Size: 50})
	mustAck(t, r, 10*ms, Application, ranges(0, 0), 0)
	if r.RTT().HasSample() {
		t.Error("sample from a non-ack-eliciting packet")
	}
}

func TestNonInFlightPackets(t *testing.T) {
	h := &recorder{}
	r := New(Config{IsServer: true}, h)
	r.OnPacketSent(0, Application, SentPacket{PacketNumber: 0, Size: 40, Frames: []Frame{{Kind: 9, ID: 77}}})
	if r.BytesInFlight() != 0 || r.Deadline() != NoDeadline {
		t.Fatalf("ACK-only packet counted: inflight %d deadline %d", r.BytesInFlight(), r.Deadline())
	}
	send(r, ms, Application, 1, 2, 3, 4)
	mustAck(t, r, 20*ms, Application, ranges(1, 4), 0)
	if !slices.Equal(h.lost[Application], []uint64{0}) || h.lostFrames[0].ID != 77 {
		t.Fatalf("lost %v frames %v", h.lost[Application], h.lostFrames)
	}
	if r.Congestion().(*NewReno).SlowStartThreshold() != int(^uint(0)>>1) {
		t.Error("loss of a packet not in flight caused a congestion event")
	}
}

func TestAccessors(t *testing.T) {
	for s, want := range map[Space]string{Initial: "Initial", Handshake: "Handshake", Application: "Application", 7: "Space(?)"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q", s, s.String())
		}
	}
	r := New(Config{IsServer: true}, &recorder{})
	if _, ok := r.LargestAcked(Application); ok {
		t.Error("LargestAcked before any ACK")
	}
	send(r, 0, Application, 0, 1, 2)
	mustAck(t, r, ms, Application, ranges(1, 1), 0)
	if pn, ok := r.LargestAcked(Application); !ok || pn != 1 {
		t.Errorf("LargestAcked = %d, %v", pn, ok)
	}
	r.SetMaxDatagramSize(1500)
	r.SetMaxDatagramSize(-1)
	if r.mss != 1500 || r.Congestion().Window() < InitialWindow(1500) {
		t.Errorf("mss %d window %d", r.mss, r.Congestion().Window())
	}
	defer func() {
		if recover() == nil {
			t.Error("no panic on a repeated packet number")
		}
	}()
	send(r, 2*ms, Application, 2)
}

func TestResetPath(t *testing.T) {
	r := New(Config{IsServer: true}, &recorder{})
	r.RTT().MaxAckDelay = 10 * ms
	send(r, 0, Application, 0, 1, 2, 3, 4)
	mustAck(t, r, 50*ms, Application, ranges(4, 4), 0)
	r.ResetPath(60*ms, nil)
	if r.RTT().HasSample() || r.RTT().Smoothed() != InitialRTT || r.RTT().MaxAckDelay != 10*ms {
		t.Errorf("RTT not reset: %+v", r.RTT())
	}
	if r.Congestion().Window() != 12000 || r.BytesInFlight() != 2400 { // 2 and 3 still in flight
		t.Errorf("window %d inflight %d", r.Congestion().Window(), r.BytesInFlight())
	}
	c := NewCubic(1200)
	r.ResetPath(70*ms, c)
	if r.Congestion() != c {
		t.Error("controller not replaced")
	}
}

// TestAdaptiveReorderThreshold: an ACK of a packet declared lost by the
// packet threshold raises the threshold to the reordering seen, so that the
// same reordering is no loss the next time; the time threshold still
// declares real losses.
func TestAdaptiveReorderThreshold(t *testing.T) {
	h := &recorder{}
	r := New(Config{IsServer: true}, h)
	r.SetHandshakeConfirmed(0)
	send(r, 0, Application, 0, 1, 2, 3, 4, 5)
	mustAck(t, r, 10*ms, Application, ranges(1, 5), 0) // 0 is lost: 5 >= 0+3
	if !slices.Equal(h.lost[Application], []uint64{0}) || r.ReorderThreshold() != 3 {
		t.Fatalf("lost %v threshold %d", h.lost[Application], r.ReorderThreshold())
	}
	mustAck(t, r, 11*ms, Application, ranges(0, 5), 0) // it was only reordered
	if r.ReorderThreshold() != 6 {
		t.Fatalf("threshold %d after a spurious loss at distance 5, want 6", r.ReorderThreshold())
	}
	// The same reordering again: no loss by count.
	h.lost[Application] = nil
	send(r, 20*ms, Application, 6, 7, 8, 9, 10, 11)
	mustAck(t, r, 25*ms, Application, ranges(7, 11), 0)
	if len(h.lost[Application]) != 0 {
		t.Fatalf("lost %v with threshold %d", h.lost[Application], r.ReorderThreshold())
	}
	// A real loss goes by the time threshold.
	r.OnTimeout(r.Deadline())
	if !slices.Equal(h.lost[Application], []uint64{6}) {
		t.Fatalf("lost %v after the time threshold", h.lost[Application])
	}
	// Far reordering is capped.
	send(r, 100*ms, Application, 12)
	for pn := uint64(13); pn < 60; pn++ {
		send(r, 100*ms, Application, pn)
	}
	mustAck(t, r, 110*ms, Application, ranges(13, 59), 0)
	mustAck(t, r, 111*ms, Application, ranges(12, 59), 0)
	if r.ReorderThreshold() != maxReorderThreshold {
		t.Errorf("threshold %d, want the cap %d", r.ReorderThreshold(), maxReorderThreshold)
	}
	checkInvariants(t, r)
}
