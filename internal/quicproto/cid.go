package quicproto

import (
	"crypto/subtle"
)

// MaxConnIDLen is the longest connection ID QUIC v1 allows (RFC 9000 section 17.2).
const MaxConnIDLen = 20

// ConnID is a connection ID stored inline, so that copying one never allocates.
type ConnID struct {
	b [MaxConnIDLen]byte
	n uint8
}

// MakeConnID copies b (at most MaxConnIDLen bytes; longer input is truncated,
// callers validate lengths first) into a ConnID.
func MakeConnID(b []byte) ConnID {
	var c ConnID
	c.n = uint8(copy(c.b[:], b))
	return c
}

// Bytes returns the connection ID bytes. The slice aliases c, so c must be addressable and
// stay alive while the slice is used.
func (c *ConnID) Bytes() []byte { return c.b[:c.n] }

// Len returns the length of the connection ID in bytes.
func (c ConnID) Len() int { return int(c.n) }

// Equal reports whether c and b hold the same bytes.
func (c *ConnID) Equal(b []byte) bool { return string(c.b[:c.n]) == string(b) }

// ResetToken is a stateless reset token (RFC 9000 section 10.3).
type ResetToken [16]byte

// localCID is a connection ID we issued to the peer (the peer uses it as the
// destination of its packets to us).
type localCID struct {
	seq     uint64
	id      ConnID
	token   ResetToken
	retired bool // the peer sent RETIRE_CONNECTION_ID for it
	// needSend is set while a NEW_CONNECTION_ID frame for it must be (re)sent.
	needSend bool
}

// resetRouter is implemented by an Endpoint: datagrams for unknown connection IDs whose
// last 16 bytes match a registered token are given to that connection (they may be its
// peer's stateless reset).
type resetRouter interface {
	addResetToken(t ResetToken, c *Conn)
	removeResetToken(t ResetToken, c *Conn)
}

// registerResetTokens tells the endpoint about the peer's reset tokens not yet registered.
func (c *Conn) registerResetTokens() {
	rr, ok := c.hook.(resetRouter)
	if !ok {
		return
	}
	for i := range c.peer.cids {
		pc := &c.peer.cids[i]
		if !pc.hasToken {
			continue
		}
		known := false
		for _, t := range c.regTokens {
			known = known || t == pc.token
		}
		if !known {
			c.regTokens = append(c.regTokens, pc.token)
			rr.addResetToken(pc.token, c)
		}
	}
}

// cidHook tells the owner of the demultiplexing table (the Endpoint) which of our
// connection IDs route to a connection. A standalone Conn has none.
type cidHook interface {
	addConnID(id []byte, c *Conn)
	removeConnID(id []byte, c *Conn)
}

// localCIDs manages the connection IDs we issue (RFC 9000 section 5.1.1).
type localCIDs struct {
	cids    []localCID
	nextSeq uint64
	// limit is the peer's active_connection_id_limit: how many of our IDs it keeps.
	limit uint64
	// maxIssue caps how many we keep active, whatever the peer allows: each costs a
	// demultiplexing table entry.
	maxIssue uint64
	// zeroLen is set when we use zero-length connection IDs: then none are issued and
	// NEW/RETIRE_CONNECTION_ID from the peer are protocol violations.
	zeroLen bool
}

// add records a connection ID we issued with the next sequence number.
func (l *localCIDs) add(id ConnID, token ResetToken, send bool) *localCID {
	l.cids = append(l.cids, localCID{seq: l.nextSeq, id: id, token: token, needSend: send})
	l.nextSeq++
	return &l.cids[len(l.cids)-1]
}

// active counts the IDs the peer may still use.
func (l *localCIDs) active() uint64 {
	var n uint64
	for i := range l.cids {
		if !l.cids[i].retired {
			n++
		}
	}
	return n
}

// wantMore reports how many new IDs we should issue now.
func (l *localCIDs) wantMore() int {
	if l.zeroLen {
		return 0
	}
	target := min(l.limit, l.maxIssue)
	a := l.active()
	if a >= target {
		return 0
	}
	return int(target - a)
}

// retire handles RETIRE_CONNECTION_ID for seq; recvDCID is the destination ID of the packet
// that carried the frame, which the peer must not retire with it.
func (l *localCIDs) retire(seq uint64, recvDCID []byte) (ConnID, bool, error) {
	if l.zeroLen {
		return ConnID{}, false, protoErr(frameRetireConnectionID, "RETIRE_CONNECTION_ID with zero-length connection IDs")
	}
	if seq >= l.nextSeq {
		return ConnID{}, false, protoErr(frameRetireConnectionID, "retired a connection ID never issued")
	}
	for i := range l.cids {
		c := &l.cids[i]
		if c.seq != seq {
			continue
		}
		if c.id.Equal(recvDCID) {
			return ConnID{}, false, protoErr(frameRetireConnectionID, "retired the connection ID the packet was sent to")
		}
		id := c.id
		l.cids = append(l.cids[:i], l.cids[i+1:]...)
		return id, true, nil
	}
	return ConnID{}, false, nil // already retired: a duplicate frame
}

// maxPendingRetireFactor times our active_connection_id_limit bounds the
// RETIRE_CONNECTION_ID frames we may owe the peer at once.
const maxPendingRetireFactor = 8

// peerCID is a connection ID the peer issued to us: we put it in the destination of our packets.
type peerCID struct {
	seq      uint64
	id       ConnID
	token    ResetToken
	hasToken bool
}

// peerCIDs tracks the peer's connection IDs (RFC 9000 section 5.1.2).
type peerCIDs struct {
	cids          []peerCID // not retired, in arrival order; cids[cur] is in use
	cur           int
	retirePriorTo uint64
	// pendingRetire lists sequence numbers we must send RETIRE_CONNECTION_ID for.
	pendingRetire []uint64
	// limit is our active_connection_id_limit.
	limit uint64
	// zeroLen is set when the peer uses a zero-length connection ID.
	zeroLen bool
}

// current returns the destination connection ID in use.
func (p *peerCIDs) current() *peerCID {
	if len(p.cids) == 0 {
		return nil
	}
	return &p.cids[p.cur]
}

// setInitial replaces the ID at sequence 0 (the peer's Source Connection ID from its first
// long-header packet, or a Retry's).
func (p *peerCIDs) setInitial(id ConnID) {
	p.cids = append(p.cids[:0], peerCID{seq: 0, id: id})
	p.cur = 0
	p.zeroLen = id.Len() == 0
}

// setInitialToken records the stateless reset token the server gave for sequence 0
// in its transport parameters.
func (p *peerCIDs) setInitialToken(t ResetToken) {
	for i := range p.cids {
		if p.cids[i].seq == 0 {
			p.cids[i].token, p.cids[i].hasToken = t, true
		}
	}
}

// onNewConnID applies a NEW_CONNECTION_ID frame (RFC 9000 section 19.15).
func (p *peerCIDs) onNewConnID(seq, retirePriorTo uint64, id []byte, token ResetToken) error {
	if p.zeroLen {
		return protoErr(frameNewConnectionID, "NEW_CONNECTION_ID while using zero-length connection IDs")
	}
	for i := range p.cids {
		c := &p.cids[i]
		if c.seq == seq {
			if !c.id.Equal(id) || (c.hasToken && c.token != token) {
				return protoErr(frameNewConnectionID, "connection ID sequence number reused")
			}
			return nil // retransmission
		}
		if c.id.Equal(id) {
			return protoErr(frameNewConnectionID, "connection ID issued twice")
		}
	}
	if seq < p.retirePriorTo {
		// Already retired by an earlier Retire Prior To: retire it straight away.
		p.pendingRetire = append(p.pendingRetire, seq)
		if uint64(len(p.pendingRetire)) > maxPendingRetireFactor*p.limit {
			return &TransportError{Code: ConnectionIDLimitError, FrameType: frameNewConnectionID,
				Reason: "too many connection IDs retired at once"}
		}
		return nil
	}
	p.cids = append(p.cids, peerCID{seq: seq, id: MakeConnID(id), token: token, hasToken: true})
	if retirePriorTo > p.retirePriorTo {
		p.retirePriorTo = retirePriorTo
		p.retireBelow(retirePriorTo)
	}
	if uint64(len(p.cids)) > p.limit {
		return &TransportError{Code: ConnectionIDLimitError, FrameType: frameNewConnectionID,
			Reason: "too many active connection IDs"}
	}
	if uint64(len(p.pendingRetire)) > maxPendingRetireFactor*p.limit {
		// RFC 9000 section 5.1.2: bound the retirements we owe the peer.
		return &TransportError{Code: ConnectionIDLimitError, FrameType: frameNewConnectionID,
			Reason: "too many connection IDs retired at once"}
	}
	return nil
}

// retireBelow retires every ID whose sequence number is below rpt and moves to another ID
// if the one in use went.
func (p *peerCIDs) retireBelow(rpt uint64) {
	curSeq := p.cids[p.cur].seq
	j := 0
	for _, c := range p.cids {
		if c.seq < rpt {
			p.pendingRetire = append(p.pendingRetire, c.seq)
			continue
		}
		p.cids[j] = c
		j++
	}
	p.cids = p.cids[:j]
	p.cur = 0
	for i := range p.cids {
		if p.cids[i].seq == curSeq {
			p.cur = i
		}
	}
}

// isStatelessReset reports whether the last 16 bytes of a datagram that could not be
// processed match a reset token of the peer (RFC 9000 section 10.3.1), in constant time.
func (p *peerCIDs) isStatelessReset(datagram []byte) bool {
	// The smallest stateless reset a peer can send is 21 bytes.
	if len(datagram) < 21 {
		return false
	}
	tail := datagram[len(datagram)-16:]
	found := 0
	for i := range p.cids {
		c := &p.cids[i]
		if c.hasToken {
			found |= subtle.ConstantTimeCompare(tail, c.token[:])
		}
	}
	return found == 1
}

// resend schedules NEW_CONNECTION_ID for seq again (its packet was lost), unless the peer
// retired it meanwhile.
func (l *localCIDs) resend(seq uint64) {
	for i := range l.cids {
		if l.cids[i].seq == seq {
			l.cids[i].needSend = true
		}
	}
}

// sendPending reports whether a NEW_CONNECTION_ID frame is due.
func (l *localCIDs) sendPending() bool {
	for i := range l.cids {
		if l.cids[i].needSend {
			return true
		}
	}
	return false
}
