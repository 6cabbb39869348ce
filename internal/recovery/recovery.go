package recovery

import (
	"math"

	"github.com/h3wasi/h3wasi/internal/quicwire"
)

// Space is a packet number space (RFC 9000 section 12.3).
type Space uint8

// The packet number spaces, in the order RFC 9002 Appendix A.8 scans them.
const (
	Initial Space = iota
	Handshake
	Application
	// NumSpaces is the number of packet number spaces.
	NumSpaces
)

// String returns the space's name.
func (s Space) String() string {
	switch s {
	case Initial:
		return "Initial"
	case Handshake:
		return "Handshake"
	case Application:
		return "Application"
	}
	return "Space(?)"
}

// NoDeadline is returned by Deadline when no timer is armed. It is the
// largest time, so that callers can take the minimum of their deadlines.
const NoDeadline int64 = math.MaxInt64

// packetThreshold is kPacketThreshold (RFC 9002 section 6.1.1), the initial
// reordering threshold.
const packetThreshold = 3

// maxReorderThreshold caps the reordering threshold that spurious losses
// raise (RFC 9002 section 6.1.1 allows adapting it); beyond it the time
// threshold still declares losses.
const maxReorderThreshold = 16

// lostByCount remembers an application packet declared lost by the packet
// threshold and the largest acknowledged number that condemned it, so that
// a later ACK of it reveals reordering.
type lostByCount struct{ pn, largestAcked uint64 }

// maxPTOShift bounds the PTO backoff exponent so that durations cannot
// overflow; 2^20 PTOs is weeks, long past any idle timeout.
const maxPTOShift = 20

// Handler receives the fate of sent packets. Its methods run inside
// Recovery's methods and must not call back into the Recovery (the packet
// pointer and its Frames are valid only during the call); they typically
// requeue the lost frames or release the acknowledged ones.
type Handler interface {
	// OnPacketAcked is called once for every newly acknowledged packet.
	OnPacketAcked(space Space, p *SentPacket)
	// OnPacketLost is called once for every packet declared lost.
	OnPacketLost(space Space, p *SentPacket)
}

// Ack is the content of a received ACK frame, as Recovery needs it.
type Ack struct {
	// Ranges are the acknowledged ranges, descending, as in
	// quicwire.AckFrame.Ranges.
	Ranges []quicwire.AckRange
	// AckDelay is the peer's ACK Delay, already scaled, in nanoseconds.
	AckDelay int64
	// HasECN is true for an ACK_ECN frame; then ECT0, ECT1 and CE are its
	// counts.
	HasECN         bool
	ECT0, ECT1, CE uint64
}

// Config configures a Recovery.
type Config struct {
	// IsServer selects the server's rules: a server assumes the client's
	// address is validated and arms no anti-deadlock timer.
	IsServer bool
	// MaxDatagramSize is the datagram size for window and pacing
	// computations; 0 means DefaultMaxDatagramSize.
	MaxDatagramSize int
	// Congestion is the congestion controller; nil means NewReno.
	Congestion CongestionController
	// ProbeCount is how many probe packets a PTO asks for (1 or 2; 0 means
	// 2, the RFC 9002 section 6.2.4 maximum, which makes a single lost
	// probe less costly).
	ProbeCount int
}

// spaceState is the loss recovery state of one packet number space.
type spaceState struct {
	sent         sentRing
	largestSent  int64 // -1 until a packet was sent
	largestAcked int64 // largest_acked_packet; -1 until an ACK arrived
	// lastAckEliciting is time_of_last_ack_eliciting_packet.
	lastAckEliciting int64
	// ackEliciting counts ack-eliciting packets in flight.
	ackEliciting int
	// lossTime is loss_time: when the oldest unacknowledged packet becomes
	// lost by the time threshold; 0 when none.
	lossTime int64
	// ecn holds the largest ECN counts the peer reported.
	ecnECT0, ecnECT1, ecnCE uint64
	discarded               bool
}

// Recovery is the loss detection and congestion control state of one QUIC
// connection (RFC 9002 Appendix A), one path. It is sans-IO: the caller
// passes the time to every method, sends the packets, and calls OnTimeout
// when Deadline passes. It is not safe for concurrent use.
type Recovery struct {
	cfg    Config
	h      Handler
	cc     CongestionController
	rtt    RTTStats
	pacer  Pacer
	spaces [NumSpaces]spaceState
	mss    int

	bytesInFlight int
	ptoCount      int
	probes        [NumSpaces]int
	timer         int64

	handshakeConfirmed bool
	hasHandshakeKeys   bool
	handshakeAcked     bool // a client received an ACK in the Handshake space
	ampBlocked         bool

	acked []AckedPacket // scratch for one ACK's acknowledged packets

	// reorderThreshold is the packet reordering threshold in use: 3, raised
	// by spurious losses.
	reorderThreshold uint64
	// recentLost are the last application packets lost by the packet
	// threshold (a ring; zero pn and largestAcked mark an empty entry).
	recentLost     [2]lostByCount
	recentLostNext int
}

// New returns the recovery state of a new connection; h receives the
// acknowledged and lost packets.
func New(cfg Config, h Handler) *Recovery {
	if cfg.MaxDatagramSize <= 0 {
		cfg.MaxDatagramSize = DefaultMaxDatagramSize
	}
	if cfg.ProbeCount <= 0 || cfg.ProbeCount > 2 {
		cfg.ProbeCount = 2
	}
	r := &Recovery{cfg: cfg, h: h, cc: cfg.Congestion, mss: cfg.MaxDatagramSize, timer: NoDeadline,
		reorderThreshold: packetThreshold}
	if r.cc == nil {
		r.cc = NewNewReno(cfg.MaxDatagramSize)
	}
	r.rtt.Reset()
	for i := range r.spaces {
		r.spaces[i].largestSent = -1
		r.spaces[i].largestAcked = -1
	}
	return r
}

// RTT returns the RTT estimator; the caller sets RTT().MaxAckDelay from the
// peer's transport parameters.
func (r *Recovery) RTT() *RTTStats { return &r.rtt }

// Congestion returns the congestion controller.
func (r *Recovery) Congestion() CongestionController { return r.cc }

// BytesInFlight returns the bytes of in-flight packets neither acknowledged,
// lost nor discarded.
func (r *Recovery) BytesInFlight() int { return r.bytesInFlight }

// PTOCount returns pto_count, the number of PTOs since the last ACK.
func (r *Recovery) PTOCount() int { return r.ptoCount }

// LargestAcked returns the largest packet number the peer acknowledged in
// space; ok is false before the first ACK. The sender uses it to encode
// packet numbers (RFC 9000 section 17.1).
func (r *Recovery) LargestAcked(space Space) (pn uint64, ok bool) {
	l := r.spaces[space].largestAcked
	return uint64(l), l >= 0
}

// ECNCounts returns the largest ECN counts the peer reported in space.
func (r *Recovery) ECNCounts(space Space) (ect0, ect1, ce uint64) {
	sp := &r.spaces[space]
	return sp.ecnECT0, sp.ecnECT1, sp.ecnCE
}

// SetMaxDatagramSize changes the datagram size, e.g. after path MTU
// discovery.
func (r *Recovery) SetMaxDatagramSize(size int) {
	if size > 0 {
		r.mss = size
		r.cc.SetMaxDatagramSize(size)
	}
}

// ResetPath restarts the RTT estimate, the congestion controller (cc, or a
// fresh NewReno when nil) and the pacer after the connection moved to a new
// path (RFC 9000 section 9.4). Packets in flight stay tracked.
func (r *Recovery) ResetPath(now int64, cc CongestionController) {
	maxAckDelay := r.rtt.MaxAckDelay
	r.rtt.Reset()
	r.rtt.MaxAckDelay = maxAckDelay
	if cc == nil {
		cc = NewNewReno(r.mss)
	}
	r.cc = cc
	r.pacer = Pacer{Burst: r.pacer.Burst, MinDelay: r.pacer.MinDelay}
	r.setTimer(now)
}

// OnPacketSent records a packet sent at now in space (RFC 9002 Appendix
// A.5). Packet numbers must increase within a space. p.Frames is copied.
func (r *Recovery) OnPacketSent(now int64, space Space, p SentPacket) {
	sp := &r.spaces[space]
	if sp.discarded {
		return
	}
	if int64(p.PacketNumber) <= sp.largestSent {
		panic("recovery: packet numbers must increase")
	}
	sp.largestSent = int64(p.PacketNumber)
	p.TimeSent = now
	if p.AckEliciting {
		p.InFlight = true // RFC 9002 section 2: ack-eliciting packets are in flight
		if r.probes[space] > 0 {
			r.probes[space]--
		}
	}
	// Packets not in flight (only ACK frames) are tracked too, so that the
	// Handler learns when the peer saw the ACK frames they carried.
	sp.sent.push(&p)
	if !p.InFlight {
		return
	}
	if p.AckEliciting {
		sp.lastAckEliciting = now
		sp.ackEliciting++
	}
	r.bytesInFlight += p.Size
	r.cc.OnPacketSent(now, p.Size)
	r.pacer.OnPacketSent(now, p.Size, r.cc.Window(), r.rtt.Smoothed(), r.mss)
	r.setTimer(now)
}

// OnAck processes an ACK frame received at now in space (RFC 9002 Appendix
// A.7): it marks packets acknowledged, takes an RTT sample, detects losses
// and informs the congestion controller and the Handler. An ACK of a packet
// number never sent is a PROTOCOL_VIOLATION (RFC 9000 section 13.1), and
// ranges out of order a FRAME_ENCODING_ERROR.
func (r *Recovery) OnAck(now int64, space Space, ack Ack) error {
	sp := &r.spaces[space]
	if err := validateRanges(ack.Ranges, sp.largestSent); err != nil {
		return err
	}
	if sp.discarded {
		return nil
	}
	largest := ack.Ranges[0].Largest
	sp.largestAcked = max(sp.largestAcked, int64(largest))
	if space == Application {
		r.detectSpurious(ack.Ranges)
	}
	newest, ackEliciting := r.markAcked(space, ack.Ranges)
	if newest == nil {
		return nil
	}
	if space == Handshake {
		r.handshakeAcked = true
	}
	if newest.PacketNumber == largest && ackEliciting {
		delay := ack.AckDelay
		if space == Initial {
			delay = 0 // Initial ACKs are never delayed (RFC 9002 section 5.3)
		}
		r.rtt.Update(now, now-newest.TimeSent, delay, r.handshakeConfirmed)
	}
	if ack.HasECN {
		r.processECN(now, sp, ack, newest.TimeSent)
	}
	r.detectLost(now, space)
	for _, a := range r.acked {
		r.cc.OnPacketAcked(now, a, &r.rtt)
	}
	if r.peerCompletedAddressValidation() {
		r.ptoCount = 0
	}
	sp.sent.popDone()
	r.setTimer(now)
	return nil
}

// validateRanges checks that ranges are well formed, descending, and do not
// acknowledge a packet never sent.
func validateRanges(ranges []quicwire.AckRange, largestSent int64) error {
	if len(ranges) == 0 {
		return &quicwire.TransportError{Code: quicwire.FrameEncodingError,
			FrameType: uint64(quicwire.FrameTypeAck), Reason: "ACK frame without ranges"}
	}
	if largestSent < 0 || ranges[0].Largest > uint64(largestSent) {
		return &quicwire.TransportError{Code: quicwire.ProtocolViolation,
			FrameType: uint64(quicwire.FrameTypeAck), Reason: "ACK of a packet never sent"}
	}
	for i, rg := range ranges {
		if rg.Smallest > rg.Largest || (i > 0 && rg.Largest+1 >= ranges[i-1].Smallest) {
			return &quicwire.TransportError{Code: quicwire.FrameEncodingError,
				FrameType: uint64(quicwire.FrameTypeAck), Reason: "ACK ranges out of order"}
		}
	}
	return nil
}

// markAcked marks the outstanding packets in ranges acknowledged, tells the
// Handler, collects them in r.acked for the congestion controller, and
// returns the newly acknowledged packet with the largest number and whether
// any newly acknowledged packet was ack-eliciting.
func (r *Recovery) markAcked(space Space, ranges []quicwire.AckRange) (newest *SentPacket, ackEliciting bool) {
	sp := &r.spaces[space]
	r.acked = r.acked[:0]
	for _, rg := range ranges {
		for i := sp.sent.search(rg.Smallest); i < sp.sent.n; i++ {
			s := sp.sent.at(i)
			if s.PacketNumber > rg.Largest {
				break
			}
			if s.state != slotOutstanding {
				continue
			}
			s.state = slotAcked
			if s.AckEliciting {
				sp.ackEliciting--
				ackEliciting = true
			}
			if newest == nil || s.PacketNumber > newest.PacketNumber {
				newest = &s.SentPacket
			}
			if s.InFlight {
				r.bytesInFlight -= s.Size
				r.acked = append(r.acked, AckedPacket{TimeSent: s.TimeSent, Size: s.Size, AppLimited: s.AppLimited})
			}
			r.h.OnPacketAcked(space, &s.SentPacket)
		}
	}
	return newest, ackEliciting
}

// processECN records the peer's ECN counts; a CE count that grew is a
// congestion signal (RFC 9002 section 7.1, Appendix A.7 ProcessECN). ECN
// validation (RFC 9000 section 13.4.2) is the caller's.
func (r *Recovery) processECN(now int64, sp *spaceState, ack Ack, sentTime int64) {
	sp.ecnECT0 = max(sp.ecnECT0, ack.ECT0)
	sp.ecnECT1 = max(sp.ecnECT1, ack.ECT1)
	if ack.CE > sp.ecnCE {
		sp.ecnCE = ack.CE
		r.cc.OnCongestionEvent(now, sentTime)
	}
}

// detectLost declares lost the outstanding packets of space that the
// packet or time threshold condemns (RFC 9002 Appendix A.10), tells the
// Handler and the congestion controller, checks for persistent congestion,
// and sets the space's loss time for the packets not yet lost.
//
// Persistent congestion (RFC 9002 section 7.6.2) is judged within the
// space, as section 7.6.2 allows: two ack-eliciting packets lost in this
// call, sent after the first RTT sample, more than the persistent
// congestion duration apart, with no packet of the space acknowledged
// between them.
func (r *Recovery) detectLost(now int64, space Space) {
	sp := &r.spaces[space]
	sp.lossTime = 0
	if sp.largestAcked < 0 {
		return
	}
	largestAcked := uint64(sp.largestAcked)
	lossDelay := r.rtt.LossDelay()
	lostSendTime := now - lossDelay
	var (
		lostInFlight  bool
		lastLostTime  int64
		inRun         bool  // inside a contiguous run of lost packets
		runStart      int64 // send time of the run's first ack-eliciting packet
		persistent    bool
		pcDuration    = r.rtt.PersistentCongestionDuration()
		firstSampleAt = r.rtt.firstSampleTime
	)
	for i := 0; i < sp.sent.n; i++ {
		s := sp.sent.at(i)
		if s.PacketNumber > largestAcked {
			break
		}
		switch s.state {
		case slotAcked:
			inRun = false // an acknowledged packet breaks a period of loss
			continue
		case slotLost:
			continue
		}
		byCount := largestAcked >= s.PacketNumber+r.reorderThreshold
		if s.TimeSent > lostSendTime && !byCount {
			// Not lost yet: it will be when the time threshold passes. It
			// does not break a period of loss: only an acknowledgment does.
			if t := s.TimeSent + lossDelay; sp.lossTime == 0 || t < sp.lossTime {
				sp.lossTime = t
			}
			continue
		}
		s.state = slotLost
		if byCount && space == Application {
			r.recentLost[r.recentLostNext] = lostByCount{s.PacketNumber, largestAcked}
			r.recentLostNext = (r.recentLostNext + 1) % len(r.recentLost)
		}
		if s.InFlight {
			r.bytesInFlight -= s.Size
			lostInFlight = true
			lastLostTime = max(lastLostTime, s.TimeSent)
		}
		if s.AckEliciting {
			sp.ackEliciting--
			// Only losses of packets sent after the first RTT sample count
			// (RFC 9002 section 7.6.2).
			if r.rtt.HasSample() && s.TimeSent > firstSampleAt {
				if !inRun {
					inRun, runStart = true, s.TimeSent
				}
				if s.TimeSent-runStart > pcDuration {
					persistent = true
				}
			}
		}
		r.h.OnPacketLost(space, &s.SentPacket)
	}
	if lostInFlight {
		r.cc.OnCongestionEvent(now, lastLostTime)
	}
	if persistent {
		r.cc.OnPersistentCongestion(now)
	}
}

// ReorderThreshold returns the packet reordering threshold in use.
func (r *Recovery) ReorderThreshold() uint64 { return r.reorderThreshold }

// detectSpurious raises the reordering threshold when an ACK covers a packet
// recently declared lost by the packet threshold: the packet was only
// reordered, by at least the distance that condemned it. Many stacks adapt
// this way to links that reorder (RFC 9002 section 6.1.1 allows it), so
// that the same reordering does not cost a congestion event every time.
func (r *Recovery) detectSpurious(ranges []quicwire.AckRange) {
	for i := range r.recentLost {
		l := &r.recentLost[i]
		if l.largestAcked == 0 {
			continue
		}
		for _, rg := range ranges {
			if l.pn >= rg.Smallest && l.pn <= rg.Largest {
				r.reorderThreshold = min(max(r.reorderThreshold, l.largestAcked-l.pn+1), maxReorderThreshold)
				*l = lostByCount{}
				break
			}
		}
	}
}
