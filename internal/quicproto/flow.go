package quicproto

import "time"

// FlowSend is the credit the peer granted us, through MAX_DATA for the
// connection or MAX_STREAM_DATA for one stream (RFC 9000 section 4.1).
// It also decides when a DATA_BLOCKED or STREAM_DATA_BLOCKED frame is due:
// once per limit value, so a blocked sender does not repeat the frame in
// every packet.
type FlowSend struct {
	limit uint64 // largest limit the peer advertised
	used  uint64 // credit consumed: highest offset sent (stream) or sum of them (connection)

	blockedSent    uint64 // limit+1 carried by the last blocked frame sent; 0: none
	blockedPending bool   // a blocked frame carrying limit is due
}

// Limit returns the largest limit the peer advertised.
func (f *FlowSend) Limit() uint64 { return f.limit }

// Used returns the credit consumed so far.
func (f *FlowSend) Used() uint64 { return f.used }

// Available returns how many more bytes may be sent.
func (f *FlowSend) Available() uint64 {
	if f.used >= f.limit {
		return 0
	}
	return f.limit - f.used
}

// SetLimit applies a limit from the peer and reports whether it raised the
// limit. Smaller values are ignored: MAX_DATA and MAX_STREAM_DATA frames
// may arrive reordered (RFC 9000 section 4.1).
func (f *FlowSend) SetLimit(limit uint64) bool {
	if limit <= f.limit {
		return false
	}
	f.limit = limit
	f.blockedPending = false
	return true
}

// Use consumes n bytes of credit. The caller never exceeds Available.
func (f *FlowSend) Use(n uint64) { f.used += n }

// MarkBlocked records that the sender had data but no credit, so that a
// blocked frame is sent once for the current limit.
func (f *FlowSend) MarkBlocked() {
	if f.Available() == 0 && f.blockedSent != f.limit+1 {
		f.blockedPending = true
	}
}

// BlockedPending reports whether a blocked frame is due and the limit it
// carries.
func (f *FlowSend) BlockedPending() (limit uint64, ok bool) {
	return f.limit, f.blockedPending
}

// OnBlockedSent records that a blocked frame carrying limit was sent.
func (f *FlowSend) OnBlockedSent(limit uint64) {
	f.blockedSent = limit + 1
	if limit == f.limit {
		f.blockedPending = false
	}
}

// OnBlockedLost asks for the blocked frame to be sent again if the sender
// is still blocked at the same limit; otherwise the information is stale.
func (f *FlowSend) OnBlockedLost(limit uint64) {
	if limit == f.limit && f.Available() == 0 {
		f.blockedPending = true
	}
}

// FlowRecv is the receive window we advertise, through MAX_DATA for the
// connection or MAX_STREAM_DATA for one stream (RFC 9000 section 4.1-4.2).
// It enforces the limit and decides when to raise it: when half the window
// has been consumed by the application. The window auto-tunes: if a window
// worth of data was consumed in less than about two round trips, the peer
// was limited by us rather than by the network, so the window doubles, up
// to a configured maximum.
type FlowRecv struct {
	limit     uint64 // largest limit advertised to the peer
	received  uint64 // credit the peer consumed (highest offset, or their sum)
	consumed  uint64 // bytes read by the application or discarded
	window    uint64 // current window size
	maxWindow uint64 // auto-tuning never grows the window past this

	epochStarted bool
	epochStart   int64  // when the current auto-tuning epoch began (ns)
	epochOffset  uint64 // consumed at epochStart

	updatePending bool // a window update (MAX_DATA / MAX_STREAM_DATA) is due
}

// Init sets the initial window, which is also the initial limit that the
// transport parameters advertise, and the auto-tuning maximum.
func (f *FlowRecv) Init(window, maxWindow uint64) {
	*f = FlowRecv{limit: window, window: window, maxWindow: max(window, maxWindow)}
}

// Limit returns the largest limit advertised to the peer.
func (f *FlowRecv) Limit() uint64 { return f.limit }

// Window returns the current window size.
func (f *FlowRecv) Window() uint64 { return f.window }

// Received returns the credit the peer has consumed.
func (f *FlowRecv) Received() uint64 { return f.received }

// Consumed returns the bytes read by the application or discarded.
func (f *FlowRecv) Consumed() uint64 { return f.consumed }

// SetReceived records that the peer consumed credit up to total (a
// stream's highest offset, or the connection's sum of them). Totals never
// decrease. Exceeding the advertised limit is a FLOW_CONTROL_ERROR.
func (f *FlowRecv) SetReceived(total uint64, frameType uint64) error {
	if total <= f.received {
		return nil
	}
	if total > f.limit {
		return streamErr(FlowControlError, frameType, "data exceeds flow control limit")
	}
	f.received = total
	return nil
}

// AddReceived is SetReceived(Received()+n), for the connection total; it
// checks for overflow so hostile input cannot wrap the sum.
func (f *FlowRecv) AddReceived(n uint64, frameType uint64) error {
	if f.received > f.limit || n > f.limit-f.received {
		return streamErr(FlowControlError, frameType, "data exceeds connection flow control limit")
	}
	f.received += n
	return nil
}

// forceReceived counts n bytes of credit without a check, for credit the
// peer committed to (a final size) that is found when no error can be
// reported; a violation then surfaces with the peer's next frame.
func (f *FlowRecv) forceReceived(n uint64) { f.received += n }

// Consume records that n more bytes were read or discarded, at time now
// (ns) with smoothed RTT srtt, and schedules a window update when half the
// window is used up.
func (f *FlowRecv) Consume(n uint64, now int64, srtt time.Duration) {
	if !f.epochStarted {
		f.epochStarted, f.epochStart, f.epochOffset = true, now, f.consumed
	}
	f.consumed += n
	if f.updatePending || (f.consumed < f.limit && f.limit-f.consumed > f.window/2) {
		return
	}
	f.autoTune(now, srtt)
	f.updatePending = true
}

// autoTune doubles the window when the data of this epoch was consumed
// faster than the window could sustain over ~2 RTT, then starts a new
// epoch. The test is elapsed < 4*srtt*consumedInEpoch/window, so consuming
// half a window in under 2 RTT grows it.
func (f *FlowRecv) autoTune(now int64, srtt time.Duration) {
	elapsed := now - f.epochStart
	inEpoch := f.consumed - f.epochOffset
	if srtt > 0 && f.window < f.maxWindow && inEpoch > 0 &&
		float64(elapsed)*float64(f.window) < 4*float64(srtt)*float64(inEpoch) {
		f.window = min(2*f.window, f.maxWindow)
	}
	f.epochStart, f.epochOffset = now, f.consumed
}

// EnsureWindow grows the window to at least w (capped at the maximum);
// the connection window follows its streams' windows so that one fast
// stream is not limited by the connection.
func (f *FlowRecv) EnsureWindow(w uint64) {
	f.window = max(f.window, min(w, f.maxWindow))
}

// UpdatePending reports whether a window update is due and the limit it
// would carry.
func (f *FlowRecv) UpdatePending() (limit uint64, ok bool) {
	if !f.updatePending {
		return 0, false
	}
	return f.nextLimit(), true
}

func (f *FlowRecv) nextLimit() uint64 { return max(f.limit, f.consumed+f.window) }

// OnUpdateSent records that a window update carrying limit was sent: from
// now on the peer may use it.
func (f *FlowRecv) OnUpdateSent(limit uint64) {
	f.limit = max(f.limit, limit)
	f.updatePending = false
}

// OnUpdateLost schedules the update again unless a larger limit has been
// sent since; the resent frame carries the current, possibly larger, limit.
func (f *FlowRecv) OnUpdateLost(limit uint64) {
	if limit >= f.limit {
		f.updatePending = true
	}
}

// StopUpdates cancels any pending update: after the final size is known a
// stream's window no longer matters.
func (f *FlowRecv) StopUpdates() { f.updatePending = false }
