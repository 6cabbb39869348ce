package recovery

// This file holds the loss detection timer and the probe timeout (RFC 9002
// section 6.2 and Appendix A.8, A.9, A.11).

// Deadline returns when OnTimeout must be called, NoDeadline when no timer
// is armed.
func (r *Recovery) Deadline() int64 { return r.timer }

// ProbesPending returns how many ack-eliciting probe packets a PTO asked to
// send in space. Probes are sent whatever the congestion window and pacing
// say; each ack-eliciting packet sent in space counts as one.
func (r *Recovery) ProbesPending(space Space) int { return r.probes[space] }

// SetHandshakeConfirmed records that the handshake is confirmed (RFC 9001
// section 4.1.2): ack delays are then capped at max_ack_delay and the PTO
// covers application data.
func (r *Recovery) SetHandshakeConfirmed(now int64) {
	r.handshakeConfirmed = true
	r.setTimer(now)
}

// SetHandshakeKeys records that a client has Handshake keys, so that its
// anti-deadlock probe is a Handshake packet rather than an Initial one.
func (r *Recovery) SetHandshakeKeys(now int64) {
	r.hasHandshakeKeys = true
	r.setTimer(now)
}

// SetAmplificationBlocked tells a server whether it is blocked by the
// anti-amplification limit (RFC 9000 section 8.1): while it is, no PTO is
// armed, since no probe could be sent (RFC 9002 section 6.2.2.1). The
// server calls it again with false when datagrams from the client lift the
// limit; the timer is then re-armed, possibly in the past.
func (r *Recovery) SetAmplificationBlocked(now int64, blocked bool) {
	if r.ampBlocked == blocked {
		return
	}
	r.ampBlocked = blocked
	r.setTimer(now)
}

// peerCompletedAddressValidation is PeerCompletedAddressValidation of RFC
// 9002 Appendix A.6: a server assumes it; a client knows it once a
// Handshake packet of its was acknowledged or the handshake is confirmed.
func (r *Recovery) peerCompletedAddressValidation() bool {
	return r.cfg.IsServer || r.handshakeAcked || r.handshakeConfirmed
}

// ackElicitingInFlight reports whether any space has ack-eliciting packets
// in flight.
func (r *Recovery) ackElicitingInFlight() bool {
	for i := range r.spaces {
		if r.spaces[i].ackEliciting > 0 {
			return true
		}
	}
	return false
}

// earliestLossTime returns the earliest loss time of the spaces and its
// space, 0 when none is set (GetLossTimeAndSpace).
func (r *Recovery) earliestLossTime() (int64, Space) {
	var t int64
	var space Space
	for i := range r.spaces {
		lt := r.spaces[i].lossTime
		if lt != 0 && (t == 0 || lt < t) {
			t, space = lt, Space(i)
		}
	}
	return t, space
}

// backoff returns d * 2^pto_count.
func (r *Recovery) backoff(d int64) int64 { return d << min(r.ptoCount, maxPTOShift) }

// ptoTimeAndSpace returns when the PTO fires and for which space
// (GetPtoTimeAndSpace of RFC 9002 Appendix A.8).
func (r *Recovery) ptoTimeAndSpace(now int64) (int64, Space) {
	duration := r.backoff(r.rtt.PTO(false))
	if !r.ackElicitingInFlight() {
		// Anti-deadlock: a client whose address is not validated yet
		// must keep probing, or a server blocked by the amplification
		// limit could never send again.
		space, ok := r.antiDeadlockSpace()
		if !ok {
			return NoDeadline, Initial
		}
		return now + duration, space
	}
	t, space := NoDeadline, Initial
	for i := range r.spaces {
		sp := &r.spaces[i]
		if sp.ackEliciting == 0 {
			continue
		}
		d := duration
		if Space(i) == Application {
			if !r.handshakeConfirmed {
				// Application data is not probed before the handshake is
				// confirmed: the handshake spaces come first.
				return t, space
			}
			d += r.backoff(r.rtt.MaxAckDelay)
		}
		if v := sp.lastAckEliciting + d; v < t {
			t, space = v, Space(i)
		}
	}
	return t, space
}

// antiDeadlockSpace is where a client's anti-deadlock probe goes: Handshake
// once it has Handshake keys, Initial before; ok is false when the keys of
// that space were discarded.
func (r *Recovery) antiDeadlockSpace() (Space, bool) {
	space := Initial
	if r.hasHandshakeKeys {
		space = Handshake
	}
	return space, !r.spaces[space].discarded
}

// setTimer arms the loss detection timer (SetLossDetectionTimer of RFC 9002
// Appendix A.8).
func (r *Recovery) setTimer(now int64) {
	if t, _ := r.earliestLossTime(); t != 0 {
		r.timer = t // time threshold loss detection
		return
	}
	if r.ampBlocked {
		r.timer = NoDeadline // a probe could not be sent anyway
		return
	}
	if !r.ackElicitingInFlight() && r.peerCompletedAddressValidation() {
		r.timer = NoDeadline
		return
	}
	r.timer, _ = r.ptoTimeAndSpace(now)
}

// OnTimeout runs the loss detection timer's expiry (OnLossDetectionTimeout
// of RFC 9002 Appendix A.9): it declares packets lost by the time threshold,
// or asks for probes (see ProbesPending) and backs the PTO off. Calls
// before Deadline do nothing, so a caller may call it spuriously.
func (r *Recovery) OnTimeout(now int64) {
	if r.timer == NoDeadline || now < r.timer {
		return
	}
	if t, space := r.earliestLossTime(); t != 0 {
		r.detectLost(now, space)
		r.spaces[space].sent.popDone()
		r.setTimer(now)
		return
	}
	t, space := r.ptoTimeAndSpace(now)
	if t == NoDeadline || r.spaces[space].discarded {
		// Nothing may be probed now (application data before the
		// handshake is confirmed), or the space's keys are gone: a
		// probe there could never be sent. Just re-arm.
		r.setTimer(now)
		return
	}
	if !r.ackElicitingInFlight() {
		// Anti-deadlock probe of a client (RFC 9002 section 6.2.2.1): a
		// Handshake packet proves address ownership; a padded Initial
		// earns the server more amplification credit.
		r.probes[space] = 1
	} else {
		r.probes[space] = r.cfg.ProbeCount
	}
	r.ptoCount++
	r.setTimer(now)
}

// DiscardSpace drops the state of a packet number space whose keys were
// discarded (RFC 9002 section 6.4, Appendix A.11): its packets leave bytes
// in flight without being declared lost or acknowledged, and the PTO
// backoff restarts. Application data is never discarded.
func (r *Recovery) DiscardSpace(now int64, space Space) {
	sp := &r.spaces[space]
	if sp.discarded || space == Application {
		return
	}
	for i := 0; i < sp.sent.n; i++ {
		if s := sp.sent.at(i); s.state == slotOutstanding && s.InFlight {
			r.bytesInFlight -= s.Size
		}
	}
	sp.sent = sentRing{} // the space is gone for good: free its storage
	sp.ackEliciting = 0
	sp.lastAckEliciting = 0
	sp.lossTime = 0
	sp.discarded = true
	r.probes[space] = 0
	r.ptoCount = 0
	r.setTimer(now)
}

// OnRetry restarts loss recovery on a client that received a Retry (RFC
// 9002 section 6.3, RFC 9000 section 17.2.5.2): the Initial packets sent so
// far are forgotten without being declared lost (the server received them,
// so a Retry is no congestion signal; the caller sends their CRYPTO data
// again), the 0-RTT packets, which the server dropped, are passed to the
// Handler's OnPacketLost without a congestion response, and the PTO backoff,
// probes, pacer and timer start over. Packet numbers continue.
func (r *Recovery) OnRetry(now int64) {
	sp := &r.spaces[Initial]
	for i := 0; i < sp.sent.n; i++ {
		if s := sp.sent.at(i); s.state == slotOutstanding && s.InFlight {
			r.bytesInFlight -= s.Size
		}
	}
	sp.sent.clear()
	sp.ackEliciting, sp.lastAckEliciting, sp.lossTime = 0, 0, 0
	r.probes = [NumSpaces]int{}
	r.ptoCount = 0
	r.pacer = Pacer{Burst: r.pacer.Burst, MinDelay: r.pacer.MinDelay}
	r.DiscardZeroRTT(now) // also re-arms the timer
}

// DiscardZeroRTT drops the recovery state of the 0-RTT packets still
// outstanding after the server rejected 0-RTT (RFC 9002 section 6.4): they
// leave bytes in flight without a congestion response. The Handler's
// OnPacketLost is called for each, so that the connection can send their
// data again in 1-RTT packets.
func (r *Recovery) DiscardZeroRTT(now int64) {
	sp := &r.spaces[Application]
	for i := 0; i < sp.sent.n; i++ {
		s := sp.sent.at(i)
		if s.state != slotOutstanding || !s.ZeroRTT {
			continue
		}
		s.state = slotLost
		if s.InFlight {
			r.bytesInFlight -= s.Size
		}
		if s.AckEliciting {
			sp.ackEliciting--
		}
		r.h.OnPacketLost(Application, &s.SentPacket)
	}
	sp.sent.popDone()
	r.setTimer(now)
}

// CanSend reports whether a packet of size bytes may be sent now as far as
// congestion control is concerned (RFC 9002 section 7): bytes in flight
// must stay within the window, except for probes.
func (r *Recovery) CanSend(size int) bool {
	return r.bytesInFlight+size <= r.cc.Window() || r.probesPending()
}

// Available returns how many more bytes the congestion window allows in
// flight now, 0 when it is full.
func (r *Recovery) Available() int { return max(r.cc.Window()-r.bytesInFlight, 0) }

// NextSendTime returns the earliest time the pacer lets a packet of size
// bytes leave, now when it may leave at once. Probes are not paced.
func (r *Recovery) NextSendTime(now int64, size int) int64 {
	if r.probesPending() {
		return now
	}
	return r.pacer.NextSendTime(now, size, r.cc.Window(), r.rtt.Smoothed(), r.mss)
}

// probesPending reports whether any space has probes to send.
func (r *Recovery) probesPending() bool {
	return r.probes[Initial]+r.probes[Handshake]+r.probes[Application] > 0
}
