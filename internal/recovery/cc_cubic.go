package recovery

import "math"

// CUBIC constants (RFC 9438 section 4.1 and 4.6).
const (
	cubicC    = 0.4 // C, in segments per second cubed
	cubicBeta = 0.7 // beta_cubic, the multiplicative decrease factor
	// cubicAlpha is alpha_cubic = 3 * (1 - beta) / (1 + beta), the additive
	// increase of the Reno-friendly estimate, in segments per RTT.
	cubicAlpha = 3 * (1 - cubicBeta) / (1 + cubicBeta)
)

// Cubic is the CUBIC congestion controller (RFC 9438) for QUIC: slow start
// and the recovery period and persistent congestion of RFC 9002, with
// CUBIC's window growth in congestion avoidance, its Reno-friendly region
// and fast convergence; HyStart++ is optional. It omits the undo of
// spurious congestion events and the epoch shift after idle periods
// (app-limited packets simply do not grow the window). The zero value is
// not ready: use NewCubic.
type Cubic struct {
	mss      int
	window   float64 // cwnd in bytes; fractional growth accumulates
	ssthresh float64 // math.Inf(1) until the first congestion event
	recovery int64   // recovery period start; math.MinInt64 when never

	wMax       float64 // W_max: window before the last reduction, bytes
	prior      float64 // cwnd_prior: the window before the last reduction
	k          float64 // K: seconds from epoch start until W_cubic reaches W_max
	epochStart int64   // start of the current growth epoch; math.MinInt64 when none
	wEst       float64 // W_est: the Reno-friendly window estimate, bytes

	// HyStart enables HyStart++ (RFC 9406) in slow start, as for NewReno.
	HyStart bool
	hs      hyStart
}

// NewCubic returns a CUBIC controller for a maximum datagram size
// (DefaultMaxDatagramSize when mss <= 0).
func NewCubic(mss int) *Cubic {
	if mss <= 0 {
		mss = DefaultMaxDatagramSize
	}
	c := &Cubic{
		mss:        mss,
		window:     float64(InitialWindow(mss)),
		ssthresh:   math.Inf(1),
		recovery:   math.MinInt64,
		epochStart: math.MinInt64,
	}
	c.hs.reset()
	return c
}

// OnPacketSent implements CongestionController; CUBIC needs nothing.
func (c *Cubic) OnPacketSent(now int64, size int) {}

// wCubic returns W_cubic(t) in bytes for t seconds into the epoch
// (RFC 9438 section 4.2): C*(t-K)^3 + W_max, with C scaled to bytes.
func (c *Cubic) wCubic(t float64) float64 {
	d := t - c.k
	return cubicC*float64(c.mss)*d*d*d + c.wMax
}

// startEpoch begins a congestion avoidance epoch at now (RFC 9438 section
// 4.2): K is the time the cubic function needs to climb back to W_max.
func (c *Cubic) startEpoch(now int64) {
	c.epochStart = now
	c.wEst = c.window
	if c.wMax <= c.window {
		c.k = 0
		c.wMax = c.window
		return
	}
	c.k = math.Cbrt((c.wMax - c.window) / (cubicC * float64(c.mss)))
}

// OnPacketAcked implements CongestionController (RFC 9438 sections 4.2-4.5).
func (c *Cubic) OnPacketAcked(now int64, p AckedPacket, rtt *RTTStats) {
	if c.InRecovery(p.TimeSent) || p.AppLimited {
		return
	}
	size := float64(p.Size)
	if c.window < c.ssthresh {
		divisor := 1
		if c.HyStart {
			var exit bool
			if divisor, exit = c.hs.onAck(now, p.TimeSent, rtt); exit {
				// On to congestion avoidance, with the curve's plateau at
				// the window reached.
				c.ssthresh, c.wMax, c.prior = c.window, c.window, c.window
				return
			}
		}
		c.window += size / float64(divisor)
		return
	}
	if c.epochStart == math.MinInt64 {
		c.startEpoch(now)
	}
	var srtt float64
	if rtt != nil {
		srtt = float64(rtt.Smoothed()) / 1e9
	}
	t := float64(now-c.epochStart) / 1e9
	// Reno-friendly estimate: alpha segments per window acknowledged, 1
	// once past the window before the reduction (RFC 9438 section 4.3).
	alpha := cubicAlpha
	if c.wEst >= c.prior {
		alpha = 1
	}
	c.wEst += alpha * float64(c.mss) * size / c.window
	if cubic := c.wCubic(t); cubic < c.wEst {
		c.window = max(c.window, c.wEst)
		return
	}
	// Aim at W_cubic one RTT ahead, growing at most by half a window per
	// window acknowledged (RFC 9438 section 4.4).
	target := min(max(c.wCubic(t+srtt), c.window), 1.5*c.window)
	c.window += (target - c.window) * size / c.window
}

// OnCongestionEvent implements CongestionController (RFC 9438 sections 4.6
// and 4.7): one reduction by beta_cubic per recovery period, remembering
// W_max, reduced further when the window shrinks again (fast convergence).
func (c *Cubic) OnCongestionEvent(now, sentTime int64) {
	if c.InRecovery(sentTime) {
		return
	}
	c.recovery = now
	c.epochStart = math.MinInt64
	c.prior = c.window
	if c.window < c.wMax {
		c.wMax = c.window * (1 + cubicBeta) / 2
	} else {
		c.wMax = c.window
	}
	c.ssthresh = max(c.window*cubicBeta, float64(MinimumWindow(c.mss)))
	c.window = c.ssthresh
}

// OnPersistentCongestion implements CongestionController: the window
// collapses to the minimum and grows again in slow start (RFC 9002 section
// 7.6.2, RFC 9438 section 4.8).
func (c *Cubic) OnPersistentCongestion(now int64) {
	c.window = float64(MinimumWindow(c.mss))
	c.recovery = math.MinInt64
	c.epochStart = math.MinInt64
	c.hs.reset()
}

// Window implements CongestionController.
func (c *Cubic) Window() int { return int(c.window) }

// InSlowStart implements CongestionController.
func (c *Cubic) InSlowStart() bool { return c.window < c.ssthresh }

// InRecovery implements CongestionController.
func (c *Cubic) InRecovery(sentTime int64) bool { return sentTime <= c.recovery }

// SetMaxDatagramSize implements CongestionController, as NewReno does.
func (c *Cubic) SetMaxDatagramSize(size int) {
	if size <= 0 || size == c.mss {
		return
	}
	c.mss = size
	if math.IsInf(c.ssthresh, 1) {
		c.window = max(c.window, float64(InitialWindow(size)))
	}
	c.window = max(c.window, float64(MinimumWindow(size)))
}
