package quic

import (
	"crypto/rand"
	"crypto/tls"
	"errors"
	"log/slog"
	"time"

	"github.com/h3wasi/h3wasi/internal/quicproto"
)

// Config configures connections. The zero value of every field selects the default
// documented on it; a nil *Config means all defaults. A Config may be shared by many
// connections and must not be modified after it was passed to Listen or Dial.
type Config struct {
	// HandshakeIdleTimeout bounds the whole handshake. Default 10 s.
	HandshakeIdleTimeout time.Duration
	// MaxIdleTimeout closes a connection after this long without a packet from the peer
	// (the smaller of both sides' values applies, RFC 9000 section 10.1). Default 30 s.
	MaxIdleTimeout time.Duration
	// KeepAlivePeriod sends a PING when nothing was sent for this long (capped at half
	// the idle timeout). 0 disables keep-alives.
	KeepAlivePeriod time.Duration

	// MaxIncomingStreams and MaxIncomingUniStreams limit how many bidirectional and
	// unidirectional streams the peer may have open at once. Defaults 100; a negative
	// value allows none.
	MaxIncomingStreams, MaxIncomingUniStreams int64

	// InitialStreamReceiveWindow is each stream's first receive window; it auto-tunes up
	// to MaxStreamReceiveWindow. Defaults 512 KiB and 6 MiB.
	InitialStreamReceiveWindow, MaxStreamReceiveWindow uint64
	// InitialConnectionReceiveWindow and MaxConnectionReceiveWindow do the same for the
	// whole connection. Defaults 768 KiB and 15 MiB.
	InitialConnectionReceiveWindow, MaxConnectionReceiveWindow uint64

	// MaxDatagramSize is the largest UDP payload we send. Default 1350, which crosses
	// common tunnels (there is no path MTU discovery yet); at least 1200 and at most
	// 1452. 1452 suits loopback and plain Ethernet paths.
	MaxDatagramSize int

	// MaxIncomingConnections caps the server connections alive at once on a Listener;
	// Initial packets beyond it are dropped. Default 10,000.
	MaxIncomingConnections int

	// EnableDatagrams offers unreliable datagrams (RFC 9221): when the peer offers them
	// too, Conn.SendDatagram and Conn.ReceiveDatagram work.
	EnableDatagrams bool

	// Allow0RTT lets a server issue session tickets that permit 0-RTT and accept 0-RTT
	// data, and lets a client resuming such a session (tls.Config.ClientSessionCache)
	// send stream data before the handshake completes (Transport.DialEarly). 0-RTT data
	// can be replayed by an attacker: only idempotent requests belong in it.
	Allow0RTT bool

	// RequireAddressValidation makes a Listener validate every client's address with a
	// Retry round trip (RFC 9000 section 8.1.2) before it spends a handshake on it.
	RequireAddressValidation bool

	// Tracer, when set, is called for every connection event the driver sees (see
	// TraceEvent): a hook for qlog writers and metrics. It runs with the transport's
	// lock held and must not block or call back into the package.
	Tracer func(TraceEvent)

	// Logger receives debug logs of connection life cycles. Default: none.
	Logger *slog.Logger
}

// errNoALPN reports a tls.Config without NextProtos, which QUIC requires (RFC 9001 8.1).
var errNoALPN = errors.New("quic: tls.Config.NextProtos must name an application protocol")

// coreConfig converts the public configuration to the core's.
func (c *Config) coreConfig(tlsConf *tls.Config) (*quicproto.Config, error) {
	if tlsConf == nil {
		return nil, errors.New("quic: a tls.Config is required")
	}
	if len(tlsConf.NextProtos) == 0 {
		return nil, errNoALPN
	}
	if c == nil {
		c = &Config{}
	}
	size := c.MaxDatagramSize
	switch {
	case size == 0:
	case size < 1200:
		return nil, errors.New("quic: MaxDatagramSize below 1200")
	case size > maxDatagramSize:
		size = maxDatagramSize
	}
	return &quicproto.Config{
		MaxDatagramSize:       size,
		TLS:                   tlsConf,
		Rand:                  rand.Reader,
		MaxIdleTimeout:        c.MaxIdleTimeout,
		HandshakeTimeout:      c.HandshakeIdleTimeout,
		KeepAlivePeriod:       c.KeepAlivePeriod,
		InitialStreamWindow:   c.InitialStreamReceiveWindow,
		MaxStreamWindow:       c.MaxStreamReceiveWindow,
		InitialConnWindow:     c.InitialConnectionReceiveWindow,
		MaxConnWindow:         c.MaxConnectionReceiveWindow,
		MaxIncomingStreams:    c.MaxIncomingStreams,
		MaxIncomingUniStreams: c.MaxIncomingUniStreams,
		MaxDatagramFrameSize:  datagramFrameSize(c.EnableDatagrams),
		Enable0RTT:            c.Allow0RTT,
	}, nil
}

func (c *Config) tracer() func(TraceEvent) {
	if c == nil {
		return nil
	}
	return c.Tracer
}

func (c *Config) logger() *slog.Logger {
	if c == nil {
		return nil
	}
	return c.Logger
}

func (c *Config) requireRetry() bool { return c != nil && c.RequireAddressValidation }

func (c *Config) maxConns() int {
	if c == nil {
		return 0
	}
	return c.MaxIncomingConnections
}

// datagramFrameSize is the max_datagram_frame_size we advertise: any DATAGRAM frame that
// fits in a packet.
func datagramFrameSize(enabled bool) uint64 {
	if enabled {
		return 65535
	}
	return 0
}
