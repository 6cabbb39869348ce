package quicproto

import (
	"net/netip"

	"github.com/h3wasi/h3wasi/internal/quicwire"
)

// alertMissingExtension is the TLS alert for absent transport parameters (RFC 9001 8.2).
const alertMissingExtension = 109

// onHandshakeComplete runs when TLS reports the handshake complete. The server's handshake
// is then also confirmed (RFC 9001 section 4.1.2); the client waits for HANDSHAKE_DONE.
func (c *Conn) onHandshakeComplete() error {
	if c.handshakeComplete {
		return nil
	}
	if !c.peerParamsSeen {
		return &TransportError{Code: quicwire.CryptoError(alertMissingExtension), Reason: "missing transport parameters"}
	}
	c.handshakeComplete = true
	c.zeroRTTSeal = nil // 1-RTT from now on (RFC 9001 section 4.9.3)
	if c.state == stateHandshake {
		c.state = stateActive
	}
	c.events.push(Event{Kind: EventHandshakeDone})
	if c.isServer {
		c.handshakeDoneSend = true
		c.addrValidated = true
		c.confirmHandshake(c.now)
		if ti, ok := c.hook.(tokenIssuer); ok {
			// A token for the client's next connection, so that it can skip the
			// Retry round trip (RFC 9000 section 8.1.3).
			c.newToken = ti.newToken(c.now, c.peerAddr)
			c.newTokenDue = c.newToken != nil
		}
	}
	return c.issueConnIDs()
}

// tokenIssuer is implemented by an Endpoint that seals NEW_TOKEN tokens.
type tokenIssuer interface {
	newToken(now int64, addr netip.AddrPort) []byte
}

// confirmHandshake marks the handshake confirmed: the Handshake keys are discarded
// (RFC 9001 section 4.9.2) and key updates become possible.
func (c *Conn) confirmHandshake(now int64) {
	if c.handshakeConfirmed {
		return
	}
	c.handshakeConfirmed = true
	c.zeroRTTOpen = nil
	c.discardLevel(levelInitial)
	c.discardLevel(levelHandshake)
	if c.keyUpd.ready() {
		c.keyUpd.keys.SetHandshakeConfirmed()
	}
	c.lr.SetHandshakeConfirmed(now)
	c.undecryptable = nil
}

// discardLevel drops the keys and state of a packet number space for good.
func (c *Conn) discardLevel(l level) {
	sp := &c.spaces[l]
	if sp.discarded {
		return
	}
	sp.discarded = true
	sp.seal, sp.open = nil, nil
	c.lr.DiscardSpace(c.now, toSpace(l))
	sp.frames = nil
	sp.cryptoOut = cryptoSend{}
	sp.cryptoIn = cryptoRecv{}
}
