package recovery

import (
	"github.com/h3wasi/h3wasi/internal/quicwire"
	"github.com/h3wasi/h3wasi/internal/rangeset"
)

// ECN is the ECN codepoint of a received datagram's IP header (RFC 3168).
type ECN uint8

// The ECN codepoints, with their IP header values.
const (
	NotECT ECN = 0b00
	ECT1   ECN = 0b01
	ECT0   ECN = 0b10
	CE     ECN = 0b11
)

// Defaults of an AckTracker.
const (
	// DefaultMaxAckRanges is how many ranges AppendRanges reports at most.
	DefaultMaxAckRanges = 32
	// DefaultAckElicitingThreshold is how many ack-eliciting packets may
	// arrive before an ACK is sent at once (RFC 9000 section 13.2.2).
	DefaultAckElicitingThreshold = 2
	// keptRangesFactor * MaxRanges is how many ranges are remembered for
	// duplicate detection before the oldest are forgotten.
	keptRangesFactor = 4
)

// AckTracker records the packets received in one packet number space and
// decides what our ACK frames say and when they are sent (RFC 9000 section
// 13.2). Use it as a value (e.g. an array of three in the connection) after
// Init.
type AckTracker struct {
	// MaxAckDelay is our max_ack_delay: how long an ACK of an ack-eliciting
	// application packet may be delayed.
	MaxAckDelay int64
	// MaxRanges bounds the ranges AppendRanges reports, newest first.
	MaxRanges int
	// Threshold is how many ack-eliciting packets trigger an immediate ACK
	// in the Application space.
	Threshold int

	space Space
	recvd rangeset.Set
	// floor: packet numbers below it were forgotten and count as
	// duplicates (RFC 9000 section 13.2.3 allows that).
	floor uint64
	// sendFloor: the peer acknowledged an ACK of ours covering every
	// packet below it, so our ACKs need not report them (section 13.2.4).
	sendFloor uint64
	// largest and largestTime: the largest packet number received, when.
	largest     int64
	largestTime int64
	// largestEliciting is the largest ack-eliciting packet number received.
	largestEliciting int64
	unacked          int   // ack-eliciting packets since our last ACK
	deadline         int64 // when the ACK is due; NoDeadline when not
	// lateDeadline is max_ack_delay after the first ack-eliciting packet not yet
	// acknowledged (NoDeadline when none): when an ACK is due at the latest.
	lateDeadline int64
	// urgent: an ACK is due at once for a reason other than the Threshold (a
	// packet out of order, a CE mark, a handshake space), which Hold does not
	// postpone.
	urgent         bool
	held           bool // see Hold
	changed        bool // packets arrived since our last ACK
	ect0, ect1, ce uint64
}

// Init prepares t for space with our max_ack_delay, keeping storage.
func (t *AckTracker) Init(space Space, maxAckDelay int64) {
	recvd := t.recvd
	recvd.Clear()
	*t = AckTracker{
		MaxAckDelay:      maxAckDelay,
		MaxRanges:        DefaultMaxAckRanges,
		Threshold:        DefaultAckElicitingThreshold,
		space:            space,
		recvd:            recvd,
		largest:          -1,
		largestEliciting: -1,
		deadline:         NoDeadline,
		lateDeadline:     NoDeadline,
	}
}

// IsDuplicate reports whether pn was already received (or is too old to
// tell); the connection drops such packets before processing them.
func (t *AckTracker) IsDuplicate(pn uint64) bool {
	return pn < t.floor || t.recvd.Contains(pn)
}

// OnPacketReceived records packet pn, received at now with the datagram's
// ECN codepoint, after it was authenticated. It reports whether the packet
// is a duplicate, in which case nothing was recorded.
func (t *AckTracker) OnPacketReceived(now int64, pn uint64, ackEliciting bool, ecn ECN) (duplicate bool) {
	if t.IsDuplicate(pn) {
		return true
	}
	// RFC 9000 section 13.2.1: acknowledge at once a packet that arrives
	// out of order or after a gap, so that the peer detects loss quickly.
	outOfOrder := ackEliciting && t.largestEliciting >= 0 &&
		(int64(pn) < t.largestEliciting ||
			(int64(pn) > t.largestEliciting+1 && !t.recvd.ContainsRange(uint64(t.largestEliciting)+1, pn)))
	t.recvd.Add(pn, pn+1)
	t.forgetOld()
	if int64(pn) > t.largest {
		t.largest, t.largestTime = int64(pn), now
	}
	t.changed = true
	switch ecn {
	case ECT0:
		t.ect0++
	case ECT1:
		t.ect1++
	case CE:
		t.ce++
	}
	if !ackEliciting {
		return false
	}
	t.largestEliciting = max(t.largestEliciting, int64(pn))
	t.unacked++
	urgent := t.space != Application || outOfOrder || ecn == CE
	t.urgent = t.urgent || urgent
	t.lateDeadline = min(t.lateDeadline, now+t.MaxAckDelay)
	if urgent || t.unacked >= max(t.Threshold, 1) {
		t.deadline = min(t.deadline, now)
	} else {
		t.deadline = min(t.deadline, t.lateDeadline)
	}
	return false
}

// Hold postpones the ACK that the Threshold makes due at once, until Release
// or at the latest max_ack_delay after the first packet it acknowledges: the
// Threshold rule is a SHOULD (RFC 9000 section 13.2.2), and an ACK held for a
// moment can ride on the data the application sends in reply instead of
// taking a packet of its own. ACKs due for other reasons are not held.
func (t *AckTracker) Hold() { t.held = true }

// Held reports whether an ACK would be due at now but for Hold.
func (t *AckTracker) Held(now int64) bool { return t.held && !t.urgent && t.deadline <= now }

// Release ends Hold.
func (t *AckTracker) Release() { t.held = false }

// forgetOld bounds memory: past keptRangesFactor*MaxRanges ranges, the
// oldest are forgotten and their packet numbers become duplicates.
func (t *AckTracker) forgetOld() {
	keep := keptRangesFactor * max(t.MaxRanges, 1)
	if n := t.recvd.Len(); n > keep {
		t.floor = t.recvd.At(n - keep).Start
		t.recvd.RemoveBelow(t.floor)
	}
}

// Deadline returns when an ACK must be sent, NoDeadline when none is due.
func (t *AckTracker) Deadline() int64 {
	if t.held && !t.urgent {
		return t.lateDeadline
	}
	return t.deadline
}

// AckDue reports whether an ACK must be sent at now.
func (t *AckTracker) AckDue(now int64) bool { return t.Deadline() <= now }

// HasNewPackets reports whether packets arrived since our last ACK, so that
// an ACK frame is worth adding to a packet sent anyway.
func (t *AckTracker) HasNewPackets() bool { return t.changed }

// Largest returns the largest packet number received, -1 when none. The
// receiver uses it to decode packet numbers (RFC 9000 section 17.1).
func (t *AckTracker) Largest() int64 { return t.largest }

// AckDelay returns the time since the largest packet was received, for
// the ACK Delay field (unscaled, in nanoseconds).
func (t *AckTracker) AckDelay(now int64) int64 {
	if t.largest < 0 {
		return 0
	}
	return max(now-t.largestTime, 0)
}

// ECNCounts returns the ECN counts to report in an ACK_ECN frame.
func (t *AckTracker) ECNCounts() (ect0, ect1, ce uint64) { return t.ect0, t.ect1, t.ce }

// AppendRanges appends the ranges for an ACK frame to dst, descending
// (newest first), at most MaxRanges of them, leaving out packets the peer
// knows we received; it appends nothing when nothing was received.
func (t *AckTracker) AppendRanges(dst []quicwire.AckRange) []quicwire.AckRange {
	limit := max(t.MaxRanges, 1)
	for i, n := t.recvd.Len()-1, 0; i >= 0 && n < limit; i, n = i-1, n+1 {
		r := t.recvd.At(i)
		if n > 0 && r.End <= t.sendFloor {
			break
		}
		// The newest range is always reported, so that the frame is never
		// empty; older ones are clipped to what the peer may not know.
		start := r.Start
		if n > 0 || r.End > t.sendFloor {
			start = max(start, t.sendFloor)
		}
		dst = append(dst, quicwire.AckRange{Smallest: start, Largest: r.End - 1})
	}
	return dst
}

// OnAckSent records that an ACK frame with the current ranges was sent:
// nothing is due until more packets arrive.
func (t *AckTracker) OnAckSent() {
	t.unacked = 0
	t.deadline, t.lateDeadline = NoDeadline, NoDeadline
	t.urgent = false
	t.changed = false
}

// OnAckAcked records that the peer acknowledged a packet of ours carrying
// an ACK frame whose Largest Acknowledged was largest: our ACKs need no
// longer report packets up to it (RFC 9000 section 13.2.4).
func (t *AckTracker) OnAckAcked(largest uint64) {
	t.sendFloor = max(t.sendFloor, largest+1)
}
