package handshake

import (
	"bytes"
	"context"
	"crypto/tls"
	"strconv"
)

// Level is a QUIC encryption level; the values equal crypto/tls's
// QUICEncryptionLevel values.
type Level int

// Encryption levels.
const (
	LevelInitial     Level = Level(tls.QUICEncryptionLevelInitial)
	LevelEarly       Level = Level(tls.QUICEncryptionLevelEarly) // 0-RTT
	LevelHandshake   Level = Level(tls.QUICEncryptionLevelHandshake)
	LevelApplication Level = Level(tls.QUICEncryptionLevelApplication) // 1-RTT
)

// String returns the level's name.
func (l Level) String() string {
	switch l {
	case LevelInitial:
		return "Initial"
	case LevelEarly:
		return "0-RTT"
	case LevelHandshake:
		return "Handshake"
	case LevelApplication:
		return "1-RTT"
	}
	return "Level(" + strconv.Itoa(int(l)) + ")"
}

// EventKind is the type of an Event.
type EventKind int

// Event kinds.
const (
	// EventNone means no event is pending.
	EventNone EventKind = iota
	// EventReadSecret installs the secret to remove packet protection at
	// Level: Suite and Secret are set.
	EventReadSecret
	// EventWriteSecret installs the secret to protect packets at Level.
	EventWriteSecret
	// EventWriteCrypto carries CRYPTO stream bytes to send at Level in Data.
	EventWriteCrypto
	// EventTransportParameters carries the peer's transport parameters in
	// Data.
	EventTransportParameters
	// EventTransportParametersRequired asks for SetTransportParameters
	// (only when Config.TransportParameters was nil).
	EventTransportParametersRequired
	// EventEarlyDataRejected tells a client that the server rejected
	// 0-RTT: the 0-RTT packets are lost and their data must be sent again
	// in 1-RTT packets.
	EventEarlyDataRejected
	// EventHandshakeComplete reports that the TLS handshake completed and
	// the application protocol was negotiated.
	EventHandshakeComplete
)

// Event is an output of the handshake. Data and Secret belong to the
// caller.
type Event struct {
	Kind   EventKind
	Level  Level  // EventReadSecret, EventWriteSecret, EventWriteCrypto
	Suite  uint16 // TLS cipher suite, for the secret events
	Secret []byte // EventReadSecret, EventWriteSecret
	Data   []byte // EventWriteCrypto, EventTransportParameters
}

// Config configures a Conn.
type Config struct {
	// TLS is the TLS configuration: certificates, RootCAs, ServerName,
	// NextProtos (required), ClientSessionCache, KeyLogWriter, Time... It
	// is used as is when MinVersion is TLS 1.3; otherwise a clone with
	// MinVersion raised is used, which on a server has fresh automatic
	// session ticket keys and so cannot resume sessions of other Conns
	// unless the config has explicit keys (tls.Config.SetSessionTicketKeys).
	TLS *tls.Config
	// TransportParameters is the encoded quic_transport_parameters
	// extension to send. If nil, the Conn asks for it with
	// EventTransportParametersRequired.
	TransportParameters []byte
	// EnableEarlyData lets a client send 0-RTT when resuming a session that
	// allows it, and lets a server issue tickets allowing 0-RTT and accept it.
	EnableEarlyData bool
}

// Conn is the TLS side of one QUIC connection. It is not safe for
// concurrent use. Close must be called when the connection is done, to
// release crypto/tls's parked handshake state.
type Conn struct {
	tls      *tls.QUICConn
	isClient bool
	early    bool
	params   []byte // our transport parameters

	events []Event
	next   int

	peerParams    []byte
	resumedParams []byte // client: server parameters remembered for 0-RTT
	earlyOffered  bool   // client got a 0-RTT write secret
	earlyAccepted bool   // server got a 0-RTT read secret
	earlyRejected bool
	ticketStored  bool // client stored a session ticket
	complete      bool
	err           *Error
	closed        bool
	post          postHandshakeScanner
	// noTickets: a client without a session cache cannot use tickets.
	noTickets bool
	// state is the connection state, kept when crypto/tls is released.
	state tls.ConnectionState
}

// NewClient returns the TLS client of a QUIC connection.
func NewClient(cfg *Config) (*Conn, error) { return newConn(cfg, true) }

// NewServer returns the TLS server of a QUIC connection.
func NewServer(cfg *Config) (*Conn, error) { return newConn(cfg, false) }

func newConn(cfg *Config, isClient bool) (*Conn, error) {
	if cfg.TLS == nil || len(cfg.TLS.NextProtos) == 0 {
		return nil, ErrNoALPN
	}
	tc := cfg.TLS
	if tc.MinVersion < tls.VersionTLS13 {
		// QUIC requires TLS 1.3 and crypto/tls insists on MinVersion. A
		// clone gets its own automatic session ticket keys, so servers
		// that resume sessions should set MinVersion themselves (or set
		// ticket keys): then the config is used as is.
		tc = tc.Clone()
		tc.MinVersion = tls.VersionTLS13
	}
	qc := &tls.QUICConfig{TLSConfig: tc, EnableSessionEvents: true}
	c := &Conn{isClient: isClient, early: cfg.EnableEarlyData, noTickets: isClient && tc.ClientSessionCache == nil}
	if isClient {
		c.tls = tls.QUICClient(qc)
	} else {
		c.tls = tls.QUICServer(qc)
	}
	if cfg.TransportParameters != nil {
		c.params = bytes.Clone(cfg.TransportParameters)
		c.tls.SetTransportParameters(c.params)
	}
	return c, nil
}

// Start begins the handshake; a client produces its ClientHello.
func (c *Conn) Start() error {
	if err := c.tls.Start(context.Background()); err != nil {
		return c.fail(cryptoError(err))
	}
	return c.drain()
}

// HandleCrypto processes CRYPTO stream bytes received at a level, in stream
// order and without gaps (the connection reassembles CRYPTO frames).
func (c *Conn) HandleCrypto(level Level, data []byte) error {
	if c.err != nil {
		return c.err
	}
	if c.closed {
		return ErrClosed
	}
	if level == LevelEarly {
		// RFC 9000 section 12.4: CRYPTO frames are not allowed in 0-RTT.
		return c.fail(&Error{Code: CodeProtocolViolation, Reason: "CRYPTO data in 0-RTT"})
	}
	if level == LevelApplication && c.complete {
		if err := c.post.scan(data, c.isClient); err != nil {
			return c.fail(err)
		}
	}
	if c.tls == nil {
		// crypto/tls was released: what can still arrive is a
		// NewSessionTicket nobody would store, or retransmitted bytes.
		return nil
	}
	if err := c.tls.HandleData(tls.QUICEncryptionLevel(level), data); err != nil {
		return c.fail(cryptoError(err))
	}
	return c.drain()
}

// SetTransportParameters provides our transport parameters after
// EventTransportParametersRequired.
func (c *Conn) SetTransportParameters(params []byte) error {
	if c.err != nil {
		return c.err
	}
	c.params = bytes.Clone(params)
	if c.params == nil {
		c.params = []byte{}
	}
	c.tls.SetTransportParameters(c.params)
	return c.drain()
}

// NextEvent returns the next pending event, or an event of kind EventNone.
func (c *Conn) NextEvent() Event {
	if c.next >= len(c.events) {
		c.events = c.events[:0]
		if c.complete {
			c.events = nil // few events come after the handshake: keep no buffer
		}
		c.next = 0
		return Event{}
	}
	e := c.events[c.next]
	c.events[c.next] = Event{}
	c.next++
	return e
}

// Complete reports whether the TLS handshake completed.
func (c *Conn) Complete() bool { return c.complete }

// IsClient reports whether this is the client side.
func (c *Conn) IsClient() bool { return c.isClient }

// Err returns the error that failed the handshake, or nil.
func (c *Conn) Err() error {
	if c.err == nil {
		return nil
	}
	return c.err
}

// PeerTransportParameters returns the peer's transport parameters, once
// received.
func (c *Conn) PeerTransportParameters() []byte { return c.peerParams }

// ResumedTransportParameters returns, on a client attempting 0-RTT, the
// server transport parameters remembered from the connection that issued
// the session ticket (RFC 9001 section 4.6.3): 0-RTT data must respect them.
func (c *Conn) ResumedTransportParameters() []byte { return c.resumedParams }

// EarlyDataAccepted reports whether 0-RTT was accepted: on a client, once
// the handshake completed, whether the 0-RTT it sent was accepted; on a
// server, whether it accepted the client's 0-RTT.
func (c *Conn) EarlyDataAccepted() bool {
	if c.isClient {
		return c.complete && c.earlyOffered && !c.earlyRejected
	}
	return c.earlyAccepted
}

// ConnectionState returns the TLS connection state: negotiated protocol,
// cipher suite, peer certificates, whether the session was resumed.
func (c *Conn) ConnectionState() tls.ConnectionState {
	if c.tls == nil {
		return c.state
	}
	return c.tls.ConnectionState()
}

// Close stops the handshake and releases crypto/tls's state. Further
// calls fail with ErrClosed.
func (c *Conn) Close() {
	if !c.closed {
		c.closed = true
		c.release()
	}
}

// Released reports whether crypto/tls's state was released: the handshake
// is complete and no TLS message that matters can come any more.
func (c *Conn) Released() bool { return c.tls == nil }

// release drops crypto/tls's connection (its handshake buffers, record
// layer ciphers, certificates), which an idle QUIC connection would
// otherwise keep for its whole life.
func (c *Conn) release() {
	if c.tls != nil {
		c.tls.Close()
		c.tls = nil
	}
}

// maybeRelease releases crypto/tls once nothing more is expected of it: a
// server after it issued its session ticket at the end of the handshake; a
// client once it stored a session ticket, or at once if it has no session
// cache. Tickets that arrive later are checked by the post-handshake scanner
// and dropped: one is enough to resume.
func (c *Conn) maybeRelease() {
	if c.complete && c.err == nil && (!c.isClient || c.noTickets || c.ticketStored) {
		c.state = c.tls.ConnectionState()
		c.release()
		c.params = nil
	}
}

func (c *Conn) fail(e *Error) *Error {
	if c.err == nil {
		c.err = e
	}
	return c.err
}
