package recovery

import (
	"math"
	"math/bits"
)

// Pacer spreads packets over time (RFC 9002 section 7.7) with a token
// bucket: credit accrues at 1.25 * cwnd / smoothed_rtt bytes per nanosecond
// (the 5/4 lets the window still be filled when ACKs arrive unevenly) up to
// a burst allowance, and each packet sent spends its size. The zero value
// is ready; the first packets may go out in one burst.
//
// So that a fast path does not need a timer every few microseconds, a wait
// is never shorter than MinDelay, and the burst allowance is at least what
// the rate earns in two MinDelay intervals: the packets due in the meantime
// leave together when the timer fires.
type Pacer struct {
	// Burst is the allowance in bytes: how much may leave back to back after
	// an idle period. 0 means InitialWindow of the datagram size passed to
	// the methods (RFC 9002 section 7.7 allows the initial window as burst).
	Burst int
	// MinDelay is the shortest wait NextSendTime asks for; 0 means
	// Granularity (1 ms), a negative value no minimum.
	MinDelay int64

	credit int   // bytes that may be sent now
	last   int64 // time credit was last updated
	init   bool  // whether credit and last are set
}

// minDelay returns the effective MinDelay.
func (p *Pacer) minDelay() int64 {
	switch {
	case p.MinDelay == 0:
		return Granularity
	case p.MinDelay < 0:
		return 0
	}
	return p.MinDelay
}

// burst returns the burst allowance for a datagram size and pacing rate.
func (p *Pacer) burst(mss, cwnd int, srtt int64) int {
	b := InitialWindow(mss)
	if p.Burst > 0 {
		b = max(p.Burst, mss)
	}
	if srtt > 0 && cwnd > 0 {
		// Two MinDelay intervals at 5/4 * cwnd / srtt.
		hi, lo := bits.Mul64(2*uint64(p.minDelay()), 5*uint64(cwnd))
		den := 4 * uint64(srtt)
		if hi >= den {
			return math.MaxInt32 // capped so that credit arithmetic cannot overflow
		}
		if earned, _ := bits.Div64(hi, lo, den); earned > uint64(b) {
			b = int(min(earned, math.MaxInt32))
		}
	}
	return b
}

// refill adds the credit earned since the last update.
func (p *Pacer) refill(now int64, cwnd int, srtt int64, mss int) {
	limit := p.burst(mss, cwnd, srtt)
	if !p.init {
		p.credit, p.last, p.init = limit, now, true
		return
	}
	elapsed := now - p.last
	if elapsed <= 0 {
		return
	}
	p.last = now
	if srtt <= 0 || cwnd <= 0 {
		p.credit = limit
		return
	}
	// credit += elapsed * 5*cwnd / (4*srtt), computed in 128 bits so that
	// long idle periods cannot overflow; it saturates at the burst.
	hi, lo := bits.Mul64(uint64(elapsed), 5*uint64(cwnd))
	den := 4 * uint64(srtt)
	if hi >= den {
		p.credit = limit
		return
	}
	add, _ := bits.Div64(hi, lo, den)
	if add >= uint64(limit) {
		p.credit = limit
		return
	}
	p.credit = min(p.credit+int(add), limit)
}

// NextSendTime returns the earliest time a packet of size bytes may be sent,
// now if it may be sent at once, for a congestion window cwnd, a smoothed
// RTT srtt and a maximum datagram size mss. Without an RTT estimate
// (srtt <= 0) it never delays.
func (p *Pacer) NextSendTime(now int64, size, cwnd int, srtt int64, mss int) int64 {
	p.refill(now, cwnd, srtt, mss)
	if p.credit >= size || srtt <= 0 || cwnd <= 0 {
		return now
	}
	// Time to earn the missing bytes at the pacing rate, rounded up.
	missing := uint64(size - p.credit)
	hi, lo := bits.Mul64(missing, 4*uint64(srtt))
	den := 5 * uint64(cwnd)
	if hi >= den {
		return math.MaxInt64
	}
	wait, rem := bits.Div64(hi, lo, den)
	if rem != 0 {
		wait++
	}
	wait = max(wait, uint64(p.minDelay()))
	if wait > uint64(math.MaxInt64-now) {
		return math.MaxInt64
	}
	return now + int64(wait)
}

// OnPacketSent spends size bytes of credit. Sending before NextSendTime (a
// probe, which pacing must not delay) leaves the credit negative, delaying
// later packets.
func (p *Pacer) OnPacketSent(now int64, size, cwnd int, srtt int64, mss int) {
	p.refill(now, cwnd, srtt, mss)
	p.credit -= size
}
