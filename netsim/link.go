package netsim

import (
	"net/netip"
	"time"
)

// Link is one direction of the path between two endpoints. It holds its
// configuration, its statistics and the state of its impairments (bursty-loss
// state, bottleneck queue).
type Link struct {
	net      *Network
	from, to *Endpoint

	cfg       LinkConfig
	stats     Stats
	bad       bool   // Gilbert-Elliott state
	seq       uint64 // send sequence
	maxDeliv  uint64 // highest seq delivered, to count reordering
	busyUntil time.Duration
	queue     []queued // datagrams in the bottleneck, oldest first
	qhead     int
	qbytes    int
}

// queued is a datagram in the bottleneck queue: it leaves at departs.
type queued struct {
	departs time.Duration
	size    int
}

// SetConfig replaces the link's configuration. The bottleneck queue and the
// bursty-loss state are kept.
func (l *Link) SetConfig(cfg LinkConfig) {
	l.net.mu.Lock()
	l.setConfigLocked(cfg)
	l.net.mu.Unlock()
}

func (l *Link) setConfigLocked(cfg LinkConfig) {
	cfg.Blackholes = append([]Window(nil), cfg.Blackholes...)
	if cfg.Burst != nil {
		b := *cfg.Burst
		cfg.Burst = &b
	}
	l.cfg = cfg
}

// Config returns a copy of the link's configuration.
func (l *Link) Config() LinkConfig {
	l.net.mu.Lock()
	defer l.net.mu.Unlock()
	cfg := l.cfg
	cfg.Blackholes = append([]Window(nil), cfg.Blackholes...)
	if cfg.Burst != nil {
		b := *cfg.Burst
		cfg.Burst = &b
	}
	return cfg
}

// Stats returns a snapshot of the link's counters.
func (l *Link) Stats() Stats {
	l.net.mu.Lock()
	defer l.net.mu.Unlock()
	return l.stats
}

// ResetStats zeroes the link's counters.
func (l *Link) ResetStats() {
	l.net.mu.Lock()
	l.stats = Stats{}
	l.net.mu.Unlock()
}

// chance draws a Bernoulli trial. It draws nothing for p <= 0, so enabling
// one impairment does not shift the random sequence of a link without it.
func (n *Network) chance(p float64) bool {
	if p <= 0 {
		return false
	}
	if p >= 1 {
		return true
	}
	return n.rng.Float64() < p
}

// drop records a dropped copy.
func (l *Link) drop(p *packet, cause DropCause) {
	l.stats.Dropped[cause]++
	n := l.net
	if n.trace != nil {
		n.trace(TraceEvent{Kind: TraceDrop, At: n.nowLocked(), Seq: p.seq, From: p.from,
			To: p.to, Size: len(p.buf), Cause: cause, Duplicate: p.dup})
	}
	n.freePacket(p)
}

// sendLocked applies the link's impairments to a datagram sent now, and
// schedules the surviving copies.
func (l *Link) sendLocked(b []byte, from, to netip.AddrPort) {
	n := l.net
	now := n.nowLocked()
	cfg := &l.cfg
	l.seq++
	l.stats.Sent++
	l.stats.SentBytes += uint64(len(b))
	p := n.newPacket(b)
	p.from, p.to, p.link, p.seq, p.dup, p.corrupt = from, to, l, l.seq, false, false
	if n.trace != nil {
		n.trace(TraceEvent{Kind: TraceSend, At: now, Seq: p.seq, From: from, To: to, Size: len(b)})
	}
	if cfg.Filter != nil && !cfg.Filter(now, p.seq, p.buf) {
		l.drop(p, DropFilter)
		return
	}
	for _, w := range cfg.Blackholes {
		if w.contains(now) {
			l.drop(p, DropBlackhole)
			return
		}
	}
	if cfg.MTU > 0 && len(b) > cfg.MTU {
		l.drop(p, DropMTU)
		return
	}
	if n.chance(cfg.Loss) {
		l.drop(p, DropLoss)
		return
	}
	if l.burstLoss() {
		l.drop(p, DropBurst)
		return
	}
	departs, ok := l.enqueue(now, len(b))
	if !ok {
		l.drop(p, DropQueue)
		return
	}
	var dup *packet
	if n.chance(cfg.Duplicate) {
		l.stats.Duplicated++
		dup = n.newPacket(p.buf) // with the filter's changes
		dup.from, dup.to, dup.link, dup.seq, dup.dup, dup.corrupt = from, to, l, p.seq, true, false
	}
	l.scheduleCopy(p, departs)
	if dup != nil {
		l.scheduleCopy(dup, departs)
	}
}

// burstLoss steps the Gilbert-Elliott chain and draws the loss of the
// datagram in its new state.
func (l *Link) burstLoss() bool {
	ge := l.cfg.Burst
	if ge == nil {
		return false
	}
	n := l.net
	if l.bad {
		if n.chance(ge.PBadToGood) {
			l.bad = false
		}
	} else if n.chance(ge.PGoodToBad) {
		l.bad = true
	}
	if l.bad {
		return n.chance(ge.LossBad)
	}
	return n.chance(ge.LossGood)
}

// enqueue puts a datagram of size bytes into the bottleneck queue at now and
// returns when its last bit leaves, or false if the queue is full.
func (l *Link) enqueue(now time.Duration, size int) (time.Duration, bool) {
	bw := l.cfg.Bandwidth
	if bw <= 0 {
		return now, true
	}
	// Forget the datagrams that have left the queue by now.
	for l.qhead < len(l.queue) && l.queue[l.qhead].departs <= now {
		l.qbytes -= l.queue[l.qhead].size
		l.qhead++
	}
	if l.qhead == len(l.queue) {
		l.queue, l.qhead = l.queue[:0], 0
	}
	if l.cfg.QueueBytes > 0 && l.qbytes+size > l.cfg.QueueBytes {
		return 0, false
	}
	start := max(now, l.busyUntil)
	// Round the serialisation time up so a full-rate stream never beats
	// the configured bandwidth.
	bits := int64(size) * 8 * int64(time.Second)
	tx := time.Duration(bits / bw)
	if bits%bw != 0 {
		tx++
	}
	l.busyUntil = start + tx
	if l.qhead > 0 && len(l.queue) == cap(l.queue) {
		// Compact instead of growing when the front is spent.
		k := copy(l.queue, l.queue[l.qhead:])
		l.queue, l.qhead = l.queue[:k], 0
	}
	l.queue = append(l.queue, queued{departs: l.busyUntil, size: size})
	l.qbytes += size
	return l.busyUntil, true
}

// scheduleCopy adds propagation delay, jitter, reordering and corruption to a
// copy that leaves the bottleneck at departs, and schedules its delivery.
func (l *Link) scheduleCopy(p *packet, departs time.Duration) {
	n, cfg := l.net, &l.cfg
	at := departs + cfg.Delay
	if cfg.Jitter > 0 {
		at += time.Duration(n.rng.Int64N(int64(cfg.Jitter)))
	}
	if n.chance(cfg.Reorder) {
		extra := cfg.ReorderDelay
		if extra <= 0 {
			extra = cfg.Delay + time.Millisecond
		}
		at += extra
	}
	if len(p.buf) > 0 && n.chance(cfg.Corrupt) {
		bit := n.rng.IntN(len(p.buf) * 8)
		p.buf[bit/8] ^= 1 << (bit % 8)
		p.corrupt = true
		l.stats.Corrupted++
	}
	n.schedule(event{at: at, pkt: p})
}

// deliverLocked hands a due copy to its receiver: it returns the receiver's
// handler (the caller calls it unlocked, then frees the packet) or nil if the
// copy was queued for reading or dropped.
func (n *Network) deliverLocked(p *packet) (Handler, time.Duration) {
	l := p.link
	ep := l.to
	if ep.closed {
		l.drop(p, DropClosed)
		return nil, 0
	}
	if ep.handler == nil && ep.qbytes+len(p.buf) > ep.rbuf {
		l.drop(p, DropRecvBuffer)
		return nil, 0
	}
	now := n.nowLocked()
	l.stats.Delivered++
	l.stats.DeliveredBytes += uint64(len(p.buf))
	if p.seq < l.maxDeliv {
		l.stats.Reordered++
	} else {
		l.maxDeliv = p.seq
	}
	if n.trace != nil {
		n.trace(TraceEvent{Kind: TraceDeliver, At: now, Seq: p.seq, From: p.from, To: p.to,
			Size: len(p.buf), Corrupted: p.corrupt, Duplicate: p.dup})
	}
	if ep.handler != nil {
		return ep.handler, now
	}
	ep.enqueueLocked(p)
	return nil, 0
}
