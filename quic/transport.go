package quic

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/h3wasi/h3wasi/internal/quicproto"
)

// Transport runs QUIC over one datagram socket: it may listen (one Listener) and dial any
// number of connections at once. The zero value with Conn set is ready; the socket is
// owned by the Transport from the first Listen or Dial on (Close closes it).
type Transport struct {
	// Conn is the socket: a *net.UDPConn, a netsim endpoint, a wasi socket, or any
	// net.PacketConn. Sockets that also have ReadFromUDPAddrPort and WriteToUDPAddrPort
	// (as all three do) are driven without allocating per datagram.
	Conn net.PacketConn

	mu       sync.Mutex // guards everything below and every connection's core state
	started  bool
	closed   bool
	closeErr error
	epoch    time.Time
	apc      addrPortConn
	gso      segmentWriter // segmentation offload, when the socket has it
	gro      *gro          // receive offload, when the socket has it
	nbr      NonblockingReader
	server   *quicproto.Endpoint
	ln       *Listener
	clients  []clientEndpoint
	conns    map[*quicproto.Conn]*Conn
	sendBuf  []byte
	loopDone chan struct{}
	// cur is the connection the driver is running (for packet tracing); curFrom the
	// source of the datagram being routed.
	cur     *Conn
	curFrom netip.AddrPort
	// rand replaces crypto/rand as the cores' randomness (tests and fuzzing only).
	rand io.Reader
}

// addrPortConn is a socket with allocation-free reads and writes (*net.UDPConn,
// netsim.Endpoint, wasi sockets).
type addrPortConn interface {
	ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error)
	WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error)
}

// clientEndpoint is the core endpoint of the connections dialed with one configuration:
// the core binds a TLS configuration to an endpoint, so each distinct (tls.Config,
// Config) pair in use gets its own, all sharing the socket.
type clientEndpoint struct {
	tls  *tls.Config
	sni  string // the ServerName filled in when tls has none
	conf *Config
	ep   *quicproto.Endpoint
}

// Sizes of the driver's buffers.
const (
	maxDatagramSize = 1452  // the most Config.MaxDatagramSize allows; buffers hold this
	recvBufferSize  = 65536 // the largest UDP payload, so nothing is truncated
)

// start initialises the transport on first use and starts its read loop.
func (t *Transport) start() error {
	if t.closed {
		return ErrTransportClosed
	}
	if t.started {
		return nil
	}
	if t.Conn == nil {
		return errors.New("quic: Transport.Conn is nil")
	}
	t.started = true
	t.epoch = time.Now()
	t.apc, _ = t.Conn.(addrPortConn)
	t.conns = make(map[*quicproto.Conn]*Conn)
	t.gso = newSegmentWriter(t.Conn)
	t.sendBuf = getBuf()
	t.gro = newGRO(t.Conn)
	if t.gro == nil {
		t.nbr, _ = t.Conn.(NonblockingReader)
	}
	t.loopDone = make(chan struct{})
	go t.readLoop()
	return nil
}

// now is the core's clock: nanoseconds of the monotonic clock since the transport started.
func (t *Transport) now() int64 { return int64(time.Since(t.epoch)) }

// Listen starts accepting connections with tlsConf (which must hold a certificate and
// NextProtos). A Transport has at most one Listener.
func (t *Transport) Listen(tlsConf *tls.Config, conf *Config) (*Listener, error) {
	return t.listen(tlsConf, conf, false)
}

// ListenEarly is Listen for a Listener whose Accept returns each connection before its
// handshake completes: as soon as the client's ClientHello was processed, with its
// 0-RTT keys when conf.Allow0RTT let us accept the client's 0-RTT data. The streams the
// client opened in 0-RTT can then be accepted and read at once (0-RTT data can be
// replayed by an attacker: act only on idempotent requests before the handshake
// completes). Data the server writes before the handshake completes is sent once it
// has (in 1-RTT packets, when the client's Finished has arrived). Conn.HandshakeComplete
// tells when that is; a handshake that fails after Accept ends the connection (its
// Context) with the error.
func (t *Transport) ListenEarly(tlsConf *tls.Config, conf *Config) (*Listener, error) {
	return t.listen(tlsConf, conf, true)
}

func (t *Transport) listen(tlsConf *tls.Config, conf *Config, early bool) (*Listener, error) {
	cc, err := conf.coreConfig(tlsConf)
	if err != nil {
		return nil, err
	}
	if t.rand != nil {
		cc.Rand = t.rand
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.start(); err != nil {
		return nil, err
	}
	if t.ln != nil {
		return nil, errors.New("quic: Transport already has a Listener")
	}
	t.withTracer(cc, conf, true)
	ep, err := quicproto.NewEndpoint(quicproto.EndpointConfig{Conn: cc, Server: true, MaxConns: conf.maxConns(),
		RequireRetry: conf.requireRetry()})
	if err != nil {
		return nil, err
	}
	t.server = ep
	t.ln = &Listener{t: t, conf: conf, ready: make(chan struct{}, 1), early: early}
	return t.ln, nil
}

// Dial connects to addr and returns once the handshake completed, or fails with the
// connection's error or ctx's.
func (t *Transport) Dial(ctx context.Context, addr net.Addr, tlsConf *tls.Config, conf *Config) (*Conn, error) {
	c, err := t.dial(addr, tlsConf, conf)
	if err != nil {
		return nil, err
	}
	select {
	case <-c.handshakeDone:
		return c, nil
	case <-c.ctx.Done():
		return nil, context.Cause(c.ctx)
	case <-ctx.Done():
		c.CloseWithError(0, "")
		return nil, ctx.Err()
	}
}

// DialEarly connects to addr and returns as soon as the first flight is out, without
// waiting for the handshake. When tlsConf.ClientSessionCache holds a session that allows
// 0-RTT (and conf.Allow0RTT is set), streams opened and written before the handshake
// completes travel as 0-RTT data; otherwise they wait for the handshake. If the server
// rejects the 0-RTT data, those streams fail with Err0RTTRejected and the application
// opens new ones. Conn.HandshakeComplete tells when the handshake is done.
func (t *Transport) DialEarly(ctx context.Context, addr net.Addr, tlsConf *tls.Config, conf *Config) (*Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return t.dial(addr, tlsConf, conf)
}

// dial creates a client connection and sends its first flight.
func (t *Transport) dial(addr net.Addr, tlsConf *tls.Config, conf *Config) (*Conn, error) {
	ap, err := addrPortOf(addr)
	if err != nil {
		return nil, err
	}
	sni := ""
	if tlsConf != nil && tlsConf.ServerName == "" && !tlsConf.InsecureSkipVerify {
		// Like crypto/tls.Dial: verify the certificate against the host dialed.
		sni = ap.Addr().String()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.start(); err != nil {
		return nil, err
	}
	ep, err := t.clientEndpoint(tlsConf, sni, conf)
	if err != nil {
		return nil, err
	}
	now := t.now()
	core, err := ep.Dial(now, ap)
	if err != nil {
		return nil, err
	}
	c := t.newConn(core, ep, conf, addr)
	c.flush(now)
	return c, nil
}

// clientEndpoint returns the endpoint of the connections dialed with this configuration.
func (t *Transport) clientEndpoint(tlsConf *tls.Config, sni string, conf *Config) (*quicproto.Endpoint, error) {
	for _, ce := range t.clients {
		if ce.tls == tlsConf && ce.sni == sni && ce.conf == conf {
			return ce.ep, nil
		}
	}
	orig := tlsConf
	if sni != "" {
		tlsConf = tlsConf.Clone()
		tlsConf.ServerName = sni
	}
	cc, err := conf.coreConfig(tlsConf)
	if err != nil {
		return nil, err
	}
	if t.rand != nil {
		cc.Rand = t.rand
	}
	t.withTracer(cc, conf, false)
	// No stateless resets from a client endpoint: the server endpoint (if any) sends
	// them, and a client endpoint must stay silent about datagrams that are not its own.
	ep, err := quicproto.NewEndpoint(quicproto.EndpointConfig{Conn: cc, StatelessResetRate: -1})
	if err != nil {
		return nil, err
	}
	t.clients = append(t.clients, clientEndpoint{tls: orig, sni: sni, conf: conf, ep: ep})
	return ep, nil
}

// readLoop is the transport's goroutine: it reads datagrams, hands each to its
// connection, and then lets every connection that received something send; an
// acknowledgement that would leave alone first waits one scheduler turn for the
// application's answers (releaseAcks).
func (t *Transport) readLoop() {
	defer close(t.loopDone)
	buf := getBuf()
	defer putBuf(buf)
	var touched, held []*Conn
	var batch []received
	for {
		n, seg, from, err := t.read(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue // somebody set a read deadline on our socket
			}
			t.mu.Lock()
			t.closeLocked(err)
			t.mu.Unlock()
			return
		}
		if seg <= 0 || seg > n {
			seg = n
		}
		batch = append(batch[:0], received{0, n, seg, from})
		if t.nbr != nil {
			batch = t.drainQueued(buf, n, batch)
		}
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			return
		}
		now := t.now()
		for _, r := range batch {
			for off := r.off; off < r.off+r.n; off += r.seg {
				c := t.route(now, r.from, buf[off:min(off+r.seg, r.off+r.n)])
				if c != nil && (len(touched) == 0 || touched[len(touched)-1] != c) {
					touched = append(touched, c)
				}
			}
		}
		for i, c := range touched {
			if i == 0 || !slices.Contains(touched[:i], c) {
				if c.replying == 0 {
					c.flush(now)
				} else if c.replying--; c.holdAcks(now) {
					held = append(held, c)
				}
			}
			touched[i] = nil
		}
		touched = touched[:0]
		t.mu.Unlock()
		if len(held) > 0 {
			held = t.releaseAcks(held)
		}
	}
}

// holdAcks flushes c after a batch of datagrams, holding back an acknowledgement that
// would leave alone (see releaseAcks); it reports whether one was held.
func (c *Conn) holdAcks(now int64) bool {
	c.core.HoldAcks()
	c.flush(now)
	if !c.forgotten && c.core.AckHeld(now) {
		return true
	}
	c.core.ReleaseAcks()
	return false
}

// releaseAcks sends the acknowledgements held after a batch of datagrams (see
// quicproto.Conn.HoldAcks), after one turn of the scheduler: the goroutines the batch
// woke run first, and the replies they write carry the acknowledgements, which then
// need no packet of their own. It returns held emptied.
func (t *Transport) releaseAcks(held []*Conn) []*Conn {
	runtime.Gosched()
	t.mu.Lock()
	now := t.now()
	for i, c := range held {
		c.core.ReleaseAcks()
		c.flush(now)
		held[i] = nil
	}
	t.mu.Unlock()
	return held[:0]
}

// read reads one datagram, or a run of datagrams of seg bytes each (receive offload),
// and the source address, unmapped so that addresses compare equal whatever the
// socket's family.
func (t *Transport) read(buf []byte) (n, seg int, from netip.AddrPort, err error) {
	switch {
	case t.gro != nil:
		n, seg, from, err = t.gro.read(buf)
	case t.apc != nil:
		n, from, err = t.apc.ReadFromUDPAddrPort(buf)
	default:
		var addr net.Addr
		if n, addr, err = t.Conn.ReadFrom(buf); err == nil {
			if from, err = addrPortOf(addr); err != nil {
				return 0, 0, from, nil // unusable source: an empty datagram is ignored
			}
		}
	}
	return n, seg, netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), err
}

// route hands one datagram to a dialed connection, else to the server endpoint, which
// may create a connection. It returns the connection that took it, if any.
func (t *Transport) route(now int64, from netip.AddrPort, b []byte) *Conn {
	if len(b) == 0 {
		return nil
	}
	t.cur, t.curFrom = nil, from
	var core *quicproto.Conn
	for i := range t.clients {
		if core = t.clients[i].ep.Route(now, from, b); core != nil {
			break
		}
	}
	if core == nil && t.server != nil {
		core = t.server.Route(now, from, b)
		t.acceptNew(now)
		for {
			n, to, ok := t.server.SendStateless(t.sendBuf[:maxDatagramSize])
			if !ok {
				break
			}
			t.writeTo(t.sendBuf[:n], to, nil)
		}
	}
	if core == nil {
		return nil
	}
	c := t.conns[core]
	if c != nil {
		c.trace(TraceDatagramReceived, len(b), 0, nil)
	}
	return c
}

// acceptNew wraps the server connections the endpoint created.
func (t *Transport) acceptNew(now int64) {
	for {
		core, ok := t.server.Accept()
		if !ok {
			return
		}
		c := t.newConn(core, t.server, t.ln.conf, nil)
		c.ln = t.ln
		if t.ln.closed {
			core.CloseWithError(now, 0, "server closed")
		}
	}
}

// writeTo sends one datagram for c (nil for the endpoint's stateless datagrams).
func (t *Transport) writeTo(b []byte, to netip.AddrPort, c *Conn) {
	var err error
	if t.apc != nil {
		_, err = t.apc.WriteToUDPAddrPort(b, to)
	} else if c != nil {
		_, err = t.Conn.WriteTo(b, c.netAddr(to))
	} else {
		_, err = t.Conn.WriteTo(b, net.UDPAddrFromAddrPort(to))
	}
	if err != nil && c != nil && c.logger != nil {
		c.logger.Debug("quic: send failed", slog.Any("err", err))
	}
	if c != nil {
		c.trace(TraceDatagramSent, len(b), 0, nil)
	}
}

// forget drops a connection whose core is done.
func (t *Transport) forget(c *Conn) {
	if c.forgotten {
		return
	}
	c.forgotten = true
	c.timer.Stop()
	c.ep.Forget(c.core)
	delete(t.conns, c.core)
	if c.ep != t.server && c.ep.Len() == 0 {
		for i := range t.clients {
			if t.clients[i].ep == c.ep {
				t.clients = append(t.clients[:i], t.clients[i+1:]...)
				break
			}
		}
	}
	if c.ownsTransport {
		t.closeLocked(ErrTransportClosed)
	}
}

// Close closes every connection of the transport (with application error 0), its
// Listener and its socket.
func (t *Transport) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil
	}
	t.closeLocked(ErrTransportClosed)
	return nil
}

// closeLocked ends the transport: connections still open send a CONNECTION_CLOSE and
// report err, the socket closes (which ends the read loop).
func (t *Transport) closeLocked(err error) {
	if t.closed {
		return
	}
	t.closed = true
	t.closeErr = err
	now := t.now()
	for core, c := range t.conns {
		if c.closeErr == nil {
			c.closeErr = ErrTransportClosed
		}
		c.sendWritten(now)
		core.CloseWithError(now, 0, "")
		c.flush(now)
		c.forgotten = true
		c.timer.Stop()
		c.cancel(c.closeErr)
		c.endStreamCtxs(c.closeErr)
	}
	clear(t.conns)
	if t.ln != nil {
		t.ln.closeLocked()
	}
	if t.Conn != nil {
		t.Conn.Close()
	}
	putBuf(t.sendBuf) // every connection is forgotten: nothing sends any more
	t.sendBuf = nil
}

// bufPool holds the transports' 64 KiB buffers (one for receiving, one for sending),
// so that short-lived transports (DialAddr, handshake-heavy clients) reuse them.
var bufPool = sync.Pool{New: func() any { return new([recvBufferSize]byte) }}

func getBuf() []byte { return bufPool.Get().(*[recvBufferSize]byte)[:] }

func putBuf(b []byte) {
	if len(b) == recvBufferSize {
		bufPool.Put((*[recvBufferSize]byte)(b))
	}
}

// addrPortOf converts a net.Addr to an unmapped netip.AddrPort.
func addrPortOf(addr net.Addr) (netip.AddrPort, error) {
	var ap netip.AddrPort
	switch a := addr.(type) {
	case *net.UDPAddr:
		ap = a.AddrPort()
	case nil:
		return ap, errors.New("quic: nil address")
	default:
		var err error
		if ap, err = netip.ParseAddrPort(a.String()); err != nil {
			return ap, err
		}
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
}
