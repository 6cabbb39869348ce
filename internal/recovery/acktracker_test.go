package recovery

import (
	"slices"
	"testing"
)

// rx is one received packet in an AckTracker scenario, with the expected
// deadline afterwards.
type rx struct {
	at           int64
	pn           uint64
	ackEliciting bool
	ecn          ECN
	wantDup      bool
	wantDeadline int64
}

func TestAckTrackerWhenToAck(t *testing.T) {
	const delay = 25 * ms
	tests := []struct {
		name  string
		space Space
		rxs   []rx
	}{
		{"initial: at once", Initial, []rx{{at: 5, pn: 0, ackEliciting: true, wantDeadline: 5}}},
		{"handshake: at once", Handshake, []rx{{at: 5, pn: 0, ackEliciting: true, wantDeadline: 5}}},
		{"non-eliciting: never", Application, []rx{{at: 5, pn: 0, wantDeadline: NoDeadline}}},
		{"one eliciting: delayed", Application, []rx{{at: 5, pn: 0, ackEliciting: true, wantDeadline: 5 + delay}}},
		{"second eliciting: at once", Application, []rx{
			{at: 5, pn: 0, ackEliciting: true, wantDeadline: 5 + delay},
			{at: 7, pn: 1, ackEliciting: true, wantDeadline: 7},
		}},
		{"non-eliciting keeps deadline", Application, []rx{
			{at: 5, pn: 0, ackEliciting: true, wantDeadline: 5 + delay},
			{at: 7, pn: 1, wantDeadline: 5 + delay},
		}},
		{"gap: at once", Application, []rx{
			{at: 5, pn: 0, ackEliciting: true, wantDeadline: 5 + delay},
			{at: 6, pn: 1, ackEliciting: false, wantDeadline: 5 + delay},
			{at: 7, pn: 1 + 2, ackEliciting: true, wantDeadline: 7},
		}},
		{"gap after ack-eliciting: at once", Application, []rx{
			{at: 5, pn: 3, ackEliciting: true, wantDeadline: 5 + delay},
			{at: 6, pn: 5, ackEliciting: true, wantDeadline: 6},
		}},
		{"out of order: at once", Application, []rx{
			{at: 5, pn: 4, ackEliciting: true, wantDeadline: 5 + delay},
			{at: 6, pn: 2, ackEliciting: true, wantDeadline: 6},
		}},
		{"CE mark: at once", Application, []rx{{at: 5, pn: 0, ackEliciting: true, ecn: CE, wantDeadline: 5}}},
		{"duplicate ignored", Application, []rx{
			{at: 5, pn: 0, ackEliciting: true, wantDeadline: 5 + delay},
			{at: 6, pn: 0, ackEliciting: true, wantDup: true, wantDeadline: 5 + delay},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a AckTracker
			a.Init(tt.space, delay)
			for i, p := range tt.rxs {
				if dup := a.OnPacketReceived(p.at, p.pn, p.ackEliciting, p.ecn); dup != p.wantDup {
					t.Fatalf("packet %d: duplicate %v", i, dup)
				}
				if a.Deadline() != p.wantDeadline {
					t.Fatalf("packet %d: deadline %d, want %d", i, a.Deadline(), p.wantDeadline)
				}
				if a.AckDue(p.at) != (p.wantDeadline <= p.at) {
					t.Fatalf("packet %d: AckDue %v", i, a.AckDue(p.at))
				}
			}
		})
	}
}

// TestAckTrackerHold: Hold postpones only the ACK that the Threshold makes due,
// and at most to max_ack_delay after the first packet it acknowledges.
func TestAckTrackerHold(t *testing.T) {
	const delay = 25 * ms
	var a AckTracker
	a.Init(Application, delay)
	a.Hold()
	a.OnPacketReceived(5, 0, true, NotECT)
	a.OnPacketReceived(7, 1, true, NotECT)
	a.OnPacketReceived(9, 2, true, NotECT)
	if a.AckDue(9) || !a.Held(9) || a.Deadline() != 5+delay {
		t.Fatalf("held: AckDue %v, Held %v, deadline %d; want false, true, %d", a.AckDue(9), a.Held(9), a.Deadline(), 5+delay)
	}
	if !a.AckDue(5 + delay) {
		t.Fatal("a held ACK is not due after max_ack_delay")
	}
	a.Release()
	if !a.AckDue(9) || a.Held(9) || a.Deadline() != 7 {
		t.Fatalf("released: AckDue %v, Held %v, deadline %d; want true, false, 7", a.AckDue(9), a.Held(9), a.Deadline())
	}
	// A packet after a gap needs its ACK at once, hold or not.
	a.OnAckSent()
	a.Hold()
	a.OnPacketReceived(11, 4, true, NotECT)
	if !a.AckDue(11) || a.Held(11) {
		t.Fatalf("gap: AckDue %v, Held %v; want true, false", a.AckDue(11), a.Held(11))
	}
	// The ACK sent clears the urgency: the next pair is held again.
	a.OnAckSent()
	a.OnPacketReceived(12, 5, true, NotECT)
	a.OnPacketReceived(13, 6, true, NotECT)
	if a.AckDue(13) || !a.Held(13) || a.Deadline() != 12+delay {
		t.Fatalf("after the ACK: AckDue %v, Held %v, deadline %d", a.AckDue(13), a.Held(13), a.Deadline())
	}
	// The handshake spaces never hold.
	var h AckTracker
	h.Init(Handshake, delay)
	h.Hold()
	h.OnPacketReceived(5, 0, true, NotECT)
	if !h.AckDue(5) {
		t.Fatal("a Handshake ACK was held")
	}
}

func TestAckTrackerGapFilledByNonEliciting(t *testing.T) {
	var a AckTracker
	a.Init(Application, 25*ms)
	a.OnPacketReceived(0, 3, true, NotECT)
	a.OnPacketReceived(1, 4, false, NotECT)
	a.OnPacketReceived(2, 5, true, NotECT) // 4 was received: no gap, but 2 eliciting
	a.OnAckSent()
	if a.Deadline() != NoDeadline || a.HasNewPackets() {
		t.Fatal("OnAckSent left an ACK due")
	}
	a.OnPacketReceived(3, 6, false, NotECT)
	a.OnPacketReceived(4, 7, true, NotECT) // 6 received: not a gap
	if a.Deadline() != 4+25*ms {
		t.Fatalf("deadline %d, want delayed", a.Deadline())
	}
}

func TestAckTrackerRanges(t *testing.T) {
	var a AckTracker
	a.Init(Application, 25*ms)
	if got := a.AppendRanges(nil); len(got) != 0 {
		t.Fatalf("ranges before any packet: %v", got)
	}
	for _, pn := range []uint64{0, 1, 2, 5, 6, 9, 12, 13} {
		a.OnPacketReceived(int64(pn)*ms, pn, true, ECT0)
	}
	want := ranges(12, 13, 9, 9, 5, 6, 0, 2)
	if got := a.AppendRanges(nil); !slices.Equal(got, want) {
		t.Fatalf("ranges %v, want %v", got, want)
	}
	if a.AckDelay(20*ms) != 7*ms || a.Largest() != 13 {
		t.Errorf("ack delay %d largest %d", a.AckDelay(20*ms), a.Largest())
	}
	if e0, e1, ce := a.ECNCounts(); e0 != 8 || e1 != 0 || ce != 0 {
		t.Errorf("ECN %d %d %d", e0, e1, ce)
	}
	a.MaxRanges = 2
	if got := a.AppendRanges(nil); !slices.Equal(got, want[:2]) {
		t.Errorf("bounded ranges %v", got)
	}
	a.MaxRanges = 32
	// The peer saw our ACK up to 5: older ranges are left out, one is clipped.
	a.OnAckAcked(5)
	if got := a.AppendRanges(nil); !slices.Equal(got, ranges(12, 13, 9, 9, 6, 6)) {
		t.Errorf("after OnAckAcked(5): %v", got)
	}
	// Even when the peer knows everything, the newest range is reported.
	a.OnAckAcked(13)
	if got := a.AppendRanges(nil); !slices.Equal(got, ranges(12, 13)) {
		t.Errorf("after OnAckAcked(13): %v", got)
	}
	// Duplicates are still detected.
	if !a.IsDuplicate(1) || a.IsDuplicate(3) {
		t.Error("duplicate detection after OnAckAcked")
	}
}

func TestAckTrackerForgetsOldRanges(t *testing.T) {
	var a AckTracker
	a.Init(Application, 25*ms)
	a.MaxRanges = 2 // remembers 8 ranges
	for pn := uint64(0); pn < 40; pn += 2 {
		a.OnPacketReceived(0, pn, false, NotECT)
	}
	if a.recvd.Len() > 8 {
		t.Fatalf("%d ranges kept", a.recvd.Len())
	}
	// 24 is the oldest range kept: below it everything is a duplicate.
	if !a.IsDuplicate(23) || !a.IsDuplicate(1) || a.IsDuplicate(25) || !a.IsDuplicate(24) {
		t.Errorf("floor %d", a.floor)
	}
	if !a.OnPacketReceived(0, 3, true, NotECT) {
		t.Error("forgotten packet number accepted")
	}
}

func TestAckTrackerInitReuses(t *testing.T) {
	var a AckTracker
	a.Init(Initial, 0)
	a.OnPacketReceived(0, 7, true, NotECT)
	a.Init(Handshake, 0)
	if a.Largest() != -1 || a.IsDuplicate(7) || a.Deadline() != NoDeadline || a.AckDelay(5) != 0 {
		t.Error("Init did not reset")
	}
}
