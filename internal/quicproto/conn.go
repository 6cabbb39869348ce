package quicproto

import (
	"crypto/tls"
	"io"
	"net/netip"

	"github.com/h3wasi/h3wasi/internal/handshake"
	"github.com/h3wasi/h3wasi/internal/protect"
	"github.com/h3wasi/h3wasi/internal/quicwire"
	"github.com/h3wasi/h3wasi/internal/recovery"
)

// level is a packet number space and its encryption level (0-RTT shares levelApp's space).
type level uint8

const (
	levelInitial level = iota
	levelHandshake
	levelApp
	numLevels
)

// String names the level for errors and logs.
func (l level) String() string { return [...]string{"Initial", "Handshake", "1-RTT"}[l] }

// connState is the life cycle of a connection (RFC 9000 section 10).
type connState uint8

const (
	stateHandshake connState = iota // keys being negotiated
	stateActive                     // handshake complete
	stateClosing                    // we sent CONNECTION_CLOSE; we answer with it
	stateDraining                   // the peer closed; we send nothing
	stateClosed                     // all done, state may be dropped
)

// pnSpace is one packet number space with its keys and CRYPTO stream.
type pnSpace struct {
	seal, open *protect.Keys
	discarded  bool
	nextPN     uint64
	// largestAcked is the largest of our packet numbers the peer acknowledged (-1: none).
	largestAcked int64
	// largestRecv is the largest packet number received (-1: none), for decoding.
	largestRecv int64
	acks        recovery.AckTracker
	cryptoOut   cryptoSend
	cryptoIn    cryptoRecv
	// frames records the frames of the packet being built, for loss recovery.
	frames []recovery.Frame
	// eliciting says the packet being built is ack-eliciting.
	eliciting bool
}

// Conn is one QUIC connection's sans-IO state machine, client or server side.
//
// A Conn is not safe for concurrent use: the driver serialises all calls.
type Conn struct {
	cfg      *Config
	isServer bool
	version  uint32
	state    connState
	peerAddr netip.AddrPort

	spaces [numLevels]pnSpace
	tls    *handshake.Conn

	// zeroRTTSeal (client) and zeroRTTOpen (server) protect 0-RTT packets.
	zeroRTTSeal, zeroRTTOpen *protect.Keys
	// building0RTT: the 1-RTT-space packet being built is a 0-RTT packet.
	building0RTT bool
	// zeroRTTRejected: the server refused our 0-RTT.
	zeroRTTRejected bool
	// zeroRTTMaxPN is the largest packet number sent in a 0-RTT packet (-1: none); the
	// fate of those packets no longer matters once 0-RTT is rejected.
	zeroRTTMaxPN int64

	handshakeComplete  bool // TLS says the handshake is complete
	handshakeConfirmed bool // RFC 9001 section 4.1.2
	handshakeDoneSend  bool // server: HANDSHAKE_DONE must be (re)sent
	peerParamsSeen     bool
	peerParams         peerParams
	peerMaxUDP         int

	local localCIDs
	peer  peerCIDs
	hook  cidHook
	// origDCID is the Destination Connection ID of the client's first Initial.
	origDCID ConnID
	// clientDCID is the Destination Connection ID of the client's first Initial as the
	// server received it (after a Retry, the Retry's Source Connection ID).
	clientDCID ConnID
	// retrySCID is the Source Connection ID of the Retry the client followed.
	retrySCID ConnID
	retried   bool
	// initialSCID is the Source Connection ID of our first Initial packet.
	initialSCID ConnID
	// newToken is the NEW_TOKEN token a server sends; newTokenDue while it must be sent.
	newToken    []byte
	newTokenDue bool
	// regTokens are the peer's reset tokens registered with the endpoint.
	regTokens []ResetToken
	// token is what a client puts in its Initial packets (from Retry or NEW_TOKEN).
	token []byte
	// gotServerPacket: the client processed a packet from the server (no more VN/Retry).
	gotServerPacket bool

	addrValidated bool
	bytesRecv     uint64
	bytesSent     uint64

	created       int64
	idleTimeout   int64 // effective idle timeout in ns (0 none)
	lastRecvTime  int64
	elicitingSent bool  // an ack-eliciting packet went out since the last receive
	idleStart     int64 // when the first such packet went out
	lastSendTime  int64
	// lastElicitingSent is when we last sent an ack-eliciting packet (keep-alive base).
	lastElicitingSent int64
	// lastRecvDCID is the Destination Connection ID of the packet being processed.
	lastRecvDCID ConnID
	// pathResponse echoes the latest PATH_CHALLENGE.
	pathResponse    [8]byte
	pathResponseDue bool
	path            pathState
	counters        connCounters
	dgramOut        datagramQueue
	// curDatagram is the size of the datagram being processed.
	curDatagram int
	// nonProbing: the packet being processed carried a non-probing frame.
	nonProbing    bool
	closeDeadline int64

	closeErr     error // why the connection is closing (reported in EventClosed)
	closeFrame   quicwire.ConnectionCloseFrame
	closeSendDue bool
	closedEvent  bool

	events  eventQueue
	lr      *recovery.Recovery
	streams *StreamMap
	// now is the time of the call being processed (for paths that do not take it).
	now int64
	// pacedUntil is when the pacer lets the next data packet leave (0: not paced).
	pacedUntil int64
	// pingDue asks for a PING in the next 1-RTT packet (keep-alive).
	pingDue bool
	keyUpd  keyUpdater
	scratch []quicwire.AckRange
	// undecryptable holds copies of packets that arrived before their keys.
	undecryptable []bufferedPacket
}

// peerParams are the values of the peer's transport parameters that matter after they
// were applied; the parsed quicwire.TransportParameters would add ~380 bytes to every
// connection.
type peerParams struct {
	streams              StreamPeerLimits
	maxDatagramFrameSize uint64
	ackDelayExponent     uint64
}

// bufferedPacket is a packet waiting for its keys.
type bufferedPacket struct {
	from netip.AddrPort
	data []byte
}

// maxUndecryptable bounds buffered packets (RFC 9001 section 5.7 lets us drop them).
const maxUndecryptable = 16

// newConn builds the parts shared by both sides.
func newConn(cfg *Config, isServer bool, now int64, peer netip.AddrPort) *Conn {
	c := &Conn{
		cfg:      cfg,
		isServer: isServer,
		version:  cfg.Version,
		peerAddr: peer,
		created:  now,
	}
	for i := range c.spaces {
		c.spaces[i].largestAcked = -1
		c.spaces[i].largestRecv = -1
	}
	c.local.maxIssue = uint64(defaultActiveCIDLimit)
	c.local.limit = quicwire.DefaultActiveConnectionIDLimit
	c.local.zeroLen = cfg.ConnIDLen == 0
	c.peer.limit = cfg.ActiveConnIDLimit
	c.peerMaxUDP = quicwire.DefaultMaxUDPPayloadSize
	c.idleTimeout = int64(cfg.MaxIdleTimeout)
	c.zeroRTTMaxPN = -1
	c.lastRecvTime = now
	c.initRecovery()
	c.streams = newStreamMap(cfg, isServer)
	c.keyUpd.interval = cfg.KeyUpdateInterval
	return c
}

// NewClientConn starts a client connection to peer. The first Send produces its Initial.
func NewClientConn(cfg *Config, now int64, peer netip.AddrPort) (*Conn, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c := newConn(cfg, false, now, peer)
	if err := c.initClient(); err != nil {
		return nil, err
	}
	return c, nil
}

// initClient picks the client's connection IDs, derives the Initial keys and starts TLS,
// which queues the ClientHello.
func (c *Conn) initClient() error {
	var dcid [8]byte
	if err := c.randBytes(dcid[:]); err != nil {
		return err
	}
	c.origDCID = MakeConnID(dcid[:])
	c.peer.setInitial(c.origDCID)
	if err := c.issueFirstCID(); err != nil {
		return err
	}
	c.token = c.cfg.Token
	if err := c.installInitialKeys(c.origDCID.Bytes()); err != nil {
		return err
	}
	return c.startTLS()
}

// issueFirstCID picks our first Source Connection ID.
func (c *Conn) issueFirstCID() error {
	var b [MaxConnIDLen]byte
	id := b[:c.cfg.ConnIDLen]
	if err := c.randBytes(id); err != nil {
		return err
	}
	tok, err := c.resetTokenFor(id)
	if err != nil {
		return err
	}
	c.initialSCID = MakeConnID(id)
	c.local.add(c.initialSCID, tok, false)
	if c.hook != nil {
		c.hook.addConnID(id, c)
	}
	return nil
}

// installInitialKeys derives the Initial keys from the client's Destination Connection ID.
func (c *Conn) installInitialKeys(dcid []byte) error {
	seal, open, err := protect.NewInitialKeys(c.version, dcid, !c.isServer)
	if err != nil {
		return err
	}
	c.spaces[levelInitial].seal, c.spaces[levelInitial].open = seal, open
	return nil
}

// randBytes fills b from the configured randomness source.
func (c *Conn) randBytes(b []byte) error {
	_, err := io.ReadFull(c.cfg.Rand, b)
	return err
}

// resetTokenFor returns the stateless reset token for one of our connection IDs: derived
// from the endpoint's key when there is an endpoint (so it can reset without state), random
// otherwise.
func (c *Conn) resetTokenFor(id []byte) (ResetToken, error) {
	var t ResetToken
	if rt, ok := c.hook.(resetTokener); ok {
		return rt.resetToken(id), nil
	}
	err := c.randBytes(t[:])
	return t, err
}

// resetTokener is implemented by an Endpoint that derives tokens from a static key.
type resetTokener interface {
	resetToken(id []byte) ResetToken
}

// IsServer reports whether c is the server side.
func (c *Conn) IsServer() bool { return c.isServer }

// RemoteAddr returns the peer's address.
func (c *Conn) RemoteAddr() netip.AddrPort { return c.peerAddr }

// HandshakeComplete reports whether the TLS handshake completed.
func (c *Conn) HandshakeComplete() bool { return c.handshakeComplete }

// HelloDone reports whether TLS processed the peer's first flight and derived the
// Handshake keys: on a server, the whole ClientHello was read, so the negotiated ALPN
// and the client's transport parameters are known, and the 0-RTT keys are installed
// when 0-RTT was accepted (crypto/tls derives them before the Handshake keys).
func (c *Conn) HelloDone() bool {
	return c.handshakeComplete || c.spaces[levelHandshake].open != nil
}

// TLSState returns the TLS connection state (ALPN, peer certificates, ...).
func (c *Conn) TLSState() tls.ConnectionState { return c.tls.ConnectionState() }

// Version returns the connection's QUIC version (Version1 or Version2).
func (c *Conn) Version() uint32 { return c.version }

// Used0RTT reports whether 0-RTT was accepted: on a client, once the handshake
// completed, whether the server accepted the 0-RTT data we offered; on a server,
// whether we accepted the client's.
func (c *Conn) Used0RTT() bool { return c.tls.EarlyDataAccepted() }

// DatagramsEnabled reports whether both sides advertised max_datagram_frame_size
// (RFC 9221); false until the peer's transport parameters arrived.
func (c *Conn) DatagramsEnabled() bool {
	return c.cfg.MaxDatagramFrameSize > 0 && c.peerParamsSeen && c.peerParams.maxDatagramFrameSize > 0
}

// NextEvent returns the oldest unread event.
func (c *Conn) NextEvent() (Event, bool) {
	if ev, ok := c.events.pop(); ok {
		return ev, true
	}
	return c.nextStreamEvent()
}

// Done reports whether the connection is closed and its state can be dropped.
func (c *Conn) Done() bool { return c.state == stateClosed }

// Err returns why the connection closed, or nil while it is open.
func (c *Conn) Err() error {
	if c.state < stateClosing {
		return nil
	}
	return c.closeErr
}
