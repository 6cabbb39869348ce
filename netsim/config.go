package netsim

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// LinkConfig describes the impairments of one direction of a path between two
// endpoints. The zero value is a perfect link: no delay, no loss, unlimited
// bandwidth. Probabilities are in [0, 1]; values outside are clamped.
//
// The impairments are applied to each datagram in this order, at the time it
// is sent: filter, blackhole, MTU, random loss, bursty loss, bandwidth queue (tail
// drop), then delay, jitter and reordering; duplication and corruption are
// decided last, for the copies that survive.
type LinkConfig struct {
	// Delay is the fixed one-way propagation delay.
	Delay time.Duration
	// Jitter adds a uniformly distributed extra delay in [0, Jitter) to each
	// datagram. Like netem, jitter larger than the gap between datagrams
	// reorders them.
	Jitter time.Duration

	// Loss is the probability that a datagram is dropped independently of
	// all others.
	Loss float64
	// Burst, when non-nil, adds bursty loss following a Gilbert-Elliott
	// two-state model.
	Burst *GilbertElliott

	// Reorder is the probability that a datagram is held back by
	// ReorderDelay more than the others, so that later datagrams overtake
	// it.
	Reorder float64
	// ReorderDelay is the extra delay of a reordered datagram. If zero while
	// Reorder is set, Delay+1ms is used so the datagram is really overtaken.
	ReorderDelay time.Duration

	// Duplicate is the probability that a datagram is delivered twice. The
	// copy has its own jitter and corruption decision.
	Duplicate float64
	// Corrupt is the probability that one random bit of a delivered copy is
	// flipped.
	Corrupt float64

	// MTU is the largest datagram payload, in bytes, the link carries;
	// larger datagrams are dropped (IP would not fragment a QUIC datagram,
	// which is sent with DF set). Zero means no limit.
	MTU int

	// Bandwidth is the bottleneck rate in bits per second; datagrams are
	// serialised one after the other at this rate before the propagation
	// delay. Zero means unlimited (no queue).
	Bandwidth int64
	// QueueBytes bounds the bottleneck queue, counting the datagram being
	// serialised; a datagram that would overflow it is tail-dropped. Zero
	// means unbounded. Only used when Bandwidth is set.
	QueueBytes int

	// Blackholes are time windows, in network time, during which every
	// datagram sent on the link is dropped.
	Blackholes []Window

	// Filter, when non-nil, sees every datagram first, with its per-link
	// sequence number (from 1) and the network's own copy of its bytes:
	// returning false drops it (DropFilter), and it may modify b in place,
	// for targeted tests such as "lose the first Initial" or "flip this
	// byte". It runs with the network locked: it must not call the network
	// or keep b.
	Filter func(now time.Duration, seq uint64, b []byte) bool
}

// GilbertElliott is a two-state Markov loss model for bursty loss. Before each
// datagram the state may change: Good to Bad with probability PGoodToBad, Bad
// to Good with probability PBadToGood; the datagram is then lost with the
// probability of the state it is in. The mean burst length in the Bad state is
// 1/PBadToGood datagrams.
type GilbertElliott struct {
	PGoodToBad float64 // transition probability Good -> Bad
	PBadToGood float64 // transition probability Bad -> Good
	LossGood   float64 // loss probability in the Good state (often 0)
	LossBad    float64 // loss probability in the Bad state (often 1)
}

// Window is a half-open interval [Start, End) of network time.
type Window struct {
	Start, End time.Duration
}

// contains reports whether t lies in the window.
func (w Window) contains(t time.Duration) bool { return t >= w.Start && t < w.End }

// DropCause says why a datagram was dropped.
type DropCause int

// Drop causes, one counter each in Stats.
const (
	DropLoss       DropCause = iota // random independent loss
	DropBurst                       // Gilbert-Elliott bursty loss
	DropMTU                         // larger than the link MTU
	DropQueue                       // bottleneck queue full (tail drop)
	DropBlackhole                   // sent during a blackhole window
	DropRecvBuffer                  // receiver's read buffer full
	DropClosed                      // receiver closed before delivery
	DropFilter                      // rejected by LinkConfig.Filter

	// NumDropCauses is the number of causes, the length of Stats.Dropped.
	NumDropCauses
)

var dropNames = [NumDropCauses]string{"loss", "burst", "mtu", "queue", "blackhole", "recvbuffer", "closed", "filter"}

// String returns a short lower-case name for the cause.
func (c DropCause) String() string {
	if c < 0 || c >= NumDropCauses {
		return "unknown"
	}
	return dropNames[c]
}

// Stats counts what happened to the datagrams of one link direction.
// Duplicated copies count in Delivered and Dropped like originals, so that
// Sent + Duplicated = Delivered + Dropped + in flight.
type Stats struct {
	Sent           uint64 // datagrams handed to the link
	SentBytes      uint64 // payload bytes handed to the link
	Delivered      uint64 // copies delivered to the receiver
	DeliveredBytes uint64 // payload bytes delivered
	Duplicated     uint64 // extra copies created
	Corrupted      uint64 // copies with a flipped bit
	Reordered      uint64 // copies delivered after a copy sent later
	// Dropped counts the drops by cause, indexed by DropCause.
	Dropped [NumDropCauses]uint64
}

// TotalDropped is the sum of drops over all causes.
func (s Stats) TotalDropped() uint64 {
	var t uint64
	for _, d := range s.Dropped {
		t += d
	}
	return t
}

// TraceKind is the kind of a TraceEvent.
type TraceKind int

// Trace event kinds.
const (
	TraceSend    TraceKind = iota // a datagram was handed to a link
	TraceDrop                     // a datagram was dropped (Cause says why)
	TraceDeliver                  // a copy reached its receiver
	TraceRebind                   // an endpoint's external address changed
)

// TraceEvent records one thing the network did; see Network.SetTrace.
type TraceEvent struct {
	Kind TraceKind
	At   time.Duration // network time
	// Seq is the per-link sequence number of the datagram, from 1.
	Seq       uint64
	From, To  netip.AddrPort // addresses as seen on the wire
	Size      int
	Cause     DropCause // for TraceDrop
	Corrupted bool      // for TraceDeliver
	Duplicate bool      // for TraceDeliver and TraceDrop: a duplicated copy
}

var traceNames = [...]string{"send", "drop", "deliver", "rebind"}

// String returns the kind's lower-case name.
func (k TraceKind) String() string {
	if k < 0 || int(k) >= len(traceNames) {
		return "unknown"
	}
	return traceNames[k]
}

// String formats the event on one line for test logs, e.g.
// "12ms deliver #3 10.0.0.1:1->10.0.0.2:2 1200B corrupt".
func (ev TraceEvent) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v %v", ev.At, ev.Kind)
	if ev.Kind == TraceRebind {
		fmt.Fprintf(&b, " %v->%v", ev.From, ev.To)
		return b.String()
	}
	fmt.Fprintf(&b, " #%d %v->%v %dB", ev.Seq, ev.From, ev.To, ev.Size)
	if ev.Kind == TraceDrop {
		fmt.Fprintf(&b, " %v", ev.Cause)
	}
	if ev.Corrupted {
		b.WriteString(" corrupt")
	}
	if ev.Duplicate {
		b.WriteString(" dup")
	}
	return b.String()
}

// String summarises the counters on one line for test logs, listing only
// the drop causes that occurred.
func (s Stats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sent %d delivered %d dup %d corrupt %d reordered %d dropped %d",
		s.Sent, s.Delivered, s.Duplicated, s.Corrupted, s.Reordered, s.TotalDropped())
	sep := " ("
	for c, d := range s.Dropped {
		if d > 0 {
			fmt.Fprintf(&b, "%s%v %d", sep, DropCause(c), d)
			sep = ", "
		}
	}
	if sep == ", " {
		b.WriteString(")")
	}
	return b.String()
}
