package handshake

import (
	"bytes"
	"crypto/tls"
)

// extraTag prefixes the transport parameters that the adapter keeps in
// session state (tls.SessionState.Extra), so that entries added by other
// code are left alone.
var extraTag = []byte("h3wasi quic tp\x00")

// drain moves crypto/tls's events into the adapter's queue, acting on the
// ones that need an immediate answer (session resumption decisions must be
// made before crypto/tls continues).
func (c *Conn) drain() error {
	for c.tls != nil {
		e := c.tls.NextEvent()
		var err *Error
		switch e.Kind {
		case tls.QUICNoEvent:
			c.maybeRelease()
			return nil
		case tls.QUICSetReadSecret, tls.QUICSetWriteSecret:
			c.onSecret(e)
		case tls.QUICWriteData:
			c.push(Event{Kind: EventWriteCrypto, Level: Level(e.Level), Data: bytes.Clone(e.Data)})
		case tls.QUICTransportParameters:
			c.peerParams = bytes.Clone(e.Data)
			if c.peerParams == nil {
				c.peerParams = []byte{}
			}
			c.push(Event{Kind: EventTransportParameters, Data: c.peerParams})
		case tls.QUICTransportParametersRequired:
			c.push(Event{Kind: EventTransportParametersRequired})
		case tls.QUICRejectedEarlyData:
			c.earlyRejected = true
			c.push(Event{Kind: EventEarlyDataRejected})
		case tls.QUICHandshakeDone:
			err = c.onHandshakeDone()
		case tls.QUICResumeSession:
			c.onResumeSession(e.SessionState)
		case tls.QUICStoreSession:
			err = c.onStoreSession(e.SessionState)
		case tls.QUICErrorEvent:
			err = cryptoError(e.Err)
		}
		if err != nil {
			return c.fail(err)
		}
	}
	return nil
}

func (c *Conn) push(e Event) { c.events = append(c.events, e) }

func (c *Conn) onSecret(e tls.QUICEvent) {
	kind := EventReadSecret
	if e.Kind == tls.QUICSetWriteSecret {
		kind = EventWriteSecret
	}
	level := Level(e.Level)
	if level == LevelEarly {
		if kind == EventWriteSecret {
			c.earlyOffered = true
		} else {
			c.earlyAccepted = true
		}
	}
	c.push(Event{Kind: kind, Level: level, Suite: e.Suite, Secret: bytes.Clone(e.Data)})
}

// onHandshakeDone checks ALPN and, on a server, issues a session ticket.
func (c *Conn) onHandshakeDone() *Error {
	cs := c.tls.ConnectionState()
	if cs.NegotiatedProtocol == "" {
		// crypto/tls already enforces ALPN for QUIC when both sides
		// configure it; this guards the remaining paths.
		return &Error{Code: CodeCryptoErrorBase + alertNoApplicationProtocol, Reason: "no application protocol negotiated"}
	}
	c.complete = true
	c.push(Event{Kind: EventHandshakeComplete})
	if c.isClient {
		return nil
	}
	opts := tls.QUICSessionTicketOptions{EarlyData: c.early}
	if c.params != nil {
		opts.Extra = [][]byte{tagged(c.params)}
	}
	if err := c.tls.SendSessionTicket(opts); err != nil {
		return cryptoError(err)
	}
	return nil
}

// onResumeSession decides whether a resumed session may use 0-RTT.
func (c *Conn) onResumeSession(s *tls.SessionState) {
	stored, ok := findTagged(s.Extra)
	if c.isClient {
		if ok && c.early && s.EarlyData {
			c.resumedParams = stored
		} else {
			s.EarlyData = false
		}
		return
	}
	// A server accepts 0-RTT only if the limits it promised when it issued
	// the ticket still hold (RFC 9001 section 4.6.1, RFC 9000 section
	// 7.4.1).
	if !c.early || !ok || c.params == nil || !zeroRTTCompatible(stored, c.params) {
		s.EarlyData = false
	}
}

// onStoreSession keeps the server's transport parameters with the session.
func (c *Conn) onStoreSession(s *tls.SessionState) *Error {
	if c.peerParams != nil {
		s.Extra = append(dropTagged(s.Extra), tagged(c.peerParams))
	}
	if err := c.tls.StoreSession(s); err != nil {
		return cryptoError(err)
	}
	c.ticketStored = true
	return nil
}

func tagged(params []byte) []byte {
	return append(bytes.Clone(extraTag), params...)
}

func findTagged(extra [][]byte) ([]byte, bool) {
	for _, e := range extra {
		if p, ok := bytes.CutPrefix(e, extraTag); ok {
			return bytes.Clone(p), true
		}
	}
	return nil, false
}

func dropTagged(extra [][]byte) [][]byte {
	out := extra[:0:0]
	for _, e := range extra {
		if !bytes.HasPrefix(e, extraTag) {
			out = append(out, e)
		}
	}
	return out
}
