package quicproto

// streamLocalSpace counts the streams of one type that we open, within the
// peer's MAX_STREAMS limit (RFC 9000 section 4.6).
type streamLocalSpace struct {
	opened uint64 // streams opened so far; the next one has this number
	limit  uint64 // the peer's cumulative limit

	blockedSent    uint64 // limit+1 carried by the last STREAMS_BLOCKED; 0: none
	blockedPending bool   // a STREAMS_BLOCKED carrying limit is due
}

// open allocates the next stream number, or reports that the peer's limit
// is reached, in which case a STREAMS_BLOCKED becomes due once per limit.
func (l *streamLocalSpace) open() (num uint64, ok bool) {
	if l.opened >= l.limit {
		if l.blockedSent != l.limit+1 {
			l.blockedPending = true
		}
		return 0, false
	}
	l.opened++
	return l.opened - 1, true
}

// setLimit applies a MAX_STREAMS value (or transport parameter) and
// reports whether it raised the limit; smaller values are ignored because
// frames may arrive reordered.
func (l *streamLocalSpace) setLimit(v uint64) bool {
	if v <= l.limit {
		return false
	}
	l.limit, l.blockedPending = v, false
	return true
}

func (l *streamLocalSpace) onBlockedSent(v uint64) {
	l.blockedSent = v + 1
	if v == l.limit {
		l.blockedPending = false
	}
}

func (l *streamLocalSpace) onBlockedLost(v uint64) {
	if v == l.limit && l.opened >= l.limit {
		l.blockedPending = true
	}
}

// streamPeerSpace counts the streams of one type that the peer opens and
// the limit we advertise. The limit slides: it is the number of peer
// streams closed plus the configured concurrency, so a peer may open any
// number of streams over the connection's life but only that many at once.
type streamPeerSpace struct {
	opened      uint64 // streams opened (explicitly or implicitly); next number
	closed      uint64 // streams whose state was dropped
	concurrency uint64 // initial limit, and open streams allowed at once
	limit       uint64 // largest limit advertised
	pending     bool   // a MAX_STREAMS frame is due
}

func (p *streamPeerSpace) init(concurrency uint64) {
	*p = streamPeerSpace{concurrency: concurrency, limit: concurrency}
}

// accept validates a peer stream number seen in a frame. It returns the
// range [from, to) of stream numbers this frame opens (empty when the
// stream exists or existed), or STREAM_LIMIT_ERROR beyond our limit.
func (p *streamPeerSpace) accept(num uint64, frameType uint64) (from, to uint64, err error) {
	if num >= p.limit {
		return 0, 0, streamErr(StreamLimitError, frameType, "stream ID above the advertised limit")
	}
	if num < p.opened {
		return 0, 0, nil
	}
	from, p.opened = p.opened, num+1
	return from, p.opened, nil
}

// onClosed counts a dropped peer stream and schedules a MAX_STREAMS once
// enough credit accumulated: a quarter of the concurrency, so that the
// frame is not sent for every stream yet the peer never waits long.
func (p *streamPeerSpace) onClosed() {
	p.closed++
	if p.nextLimit()-p.limit >= max(1, p.concurrency/4) {
		p.pending = true
	}
}

func (p *streamPeerSpace) nextLimit() uint64 {
	return min(max(p.limit, p.closed+p.concurrency), streamMaxCount)
}

func (p *streamPeerSpace) onSent(v uint64) {
	p.limit = max(p.limit, v)
	p.pending = false
}

func (p *streamPeerSpace) onLost(v uint64) {
	if v >= p.limit {
		p.pending = true
	}
}
