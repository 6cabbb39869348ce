package quicproto

import (
	"net/netip"

	"github.com/h3wasi/h3wasi/internal/quicwire"
	"github.com/h3wasi/h3wasi/internal/recovery"
)

// Path changes (RFC 9000 section 9): when a client's address changes (NAT rebinding), the
// server sees its packets arrive from a new address. The server follows the address of the
// newest non-probing packet and validates the new path with PATH_CHALLENGE. A new IP
// address (not just a new port) also restarts congestion control and the RTT estimate.
// Clients do not follow servers to new addresses.

// fkPathChallenge records a PATH_CHALLENGE we sent.
const fkPathChallenge frameKind = 0x41

// pathState tracks the validation of the peer's current address.
type pathState struct {
	challenge    [8]byte
	challengeDue bool // a PATH_CHALLENGE must be (re)sent
	validating   bool // waiting for the PATH_RESPONSE
	migrations   int  // times the peer's address changed
	// recv and sent count bytes on the path being validated: until it is, we send at
	// most three times what arrived from it (RFC 9000 section 9.3, 8.1).
	recv, sent uint64
	// prev is the previous address, restored if validation fails by deadline.
	prev     netip.AddrPort
	deadline int64
}

// maybeMigrate follows the peer to from after an authenticated packet that was the
// largest received so far and carried non-probing frames.
func (c *Conn) maybeMigrate(now int64, from netip.AddrPort, largest, nonProbing bool) {
	if !c.isServer || !c.handshakeConfirmed || from == c.peerAddr || !largest || !nonProbing || !from.IsValid() {
		return
	}
	old := c.peerAddr
	if !c.path.validating {
		c.path.prev = old
	}
	c.peerAddr = from
	c.path.migrations++
	c.path.recv, c.path.sent = uint64(c.curDatagram), 0
	c.path.deadline = now + 3*max(c.pto(), int64(c.cfg.MaxAckDelay))
	if old.Addr() != from.Addr() {
		c.lr.ResetPath(now, nil)
	}
	if err := c.randBytes(c.path.challenge[:]); err != nil {
		return
	}
	c.path.challengeDue, c.path.validating = true, true
}

// pathTimeout gives up a path validation that got no answer: back to the old address.
func (c *Conn) pathTimeout(now int64) {
	if c.path.validating && now >= c.path.deadline {
		c.path.validating, c.path.challengeDue = false, false
		c.peerAddr = c.path.prev
	}
}

// pathDeadline is when a pending path validation fails (0: none).
func (c *Conn) pathDeadline() int64 {
	if !c.path.validating {
		return 0
	}
	return c.path.deadline
}

// onPathResponse checks a PATH_RESPONSE against our challenge.
func (c *Conn) onPathResponse(data [8]byte) {
	if c.path.validating && data == c.path.challenge {
		c.path.validating, c.path.challengeDue = false, false
	}
}

// appendPathChallenge adds the pending PATH_CHALLENGE.
func (c *Conn) appendPathChallenge(b []byte, maxEnd int) []byte {
	if !c.path.challengeDue || maxEnd-len(b) < 9 {
		return b
	}
	b = quicwire.PathChallengeFrame{Data: c.path.challenge}.Append(b)
	c.spaces[levelApp].addFrame(recovery.Frame{Kind: fkPathChallenge})
	c.path.challengeDue = false
	return b
}
