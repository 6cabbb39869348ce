package recovery

import "math"

// AckedPacket is what a congestion controller learns about one newly
// acknowledged in-flight packet.
type AckedPacket struct {
	TimeSent   int64 // when the packet was sent
	Size       int   // its size in bytes
	AppLimited bool  // SentPacket.AppLimited
}

// CongestionController is a congestion control algorithm driven by Recovery
// (RFC 9002 section 7). Recovery keeps bytes in flight itself and calls the
// controller in the order of RFC 9002 Appendix A.7: losses of an ACK before
// its acknowledgments. Implementations: NewReno; CUBIC can follow.
type CongestionController interface {
	// OnPacketSent is called for every in-flight packet sent.
	OnPacketSent(now int64, size int)
	// OnPacketAcked is called for every newly acknowledged in-flight packet.
	OnPacketAcked(now int64, p AckedPacket, rtt *RTTStats)
	// OnCongestionEvent is called when a loss or an ECN-CE mark was
	// detected; sentTime is when the most recent lost (or CE-marked
	// acknowledged) packet was sent.
	OnCongestionEvent(now, sentTime int64)
	// OnPersistentCongestion is called when persistent congestion was
	// established (RFC 9002 section 7.6): the window collapses.
	OnPersistentCongestion(now int64)
	// Window returns the congestion window in bytes.
	Window() int
	// InSlowStart reports whether the controller is in slow start.
	InSlowStart() bool
	// InRecovery reports whether a packet sent at sentTime was sent before
	// the current recovery period started (RFC 9002 section 7.3.2).
	InRecovery(sentTime int64) bool
	// SetMaxDatagramSize changes the maximum datagram size (after path MTU
	// discovery); the windows scale with it.
	SetMaxDatagramSize(size int)
}

// Constants of RFC 9002 Appendix B.1.
const (
	// DefaultMaxDatagramSize is the datagram size assumed before path MTU
	// discovery: QUIC's minimum of 1200 bytes.
	DefaultMaxDatagramSize = 1200
	// lossReductionFactor is kLossReductionFactor, 0.5, as a shift.
	lossReductionShift = 1
)

// InitialWindow returns kInitialWindow for a maximum datagram size
// (RFC 9002 section 7.2): min(10*mss, max(2*mss, 14720)).
func InitialWindow(mss int) int { return min(10*mss, max(2*mss, 14720)) }

// MinimumWindow returns kMinimumWindow, 2*mss (RFC 9002 section 7.2).
func MinimumWindow(mss int) int { return 2 * mss }

// NewReno is the congestion controller of RFC 9002 section 7 and Appendix B:
// slow start, congestion avoidance, a recovery period, and persistent
// congestion. The zero value is not ready: use NewNewReno.
type NewReno struct {
	mss      int   // max_datagram_size
	window   int   // congestion_window
	ssthresh int   // slow start threshold; math.MaxInt until the first loss
	recovery int64 // congestion_recovery_start_time; math.MinInt64 when never
	// acc accumulates acknowledged bytes in congestion avoidance, so that the
	// window grows by one datagram per window acknowledged without the
	// rounding loss of mss*size/window per packet.
	acc int
	// HyStart enables HyStart++ (RFC 9406) in slow start: the RTT is
	// watched and slow start ends on a sustained RTT rise rather than on
	// loss. Off by default, as in RFC 9002.
	HyStart bool
	hs      hyStart
}

// NewNewReno returns a NewReno controller for a maximum datagram size
// (DefaultMaxDatagramSize when mss <= 0).
func NewNewReno(mss int) *NewReno {
	if mss <= 0 {
		mss = DefaultMaxDatagramSize
	}
	c := &NewReno{
		mss:      mss,
		window:   InitialWindow(mss),
		ssthresh: math.MaxInt,
		recovery: math.MinInt64,
	}
	c.hs.reset()
	return c
}

// OnPacketSent implements CongestionController; NewReno needs nothing.
func (c *NewReno) OnPacketSent(now int64, size int) {}

// OnPacketAcked implements CongestionController (RFC 9002 Appendix B.5).
func (c *NewReno) OnPacketAcked(now int64, p AckedPacket, rtt *RTTStats) {
	// Packets sent before the recovery period began do not grow the window,
	// nor do packets sent while the window was not the limit.
	if c.InRecovery(p.TimeSent) || p.AppLimited {
		return
	}
	if c.window < c.ssthresh {
		divisor := 1
		if c.HyStart {
			var exit bool
			if divisor, exit = c.hs.onAck(now, p.TimeSent, rtt); exit {
				c.ssthresh = c.window // on to congestion avoidance
				return
			}
		}
		c.window += p.Size / divisor
		return
	}
	c.acc += p.Size
	if c.acc >= c.window {
		c.acc -= c.window
		c.window += c.mss
	}
}

// OnCongestionEvent implements CongestionController (RFC 9002 Appendix B.6):
// one reduction per recovery period.
func (c *NewReno) OnCongestionEvent(now, sentTime int64) {
	if c.InRecovery(sentTime) {
		return
	}
	c.recovery = now
	c.ssthresh = c.window >> lossReductionShift
	c.window = max(c.ssthresh, MinimumWindow(c.mss))
	c.acc = 0
}

// OnPersistentCongestion implements CongestionController (RFC 9002
// Appendix B.8): the window collapses to the minimum and the recovery period
// ends, so the window grows again in slow start up to ssthresh.
func (c *NewReno) OnPersistentCongestion(now int64) {
	c.window = MinimumWindow(c.mss)
	c.recovery = math.MinInt64
	c.acc = 0
	c.hs.reset()
}

// Window implements CongestionController.
func (c *NewReno) Window() int { return c.window }

// SlowStartThreshold returns ssthresh, math.MaxInt before the first loss.
func (c *NewReno) SlowStartThreshold() int { return c.ssthresh }

// InSlowStart implements CongestionController.
func (c *NewReno) InSlowStart() bool { return c.window < c.ssthresh }

// InRecovery implements CongestionController.
func (c *NewReno) InRecovery(sentTime int64) bool { return sentTime <= c.recovery }

// SetMaxDatagramSize implements CongestionController. A larger datagram
// size keeps the window at least the new initial window if no loss happened
// yet, and at least the new minimum window in any case.
func (c *NewReno) SetMaxDatagramSize(size int) {
	if size <= 0 || size == c.mss {
		return
	}
	c.mss = size
	if c.ssthresh == math.MaxInt {
		c.window = max(c.window, InitialWindow(size))
	}
	c.window = max(c.window, MinimumWindow(size))
}
