package recovery

import "math"

// HyStart++ constants (RFC 9406 section 4.3).
const (
	hsMinRTTThresh  = 4 * Granularity  // MIN_RTT_THRESH, 4 ms
	hsMaxRTTThresh  = 16 * Granularity // MAX_RTT_THRESH, 16 ms
	hsMinRTTDivisor = 8                // MIN_RTT_DIVISOR
	hsRTTSamples    = 8                // N_RTT_SAMPLE
	hsCSSDivisor    = 4                // CSS_GROWTH_DIVISOR
	hsCSSRounds     = 5                // CSS_ROUNDS
)

// hyStart implements HyStart++ (RFC 9406): it watches the RTT during slow
// start and, when it rises (a queue builds), switches to Conservative Slow
// Start, which grows 4x slower, and after CSS_ROUNDS rounds ends slow start
// without the loss that plain slow start needs to find the path's capacity.
//
// Rounds are delimited by time rather than packet numbers: a round ends
// when a packet sent after the round began is acknowledged.
type hyStart struct {
	roundStart   int64 // when the current round began; MinInt64 before the first
	lastRoundMin int64 // lastRoundMinRTT; math.MaxInt64 when unknown
	curRoundMin  int64 // currentRoundMinRTT
	samples      int   // rttSampleCount
	lastSample   int64 // RTTStats sample count seen, to count each ACK once
	inCSS        bool
	cssBaseline  int64 // cssBaselineMinRtt
	cssRounds    int
}

// reset restarts HyStart++ for a new slow start.
func (h *hyStart) reset() {
	*h = hyStart{roundStart: math.MinInt64, lastRoundMin: math.MaxInt64, curRoundMin: math.MaxInt64}
}

// onAck processes an acknowledgment in slow start of a packet sent at
// sentTime. It returns the divisor of the window increase (1 in slow start,
// CSS_GROWTH_DIVISOR in CSS) and whether slow start should end now.
func (h *hyStart) onAck(now, sentTime int64, rtt *RTTStats) (divisor int, exit bool) {
	if rtt == nil {
		return 1, false
	}
	if sentTime >= h.roundStart {
		// A packet of the current round was acknowledged: a new round.
		h.roundStart = now
		h.lastRoundMin, h.curRoundMin, h.samples = h.curRoundMin, math.MaxInt64, 0
		if h.inCSS {
			h.cssRounds++
			if h.cssRounds >= hsCSSRounds {
				return hsCSSDivisor, true
			}
		}
	}
	if rtt.samples != h.lastSample {
		h.lastSample = rtt.samples
		h.curRoundMin = min(h.curRoundMin, rtt.Latest())
		h.samples++
	}
	if h.samples < hsRTTSamples || h.curRoundMin == math.MaxInt64 {
		return h.divisor(), false
	}
	if h.inCSS {
		if h.curRoundMin < h.cssBaseline {
			// The RTT fell back: the rise was spurious; resume slow start.
			h.inCSS, h.cssRounds = false, 0
		}
		return h.divisor(), false
	}
	if h.lastRoundMin != math.MaxInt64 {
		thresh := min(max(h.lastRoundMin/hsMinRTTDivisor, hsMinRTTThresh), hsMaxRTTThresh)
		if h.curRoundMin >= h.lastRoundMin+thresh {
			h.inCSS, h.cssBaseline, h.cssRounds = true, h.curRoundMin, 0
		}
	}
	return h.divisor(), false
}

// divisor returns the current growth divisor.
func (h *hyStart) divisor() int {
	if h.inCSS {
		return hsCSSDivisor
	}
	return 1
}
