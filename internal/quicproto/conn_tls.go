package quicproto

import (
	"errors"

	"github.com/h3wasi/h3wasi/internal/handshake"

	"github.com/h3wasi/h3wasi/internal/protect"
	"github.com/h3wasi/h3wasi/internal/quicwire"
)

// The TLS 1.3 handshake runs in internal/handshake, the sans-IO adapter on crypto/tls's QUIC
// API: CRYPTO bytes go in per encryption level and events (secrets, bytes to send, the
// peer's transport parameters) come out.

func tlsLevel(l level) handshake.Level {
	switch l {
	case levelInitial:
		return handshake.LevelInitial
	case levelHandshake:
		return handshake.LevelHandshake
	}
	return handshake.LevelApplication
}

func fromTLSLevel(l handshake.Level) (level, bool) {
	switch l {
	case handshake.LevelInitial:
		return levelInitial, true
	case handshake.LevelHandshake:
		return levelHandshake, true
	case handshake.LevelApplication:
		return levelApp, true
	}
	return 0, false // 0-RTT: not used yet
}

// startTLS creates the TLS state with our transport parameters and runs it until it waits
// for the peer.
func (c *Conn) startTLS() error {
	hc := &handshake.Config{TLS: c.cfg.TLS, TransportParameters: c.ourTransportParams(),
		EnableEarlyData: c.cfg.Enable0RTT}
	var err error
	if c.isServer {
		c.tls, err = handshake.NewServer(hc)
	} else {
		c.tls, err = handshake.NewClient(hc)
	}
	if err != nil {
		return err
	}
	if err := c.tls.Start(); err != nil {
		return c.tlsError(err)
	}
	if err := c.drainTLS(); err != nil {
		return err
	}
	if rp := c.tls.ResumedTransportParameters(); !c.isServer && rp != nil && c.zeroRTTSeal != nil {
		// 0-RTT data obeys the limits the server gave in the connection that issued
		// the ticket (RFC 9000 section 7.4.1).
		p, err := quicwire.ParseTransportParameters(rp, true)
		if err != nil {
			c.zeroRTTSeal = nil
			return nil
		}
		return c.applyPeerStreamParams(&p)
	}
	return nil
}

// ourTransportParams encodes the transport parameters we send.
func (c *Conn) ourTransportParams() []byte {
	cfg := c.cfg
	p := quicwire.DefaultTransportParameters()
	p.MaxIdleTimeout = uint64(cfg.MaxIdleTimeout.Milliseconds())
	p.MaxUDPPayloadSize = uint64(max(cfg.MaxDatagramSize, 1452))
	p.InitialMaxData = cfg.InitialConnWindow
	p.InitialMaxStreamDataBidiLocal = cfg.InitialStreamWindow
	p.InitialMaxStreamDataBidiRemote = cfg.InitialStreamWindow
	p.InitialMaxStreamDataUni = cfg.InitialStreamWindow
	p.InitialMaxStreamsBidi = uint64(cfg.MaxIncomingStreams)
	p.InitialMaxStreamsUni = uint64(cfg.MaxIncomingUniStreams)
	p.AckDelayExponent = ackDelayExponent
	p.MaxAckDelay = uint64(cfg.MaxAckDelay.Milliseconds())
	p.DisableActiveMigration = cfg.DisableActiveMigration
	p.ActiveConnectionIDLimit = cfg.ActiveConnIDLimit
	p.MaxDatagramFrameSize = cfg.MaxDatagramFrameSize
	p.InitialSourceConnectionID = c.initialSCID.Bytes()
	p.HasInitialSourceConnectionID = true
	if c.isServer {
		p.OriginalDestinationConnectionID = c.origDCID.Bytes()
		p.HasOriginalDestinationConnectionID = true
		if c.retried {
			p.RetrySourceConnectionID = c.retrySCID.Bytes()
			p.HasRetrySourceConnectionID = true
		}
		if len(c.local.cids) > 0 && !c.local.zeroLen {
			p.StatelessResetToken = c.local.cids[0].token
			p.HasStatelessResetToken = true
		}
	}
	return p.Append(nil)
}

// feedCrypto passes in-order CRYPTO bytes of level l to TLS.
func (c *Conn) feedCrypto(l level) error {
	in := &c.spaces[l].cryptoIn
	data := in.contiguous()
	if len(data) == 0 {
		return nil
	}
	err := c.tls.HandleCrypto(tlsLevel(l), data)
	in.consume(len(data))
	if err != nil {
		return c.tlsError(err)
	}
	return c.drainTLS()
}

// drainTLS processes every pending TLS event.
func (c *Conn) drainTLS() error {
	for {
		ev := c.tls.NextEvent()
		switch ev.Kind {
		case handshake.EventNone:
			return nil
		case handshake.EventReadSecret, handshake.EventWriteSecret:
			if err := c.installSecret(ev); err != nil {
				return err
			}
		case handshake.EventWriteCrypto:
			if l, ok := fromTLSLevel(ev.Level); ok {
				c.spaces[l].cryptoOut.write(ev.Data)
			}
		case handshake.EventTransportParameters:
			if err := c.onPeerParams(ev.Data); err != nil {
				return err
			}
		case handshake.EventEarlyDataRejected:
			if err := c.on0RTTRejected(); err != nil {
				return err
			}
		case handshake.EventHandshakeComplete:
			if err := c.onHandshakeComplete(); err != nil {
				return err
			}
		}
	}
}

// on0RTTRejected starts the streams over: everything assumed for 0-RTT may be wrong
// (RFC 9001 section 4.6.2), so the old streams and their data are dropped.
func (c *Conn) on0RTTRejected() error {
	c.zeroRTTSeal, c.zeroRTTRejected = nil, true
	c.streams = newStreamMap(c.cfg, c.isServer)
	c.events.push(Event{Kind: Event0RTTRejected})
	if c.peerParamsSeen {
		return c.streams.SetPeerLimits(c.peerParams.streams)
	}
	return nil
}

// installSecret builds packet protection keys for a level from a TLS secret.
func (c *Conn) installSecret(ev handshake.Event) error {
	read := ev.Kind == handshake.EventReadSecret
	if ev.Level == handshake.LevelEarly {
		k, err := protect.NewKeys(ev.Suite, ev.Secret, c.version)
		if err != nil {
			return &TransportError{Code: InternalError, Reason: err.Error()}
		}
		if read {
			c.zeroRTTOpen = k
		} else {
			c.zeroRTTSeal = k
		}
		return nil
	}
	l, ok := fromTLSLevel(ev.Level)
	if !ok {
		return nil
	}
	if l == levelApp {
		// 1-RTT keys change with key updates: keyUpdater owns them.
		if read {
			c.keyUpd.setReadSecret(ev.Suite, ev.Secret, c.version)
		} else {
			c.keyUpd.setWriteSecret(ev.Suite, ev.Secret, c.version)
		}
		return nil
	}
	k, err := protect.NewKeys(ev.Suite, ev.Secret, c.version)
	if err != nil {
		return &TransportError{Code: InternalError, Reason: err.Error()}
	}
	if read {
		c.spaces[l].open = k
	} else {
		c.spaces[l].seal = k
		if l == levelHandshake {
			// Recovery's anti-deadlock probe becomes a Handshake packet from now on.
			c.lr.SetHandshakeKeys(c.now)
		}
	}
	return nil
}

// tlsError converts a handshake error into a transport error (CRYPTO_ERROR with the TLS
// alert, or the code the adapter chose).
func (c *Conn) tlsError(err error) error {
	var te *TransportError
	if errors.As(err, &te) {
		return te
	}
	var he *handshake.Error
	if errors.As(err, &he) {
		return &TransportError{Code: ErrorCode(he.Code), Reason: he.Reason}
	}
	return &TransportError{Code: quicwire.CryptoError(80), Reason: err.Error()} // internal_error alert
}

// onPeerParams validates and applies the peer's transport parameters (RFC 9000 section 7.4
// and the connection ID authentication of section 7.3).
func (c *Conn) onPeerParams(b []byte) error {
	p, err := quicwire.ParseTransportParameters(b, !c.isServer)
	if err != nil {
		return err
	}
	bad := func(reason string) error {
		return &TransportError{Code: TransportParameterError, Reason: reason}
	}
	cur := c.peer.current()
	if !p.HasInitialSourceConnectionID || cur == nil || !cur.id.Equal(p.InitialSourceConnectionID) {
		return bad("initial_source_connection_id does not match")
	}
	if !c.isServer {
		if !p.HasOriginalDestinationConnectionID || !c.origDCID.Equal(p.OriginalDestinationConnectionID) {
			return bad("original_destination_connection_id does not match")
		}
		if c.retried != p.HasRetrySourceConnectionID ||
			(c.retried && !c.retrySCID.Equal(p.RetrySourceConnectionID)) {
			return bad("retry_source_connection_id does not match")
		}
		if p.HasStatelessResetToken {
			c.peer.setInitialToken(p.StatelessResetToken)
			c.registerResetTokens()
		}
	}
	// Keep only the values used later (the parsed byte slices alias crypto/tls's buffer).
	c.peerParams = peerParams{streams: streamPeerLimits(&p), maxDatagramFrameSize: p.MaxDatagramFrameSize,
		ackDelayExponent: p.AckDelayExponent}
	c.peerParamsSeen = true
	c.peerMaxUDP = int(min(p.MaxUDPPayloadSize, 65527))
	c.local.limit = p.ActiveConnectionIDLimit
	if t := int64(p.MaxIdleTimeout) * 1e6; t > 0 && (c.idleTimeout == 0 || t < c.idleTimeout) {
		c.idleTimeout = t
	}
	c.lr.RTT().MaxAckDelay = int64(p.MaxAckDelay) * 1e6
	return c.applyPeerStreamParams(&p)
}
