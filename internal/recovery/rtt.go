package recovery

// Constants of RFC 9002 section 6.1.2 and Appendix A.2.
const (
	// InitialRTT is the RTT assumed before the first sample (RFC 9002 section 6.2.2).
	InitialRTT int64 = 333e6
	// Granularity is the timer granularity, kGranularity: the smallest loss
	// delay and PTO variance used, so that timers do not fire too early.
	Granularity int64 = 1e6
	// DefaultMaxAckDelay is the peer's max_ack_delay when it does not send the
	// transport parameter (RFC 9000 section 18.2).
	DefaultMaxAckDelay int64 = 25e6
)

// RTTStats estimates the round-trip time of a path (RFC 9002 section 5).
// Times are nanoseconds. The zero value is not ready: call Reset.
type RTTStats struct {
	latest   int64 // latest_rtt: the most recent sample, ack delay not removed
	min      int64 // min_rtt: the smallest sample, ack delay not removed
	smoothed int64 // smoothed_rtt
	variance int64 // rttvar
	samples  int64 // number of samples taken
	// firstSampleTime is when the first sample was taken; only losses of
	// packets sent after it count towards persistent congestion.
	firstSampleTime int64
	// MaxAckDelay is the peer's max_ack_delay transport parameter.
	MaxAckDelay int64
}

// Reset returns the estimator to its initial state (RFC 9002 section 5.3):
// smoothed_rtt = 333 ms, rttvar = 166.5 ms, no sample.
func (r *RTTStats) Reset() {
	*r = RTTStats{
		smoothed:    InitialRTT,
		variance:    InitialRTT / 2,
		MaxAckDelay: DefaultMaxAckDelay,
	}
}

// Latest returns latest_rtt, 0 before the first sample.
func (r *RTTStats) Latest() int64 { return r.latest }

// Min returns min_rtt, 0 before the first sample.
func (r *RTTStats) Min() int64 { return r.min }

// Smoothed returns smoothed_rtt.
func (r *RTTStats) Smoothed() int64 { return r.smoothed }

// Variance returns rttvar.
func (r *RTTStats) Variance() int64 { return r.variance }

// HasSample reports whether at least one RTT sample was taken.
func (r *RTTStats) HasSample() bool { return r.samples > 0 }

// Update adds the sample latest (the time from sending the largest newly
// acknowledged packet to receiving its ACK) reported with the peer's
// ackDelay, taken at now (RFC 9002 section 5.3). Once the handshake is
// confirmed, ackDelay is limited to MaxAckDelay; before, it is used as is,
// and the caller passes 0 for Initial packets, whose ACKs are never delayed.
// Non-positive samples are ignored: they only come from a broken clock.
func (r *RTTStats) Update(now, latest, ackDelay int64, handshakeConfirmed bool) {
	if latest <= 0 {
		return
	}
	r.latest = latest
	if r.samples == 0 {
		r.samples = 1
		r.firstSampleTime = now
		r.min = latest
		r.smoothed = latest
		r.variance = latest / 2
		return
	}
	r.samples++
	r.min = min(r.min, latest)
	if handshakeConfirmed {
		ackDelay = min(ackDelay, r.MaxAckDelay)
	}
	ackDelay = max(ackDelay, 0)
	// Subtracting the delay must not take the sample below min_rtt: the
	// peer's report may be inaccurate, min_rtt is not. (Written so that a
	// huge reported delay cannot overflow.)
	adjusted := latest
	if latest-r.min >= ackDelay {
		adjusted = latest - ackDelay
	}
	diff := r.smoothed - adjusted
	if diff < 0 {
		diff = -diff
	}
	r.variance = (3*r.variance + diff) / 4
	r.smoothed = (7*r.smoothed + adjusted) / 8
}

// PTO returns the probe timeout before backoff (RFC 9002 section 6.2.1):
// smoothed_rtt + max(4*rttvar, kGranularity), plus max_ack_delay when
// withAckDelay (application data once the handshake is confirmed).
func (r *RTTStats) PTO(withAckDelay bool) int64 {
	d := r.smoothed + max(4*r.variance, Granularity)
	if withAckDelay {
		d += r.MaxAckDelay
	}
	return d
}

// LossDelay returns the time threshold for loss (RFC 9002 section 6.1.2):
// 9/8 * max(smoothed_rtt, latest_rtt), at least kGranularity.
func (r *RTTStats) LossDelay() int64 {
	d := max(r.latest, r.smoothed)
	d += d / 8
	return max(d, Granularity)
}

// PersistentCongestionDuration returns the minimum duration of a period of
// losses that establishes persistent congestion (RFC 9002 section 7.6.1):
// (smoothed_rtt + max(4*rttvar, kGranularity) + max_ack_delay) * 3.
func (r *RTTStats) PersistentCongestionDuration() int64 {
	return 3 * r.PTO(true)
}
