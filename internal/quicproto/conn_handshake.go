package quicproto

import (
	"crypto/tls"

	"github.com/h3wasi/h3wasi/internal/quicwire"
)

// TLS alerts the connection raises itself (RFC 8446 section 6).
const (
	alertMissingExtension      = 109
	alertNoApplicationProtocol = 120
)

// onHandshakeComplete runs when TLS reports the handshake complete. The server's handshake
// is then also confirmed (RFC 9001 section 4.1.2); the client waits for HANDSHAKE_DONE.
func (c *Conn) onHandshakeComplete() error {
	if c.handshakeComplete {
		return nil
	}
	if !c.peerParamsSeen {
		return &TransportError{Code: quicwire.CryptoError(alertMissingExtension), Reason: "missing transport parameters"}
	}
	if c.tls.ConnectionState().NegotiatedProtocol == "" {
		// QUIC requires ALPN (RFC 9001 section 8.1): no_application_protocol.
		return &TransportError{Code: quicwire.CryptoError(alertNoApplicationProtocol), Reason: "no application protocol negotiated"}
	}
	c.handshakeComplete = true
	if c.state == stateHandshake {
		c.state = stateActive
	}
	c.events.push(Event{Kind: EventHandshakeDone})
	if c.isServer {
		c.handshakeDoneSend = true
		c.addrValidated = true
		c.confirmHandshake(0)
		if err := c.tls.SendSessionTicket(tls.QUICSessionTicketOptions{}); err == nil {
			if err := c.drainTLS(); err != nil {
				return err
			}
		}
	}
	return c.issueConnIDs()
}

// confirmHandshake marks the handshake confirmed: the Handshake keys are discarded
// (RFC 9001 section 4.9.2) and key updates become possible.
func (c *Conn) confirmHandshake(now int64) {
	if c.handshakeConfirmed {
		return
	}
	c.handshakeConfirmed = true
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
	sp.frames = sp.frames[:0]
	sp.cryptoOut = cryptoSend{}
	sp.cryptoIn = cryptoRecv{}
}
