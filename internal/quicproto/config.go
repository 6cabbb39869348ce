package quicproto

import (
	"crypto/tls"
	"errors"
	"io"
	"time"
)

// Config configures a connection. The zero value of every field but TLS and Rand selects
// the default documented on it. A Config may be shared by many connections and must not
// be modified after use.
type Config struct {
	// TLS carries certificates (server), ServerName and roots (client), and NextProtos
	// (ALPN; required by QUIC). Its MinVersion is raised to TLS 1.3.
	TLS *tls.Config

	// Rand is the source of connection IDs, reset tokens, packet number skips and token
	// nonces. The core never reads crypto/rand itself: drivers pass crypto/rand.Reader,
	// tests a seeded reader.
	Rand io.Reader

	// Version is the QUIC version a client starts with: Version1 (default) or Version2.
	Version uint32

	// MaxIdleTimeout closes the connection after this long without traffic from the peer
	// (RFC 9000 section 10.1). Default 30 s.
	MaxIdleTimeout time.Duration
	// HandshakeTimeout bounds the whole handshake. Default 10 s.
	HandshakeTimeout time.Duration
	// KeepAlivePeriod sends a PING when nothing was sent for this long, keeping NATs and the
	// peer's idle timer alive. 0 disables keep-alives.
	KeepAlivePeriod time.Duration

	// InitialStreamWindow and MaxStreamWindow bound each stream's receive window; it starts
	// at the first and auto-tunes up to the second. Defaults 512 KiB and 6 MiB.
	InitialStreamWindow, MaxStreamWindow uint64
	// InitialConnWindow and MaxConnWindow do the same for the whole connection. Defaults
	// 768 KiB and 15 MiB.
	InitialConnWindow, MaxConnWindow uint64
	// MaxIncomingStreams and MaxIncomingUniStreams limit the peer's concurrently open
	// streams of each kind. Defaults 100 and 100; negative means none.
	MaxIncomingStreams, MaxIncomingUniStreams int64
	// MaxStreamWriteBuffer bounds the unsent and unacknowledged bytes buffered per stream.
	// Default 1 MiB.
	MaxStreamWriteBuffer int

	// ConnIDLen is the length of the connection IDs we issue (0 means 8; at most 20). A
	// client may use -1 for zero-length IDs when it never migrates and is the only
	// connection of its Endpoint (datagrams are then routed to it whatever they carry).
	ConnIDLen int
	// ActiveConnIDLimit is how many of the peer's connection IDs we store. Default 4.
	ActiveConnIDLimit uint64
	// MaxAckDelay is how long we may delay acknowledgements. Default 25 ms.
	MaxAckDelay time.Duration
	// MaxDatagramSize is the largest UDP payload we send. Default 1350; at least 1200.
	MaxDatagramSize int
	// KeyUpdateInterval makes us initiate a key update after this many 1-RTT packets
	// sent with one key phase. 0 leaves updates to the AEAD usage limits and the peer.
	KeyUpdateInterval uint64
	// DisableActiveMigration is announced in our transport parameters.
	DisableActiveMigration bool

	// Enable0RTT lets a client resuming a session send 0-RTT data (stream data written
	// before the handshake completes), and lets a server issue tickets that allow it and
	// accept it. 0-RTT data can be replayed by an attacker: only idempotent requests
	// belong in it.
	Enable0RTT bool

	// MaxDatagramFrameSize enables unreliable datagrams (RFC 9221) by advertising the
	// largest DATAGRAM frame we accept; 0 disables them.
	MaxDatagramFrameSize uint64

	// Tracer, if set, observes every packet sent, received, dropped and lost.
	Tracer Tracer

	// Token is a NEW_TOKEN token from a previous connection to the same server (clients).
	Token []byte
}

// Protocol versions the core speaks.
const (
	Version1 uint32 = 0x00000001
	Version2 uint32 = 0x6b3343cf
)

// Defaults.
const (
	defaultIdleTimeout      = 30 * time.Second
	defaultHandshakeTimeout = 10 * time.Second
	defaultStreamWindow     = 512 << 10
	defaultMaxStreamWindow  = 6 << 20
	defaultConnWindow       = 768 << 10
	defaultMaxConnWindow    = 15 << 20
	defaultMaxStreams       = 100
	defaultWriteBuffer      = 1 << 20
	defaultConnIDLen        = 8
	defaultActiveCIDLimit   = 4
	defaultMaxAckDelay      = 25 * time.Millisecond
	defaultDatagramSize     = 1350
	minInitialDatagram      = 1200
	ackDelayExponent        = 3
)

// withDefaults returns a copy of c with defaults filled in, or an error for settings that
// cannot work.
func (c *Config) withDefaults() (*Config, error) {
	if c == nil || c.TLS == nil {
		return nil, errors.New("quicproto: Config.TLS is required")
	}
	if c.Rand == nil {
		return nil, errors.New("quicproto: Config.Rand is required")
	}
	n := *c
	if n.TLS.MinVersion < tls.VersionTLS13 {
		// QUIC needs TLS 1.3. One clone per Config (not per connection) keeps a
		// server's automatic session ticket keys, so sessions resume across
		// connections of the same endpoint.
		n.TLS = n.TLS.Clone()
		n.TLS.MinVersion = tls.VersionTLS13
	}
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	defU := func(v *uint64, d uint64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&n.MaxIdleTimeout, defaultIdleTimeout)
	def(&n.HandshakeTimeout, defaultHandshakeTimeout)
	def(&n.MaxAckDelay, defaultMaxAckDelay)
	defU(&n.InitialStreamWindow, defaultStreamWindow)
	defU(&n.MaxStreamWindow, defaultMaxStreamWindow)
	defU(&n.InitialConnWindow, defaultConnWindow)
	defU(&n.MaxConnWindow, defaultMaxConnWindow)
	defU(&n.ActiveConnIDLimit, defaultActiveCIDLimit)
	n.MaxStreamWindow = max(n.MaxStreamWindow, n.InitialStreamWindow)
	n.MaxConnWindow = max(n.MaxConnWindow, n.InitialConnWindow)
	if n.ActiveConnIDLimit < 2 {
		n.ActiveConnIDLimit = 2
	}
	if n.MaxIncomingStreams == 0 {
		n.MaxIncomingStreams = defaultMaxStreams
	}
	if n.MaxIncomingUniStreams == 0 {
		n.MaxIncomingUniStreams = defaultMaxStreams
	}
	n.MaxIncomingStreams = max(n.MaxIncomingStreams, 0)
	n.MaxIncomingUniStreams = max(n.MaxIncomingUniStreams, 0)
	if n.MaxStreamWriteBuffer <= 0 {
		n.MaxStreamWriteBuffer = defaultWriteBuffer
	}
	switch {
	case n.ConnIDLen == 0:
		n.ConnIDLen = defaultConnIDLen
	case n.ConnIDLen < 0:
		n.ConnIDLen = 0
	case n.ConnIDLen > MaxConnIDLen:
		return nil, errors.New("quicproto: ConnIDLen above 20")
	}
	if n.MaxDatagramSize == 0 {
		n.MaxDatagramSize = defaultDatagramSize
	}
	if n.MaxDatagramSize < minInitialDatagram {
		return nil, errors.New("quicproto: MaxDatagramSize below 1200")
	}
	switch n.Version {
	case 0:
		n.Version = Version1
	case Version1, Version2:
	default:
		return nil, errors.New("quicproto: unsupported QUIC version")
	}
	return &n, nil
}
