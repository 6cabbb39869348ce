package recovery

// Frame is a caller-defined record of one retransmittable frame carried by a
// sent packet: enough for the connection to requeue the data when the packet
// is lost, or to release it when the packet is acknowledged. Recovery never
// interprets it. A STREAM frame might be {Kind: stream, ID: stream ID,
// Offset, Length, Flags: fin}; an ACK frame {Kind: ack, ID: largest
// acknowledged}, so that acknowledging it lets the receiver side forget
// ranges (AckTracker.OnAckAcked).
type Frame struct {
	Kind   uint8  // caller-defined frame kind
	Flags  uint8  // caller-defined flags, e.g. FIN
	ID     uint64 // e.g. stream ID, or largest acknowledged of an ACK frame
	Offset uint64 // e.g. stream or crypto offset
	Length uint64 // e.g. data length
}

// SentPacket describes a packet for loss recovery (RFC 9002 Appendix A.1.1).
type SentPacket struct {
	// PacketNumber is the full packet number.
	PacketNumber uint64
	// TimeSent is when the packet was sent; OnPacketSent sets it.
	TimeSent int64
	// Size is the number of bytes of the UDP payload the packet used,
	// counted in bytes in flight when InFlight.
	Size int
	// AckEliciting is true when the packet contains a frame other than ACK,
	// PADDING and CONNECTION_CLOSE.
	AckEliciting bool
	// InFlight is true when the packet counts towards bytes in flight: it is
	// ack-eliciting or contains PADDING.
	InFlight bool
	// AppLimited is true when the sender had no more data to send (or was
	// flow-control blocked) while the congestion window had room; ACKs of
	// such packets do not grow the window (RFC 9002 section 7.8).
	AppLimited bool
	// ZeroRTT is true for a 0-RTT packet, so that DiscardZeroRTT finds it
	// when the server rejects 0-RTT.
	ZeroRTT bool
	// Frames are the frames to requeue on loss. OnPacketSent copies them into
	// storage that is reused, so the caller may reuse its slice; in
	// callbacks, Frames is valid only until the callback returns.
	Frames []Frame
}

// slot states in the sent-packet ring.
const (
	slotOutstanding uint8 = iota // sent, neither acknowledged nor lost
	slotAcked                    // acknowledged
	slotLost                     // declared lost
)

// slot is one ring entry: a packet and what became of it.
type slot struct {
	SentPacket
	state uint8
}

// sentRing keeps the sent packets of one packet number space in packet number
// order. Acknowledged and lost packets stay in place, marked, until every
// older packet is gone too; then they are popped from the front. Slots, with
// the capacity of their Frames slices, are reused, so that steady state does
// not allocate.
type sentRing struct {
	slots []slot // length is zero or a power of two
	head  int    // index of the oldest packet
	n     int    // number of slots in use
}

// at returns the i-th oldest slot, 0 <= i < n.
func (q *sentRing) at(i int) *slot { return &q.slots[(q.head+i)&(len(q.slots)-1)] }

// push appends p (copying its frames) and returns the new slot.
func (q *sentRing) push(p *SentPacket) *slot {
	if q.n == len(q.slots) {
		q.grow()
	}
	s := q.at(q.n)
	q.n++
	frames := append(s.Frames[:0], p.Frames...)
	s.SentPacket = *p
	s.Frames = frames
	s.state = slotOutstanding
	return s
}

// grow doubles the ring, keeping packets in order and the slots' frame
// storage for reuse.
func (q *sentRing) grow() {
	// Start small: an idle connection has few packets outstanding, and a busy
	// one reaches its size after a few doublings and then keeps it.
	size := max(2*len(q.slots), 4)
	slots := make([]slot, size)
	for i := 0; i < len(q.slots); i++ {
		slots[i] = *q.at(i)
	}
	q.slots, q.head = slots, 0
}

// popDone removes acknowledged and lost packets from the front.
func (q *sentRing) popDone() {
	for q.n > 0 && q.at(0).state != slotOutstanding {
		q.head = (q.head + 1) & (len(q.slots) - 1)
		q.n--
	}
}

// search returns the index of the oldest packet with a number >= pn, or n.
func (q *sentRing) search(pn uint64) int {
	lo, hi := 0, q.n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if q.at(m).PacketNumber >= pn {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// clear forgets every packet, keeping the storage.
func (q *sentRing) clear() { q.head, q.n = 0, 0 }
