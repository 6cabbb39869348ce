package quicproto

import (
	"github.com/h3wasi/h3wasi/internal/quicwire"
	"github.com/h3wasi/h3wasi/internal/recovery"
)

// Loss recovery and congestion control are internal/recovery's (RFC 9002). The connection
// records, for every packet it sends, which frames it carried (recovery.Frame with a
// frameKind), and repairs or releases them when recovery reports the packet lost or
// acknowledged.

// frameKind says what a sent frame carried.
type frameKind = uint8

const (
	fkAck               frameKind = iota + 1 // ID: largest acknowledged
	fkCrypto                                 // Offset, Length
	fkStream                                 // ID, Offset, Length, Flags&flagFin
	fkResetStream                            // ID
	fkStopSending                            // ID
	fkMaxData                                //
	fkMaxStreamData                          // ID
	fkMaxStreams                             // ID: 1 for bidi
	fkDataBlocked                            //
	fkStreamDataBlocked                      // ID
	fkStreamsBlocked                         // ID: 1 for bidi
	fkNewConnID                              // ID: sequence number
	fkRetireConnID                           // ID: sequence number
	fkHandshakeDone                          //
	fkNewToken                               //
	fkPing                                   //
	fkPathResponse                           //
)

// flagFin marks a STREAM frame record that carried the FIN.
const flagFin = 1

func toSpace(l level) recovery.Space { return recovery.Space(l) }

// recHandler receives recovery's verdicts on sent packets; it is the Conn under another
// name so that the callbacks stay out of Conn's exported method set.
type recHandler Conn

// OnPacketAcked releases what an acknowledged packet carried.
func (h *recHandler) OnPacketAcked(space recovery.Space, p *recovery.SentPacket) {
	c := (*Conn)(h)
	sp := &c.spaces[space]
	if c.stale0RTT(space, p) {
		return
	}
	if space == recovery.Application && c.keyUpd.keys != nil {
		c.keyUpd.keys.OnAcked(int64(p.PacketNumber))
	}
	for _, f := range p.Frames {
		switch f.Kind {
		case fkAck:
			sp.acks.OnAckAcked(f.ID)
		case fkCrypto:
			sp.cryptoOut.onAck(f.Offset, f.Length)
		case fkNewToken:
			c.newToken = nil
		default:
			c.onAppFrameAcked(&f)
		}
	}
}

// OnPacketLost queues again what a lost packet carried, when it is still needed.
func (h *recHandler) OnPacketLost(space recovery.Space, p *recovery.SentPacket) {
	c := (*Conn)(h)
	c.counters.packetsLost++
	if t := c.cfg.Tracer; t != nil {
		t.PacketLost(int(space), p.PacketNumber)
	}
	if c.stale0RTT(space, p) {
		return
	}
	sp := &c.spaces[space]
	for _, f := range p.Frames {
		switch f.Kind {
		case fkCrypto:
			sp.cryptoOut.onLost(f.Offset, f.Length)
		case fkHandshakeDone:
			c.handshakeDoneSend = true
		case fkNewToken:
			c.newTokenDue = c.newToken != nil
		case fkPathChallenge:
			c.path.challengeDue = c.path.validating
		case fkNewConnID:
			c.local.resend(f.ID)
		case fkRetireConnID:
			c.peer.pendingRetire = append(c.peer.pendingRetire, f.ID)
		default:
			c.onAppFrameLost(&f)
		}
	}
}

// stale0RTT reports whether p is a 0-RTT packet of a rejected 0-RTT attempt: its frames
// belong to streams that no longer exist.
func (c *Conn) stale0RTT(space recovery.Space, p *recovery.SentPacket) bool {
	return space == recovery.Application && c.zeroRTTRejected && int64(p.PacketNumber) <= c.zeroRTTMaxPN
}

// initRecovery sets up loss recovery and the ACK trackers.
func (c *Conn) initRecovery() {
	c.lr = recovery.New(recovery.Config{IsServer: c.isServer, MaxDatagramSize: c.cfg.MaxDatagramSize},
		(*recHandler)(c))
	c.lr.RTT().MaxAckDelay = int64(quicwire.DefaultMaxAckDelay) * 1e6
	for l := range c.spaces {
		delay := int64(0)
		if level(l) == levelApp {
			delay = int64(c.cfg.MaxAckDelay)
		}
		c.spaces[l].acks.Init(toSpace(level(l)), delay)
	}
}

// pto is the current probe timeout, for the closing and idle periods.
func (c *Conn) pto() int64 { return c.lr.RTT().PTO(c.handshakeConfirmed) }

// recoveryDeadline is recovery's timer, 0 when none.
func (c *Conn) recoveryDeadline() int64 {
	if t := c.lr.Deadline(); t != recovery.NoDeadline {
		return t
	}
	return 0
}

// onRecoveryTimeout runs the loss detection timer. A PTO in the Initial or Handshake space
// requeues all unacknowledged CRYPTO data, so the probes carry it (RFC 9002 section 6.2.4).
func (c *Conn) onRecoveryTimeout(now int64) {
	c.lr.OnTimeout(now)
	for l := levelInitial; l < levelApp; l++ {
		sp := &c.spaces[l]
		if c.lr.ProbesPending(toSpace(l)) > 0 && !sp.discarded {
			sp.cryptoOut.onLost(sp.cryptoOut.base, sp.cryptoOut.sendOff-sp.cryptoOut.base)
		}
	}
}

// onAckFrame processes an ACK frame received in level l.
func (c *Conn) onAckFrame(now int64, l level, f *quicwire.AckFrame) error {
	exp := uint64(quicwire.DefaultAckDelayExponent)
	if l == levelApp && c.peerParamsSeen {
		exp = c.peerParams.ackDelayExponent
	}
	delay := int64(min(f.AckDelay<<exp, 1<<40)) * 1000
	ack := recovery.Ack{Ranges: f.Ranges, AckDelay: delay, HasECN: f.HasECN, ECT0: f.ECT0, ECT1: f.ECT1, CE: f.ECNCE}
	if err := c.lr.OnAck(now, toSpace(l), ack); err != nil {
		return err
	}
	if pn, ok := c.lr.LargestAcked(toSpace(l)); ok {
		c.spaces[l].largestAcked = int64(pn)
	}
	return nil
}

// recordSent hands a sealed packet to loss recovery.
func (c *Conn) recordSent(now int64, p *builtPacket, size int, padded bool) {
	sp := &c.spaces[p.lvl]
	c.counters.packetsSent++
	c.lr.OnPacketSent(now, toSpace(p.lvl), recovery.SentPacket{
		PacketNumber: p.pn,
		Size:         size,
		AckEliciting: p.eliciting,
		InFlight:     p.eliciting || padded,
		Frames:       sp.frames,
	})
	sp.frames = sp.frames[:0]
}

// addFrame records a frame of the packet being built in level l.
func (sp *pnSpace) addFrame(f recovery.Frame) {
	sp.frames = append(sp.frames, f)
	if f.Kind != fkAck {
		sp.eliciting = true
	}
}
