package quic

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"time"
	"weak"

	"github.com/h3wasi/h3wasi/internal/quicproto"
)

// Conn is a QUIC connection. Its methods are safe for concurrent use.
type Conn struct {
	t        *Transport
	core     *quicproto.Conn
	ep       *quicproto.Endpoint
	isServer bool
	// ln is the Listener of a server connection not yet queued for Accept: it is queued
	// once the handshake is done, or for an early Listener once the ClientHello was
	// processed (then ln is nil).
	ln     *Listener
	tracer func(TraceEvent)
	logger *slog.Logger

	timer *time.Timer
	armed int64 // the deadline the timer is set for (0: stopped)
	// deferredAt is when data written with WriteDeferred must be sent at the
	// latest (0: none waiting).
	deferredAt int64
	forgotten  bool // removed from the transport; the core is no longer driven
	// flushing: a writer yields before it flushes (flushSmall); writes made meanwhile
	// leave with its flush.
	flushing bool
	// replying counts down the batches of received datagrams after the application
	// wrote (from replyBatches): while it is not zero, the application's answers to a
	// batch may carry the acknowledgements (releaseAcks); a connection that only
	// receives (a bulk download) acknowledges at once.
	replying int

	handshakeDone chan struct{}
	ctx           context.Context
	cancel        context.CancelCauseFunc
	closeErr      error // why the connection ended (nil while open)

	streams    map[quicproto.StreamID]*stream
	sweepAt    int       // len(streams) that triggers the next sweep of retired streams
	lowSpace   []*stream // writable streams whose writers wait for more space
	acceptBidi []*stream
	acceptUni  []*stream
	bidiReady  chan struct{} // signalled when acceptBidi grows
	uniReady   chan struct{} // signalled when acceptUni grows
	// openReady and openUniReady are signalled when the peer raises a stream limit.
	openReady, openUniReady chan struct{}
	dgrams                  [][]byte      // received datagrams not yet read
	dgramReady              chan struct{} // signalled when dgrams grows
	// streamCtxs holds the contexts made by Stream.Context weakly, to cancel them when
	// the connection ends; ctxSweepAt is the size that triggers the next sweep of the
	// collected ones (see stream_ctx.go).
	streamCtxs map[weak.Pointer[streamCtx]]struct{}
	ctxSweepAt int

	// ownsTransport: the connection came from DialAddr, so its end closes the transport.
	ownsTransport bool
	peerAP        netip.AddrPort // cache for netAddr
	peerNet       net.Addr
}

// newConn wraps a core connection; the caller holds t.mu.
func (t *Transport) newConn(core *quicproto.Conn, ep *quicproto.Endpoint, conf *Config, peer net.Addr) *Conn {
	c := &Conn{
		t: t, core: core, ep: ep, isServer: core.IsServer(),
		tracer: conf.tracer(), logger: conf.logger(),
		handshakeDone: make(chan struct{}),
		bidiReady:     make(chan struct{}, 1),
		uniReady:      make(chan struct{}, 1),
		openReady:     make(chan struct{}, 1),
		openUniReady:  make(chan struct{}, 1),
		dgramReady:    make(chan struct{}, 1),
		streams:       make(map[quicproto.StreamID]*stream),
		sweepAt:       64,
		ctxSweepAt:    64,
	}
	c.ctx, c.cancel = context.WithCancelCause(context.Background())
	c.timer = time.AfterFunc(time.Hour, c.onTimer)
	c.timer.Stop()
	if peer != nil {
		c.peerAP, c.peerNet = core.RemoteAddr(), peer
	}
	t.conns[core] = c
	c.trace(TraceConnStarted, 0, 0, nil)
	if c.logger != nil {
		c.logger.Debug("quic: connection started", slog.Bool("server", c.isServer),
			slog.String("peer", core.RemoteAddr().String()))
	}
	return c
}

// signal wakes one waiter of ch without blocking (ch has capacity 1).
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// flush runs after any input to the core (datagram, timeout, application call): it
// dispatches the core's events, sends every datagram the core has, and re-arms the timer.
// The caller holds t.mu.
func (c *Conn) flush(now int64) {
	if c.forgotten {
		return
	}
	t := c.t
	prev := t.cur
	t.cur = c
	defer func() { t.cur = prev }()
	c.handleEvents()
	c.drainSend(now)
	c.deferredAt = 0
	c.handleEvents()
	if c.core.Done() {
		t.forget(c)
		return
	}
	c.arm(now)
}

// replyBatches is how many batches of received datagrams after a write still have
// their acknowledgements held for the application's answers.
const replyBatches = 8

// smallWrite is the size up to which a write that fits in the send buffer is sent by
// flushSmall: a write that does not fill a packet.
const smallWrite = maxDatagramSize

// flushSmall sends a small write after one turn of the scheduler, together with what
// the connection's other writers wrote meanwhile: when many goroutines answer at once
// (the handlers of requests that arrived together, the readers of their responses), their
// writes then share packets instead of taking one each. A lone writer waits for nothing:
// with no other goroutine ready to run, the scheduler's turn is immediate. A write made
// while another writer waits for its turn leaves with that writer's flush. Before the
// handshake completes, writes are sent at once. The caller holds t.mu; flushSmall
// releases it.
func (c *Conn) flushSmall() {
	t := c.t
	if c.flushing {
		t.mu.Unlock()
		return
	}
	if !c.core.HandshakeComplete() {
		// Early data goes at once, in 0-RTT packets if it can.
		c.flush(t.now())
		t.mu.Unlock()
		return
	}
	c.flushing = true
	t.mu.Unlock()
	runtime.Gosched()
	t.mu.Lock()
	c.flushing = false
	c.flush(t.now())
	t.mu.Unlock()
}

// sendWritten sends the data written but not yet sent (WriteDeferred, or a small
// write waiting in flushSmall) before the connection closes; the caller holds t.mu.
func (c *Conn) sendWritten(now int64) {
	if c.flushing || c.deferredAt != 0 {
		c.flush(now)
	}
}

// DeferredWriteDelay bounds how long data written with WriteDeferred waits for a
// packet to share.
const DeferredWriteDelay = time.Millisecond

// deferFlush makes sure deferred data is sent within DeferredWriteDelay; the
// caller holds t.mu.
func (c *Conn) deferFlush(now int64) {
	if c.forgotten || c.deferredAt != 0 {
		return
	}
	c.deferredAt = now + int64(DeferredWriteDelay)
	c.arm(now)
}

// arm sets the connection's one timer to the core's deadline, or to the deadline
// of deferred writes if that is earlier.
func (c *Conn) arm(now int64) {
	d := c.core.Deadline()
	if c.deferredAt != 0 && (d == 0 || c.deferredAt < d) {
		d = c.deferredAt
	}
	if d == c.armed {
		return
	}
	c.armed = d
	if d == 0 {
		c.timer.Stop()
		return
	}
	c.timer.Reset(time.Duration(d - now))
}

// onTimer runs the core's expired timers.
func (c *Conn) onTimer() {
	t := c.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if c.forgotten {
		return
	}
	now := t.now()
	c.armed = 0
	if d := c.core.Deadline(); d != 0 && d <= now {
		t.cur = c
		c.core.HandleTimeout(now)
	}
	c.flush(now)
}

// handleEvents turns the core's events into wake-ups.
func (c *Conn) handleEvents() {
	for {
		ev, ok := c.core.NextEvent()
		if !ok {
			c.checkLowSpace()
			if c.ln != nil && c.ln.early && c.core.HelloDone() && c.closeErr == nil {
				c.queue()
			}
			return
		}
		switch ev.Kind {
		case quicproto.EventHandshakeDone:
			c.onHandshakeDone()
		case quicproto.EventStreamOpened:
			c.onStreamOpened(ev.Stream)
		case quicproto.EventStreamReadable:
			if s := c.streams[ev.Stream]; s != nil {
				s.checkPeerAbort()
				signal(s.readReady)
			}
		case quicproto.EventStreamWritable:
			if s := c.streams[ev.Stream]; s != nil {
				s.checkPeerAbort()
				if !s.lowSpace {
					// Wake the writer once enough space is free (checkLowSpace).
					s.lowSpace = true
					c.lowSpace = append(c.lowSpace, s)
				}
			}
		case quicproto.EventStreamsAvailable:
			signal(c.openReady)
			signal(c.openUniReady)
		case quicproto.Event0RTTRejected:
			c.on0RTTRejected()
		case quicproto.EventDatagram:
			c.onDatagram(ev.Data)
		case quicproto.EventClosed:
			c.onClosed(ev.Err)
		}
	}
}

// checkLowSpace wakes the writers whose streams now have enough free send buffer. The
// core reports a stream writable once, as soon as one acknowledgement frees some space;
// waking the writer then would cost a goroutine switch per acknowledgement, so the
// driver keeps watching until writeWanted says the wake-up is worth it.
func (c *Conn) checkLowSpace() {
	keep := c.lowSpace[:0]
	for _, s := range c.lowSpace {
		if s.writeWanted() || c.closeErr != nil {
			s.lowSpace = false
			signal(s.writeReady)
		} else {
			keep = append(keep, s)
		}
	}
	clear(c.lowSpace[len(keep):])
	c.lowSpace = keep
}

// on0RTTRejected fails the streams opened before the handshake: the core dropped them
// (RFC 9001 section 4.6.2).
func (c *Conn) on0RTTRejected() {
	for id, s := range c.streams {
		if s.readErr == nil {
			s.readErr = Err0RTTRejected
		}
		if s.writeErr == nil || s.writeErr == errWriteClosed {
			s.writeErr = Err0RTTRejected
		}
		s.abort(Err0RTTRejected)
		signal(s.readReady)
		signal(s.writeReady)
		delete(c.streams, id)
	}
}

// HandshakeComplete returns a channel closed when the handshake completed.
func (c *Conn) HandshakeComplete() <-chan struct{} { return c.handshakeDone }

func (c *Conn) onHandshakeDone() {
	select {
	case <-c.handshakeDone:
		return
	default:
	}
	close(c.handshakeDone)
	c.trace(TraceHandshakeDone, 0, 0, nil)
	if c.ln != nil {
		c.queue()
	}
}

// queue hands a server connection to its Listener's Accept, once.
func (c *Conn) queue() {
	ln := c.ln
	c.ln = nil
	ln.enqueue(c)
}

func (c *Conn) onStreamOpened(id quicproto.StreamID) {
	cs := c.core.Stream(id)
	if cs == nil || c.streams[id] != nil {
		return
	}
	s := c.newStream(cs)
	c.trace(TraceStreamAccepted, 0, int64(id), nil)
	if id.IsUni() {
		c.acceptUni = append(c.acceptUni, s)
		signal(c.uniReady)
	} else {
		c.acceptBidi = append(c.acceptBidi, s)
		signal(c.bidiReady)
	}
}

func (c *Conn) onClosed(err error) {
	if c.closeErr == nil {
		c.closeErr = publicErr(err)
	}
	c.cancel(c.closeErr)
	c.endStreamCtxs(c.closeErr)
	c.trace(TraceConnClosed, 0, 0, c.closeErr)
	if c.logger != nil {
		c.logger.Debug("quic: connection closed", slog.Bool("server", c.isServer), slog.Any("err", c.closeErr))
	}
}

// netAddr returns a net.Addr for to, cached so that sockets without WriteToUDPAddrPort
// do not allocate an address per datagram.
func (c *Conn) netAddr(to netip.AddrPort) net.Addr {
	if c.peerNet == nil || to != c.peerAP {
		c.peerAP, c.peerNet = to, net.UDPAddrFromAddrPort(to)
	}
	return c.peerNet
}

// Context returns a context that is done when the connection ends; context.Cause gives
// the reason.
func (c *Conn) Context() context.Context { return c.ctx }

// ConnectionState is the negotiated state of a connection.
type ConnectionState struct {
	// TLS is the TLS connection state: negotiated protocol (ALPN), cipher suite, peer
	// certificates...
	TLS tls.ConnectionState
	// Version is the QUIC version in use: 1 (RFC 9000) or 0x6b3343cf (QUIC v2,
	// RFC 9369).
	Version uint32
	// Used0RTT reports whether 0-RTT data was accepted on this connection: on a
	// client, that the server accepted the early data we sent (known once the
	// handshake completed); on a server, that we accepted the client's.
	Used0RTT bool
	// SupportsDatagrams reports whether both sides enabled unreliable datagrams
	// (RFC 9221, Config.EnableDatagrams); known once the peer's transport parameters
	// arrived, false before.
	SupportsDatagrams bool
}

// ConnectionState returns the connection's negotiated state.
func (c *Conn) ConnectionState() ConnectionState {
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	return ConnectionState{TLS: c.core.TLSState(), Version: c.core.Version(), Used0RTT: c.core.Used0RTT(),
		SupportsDatagrams: c.core.DatagramsEnabled()}
}

// LocalAddr returns the address of the transport's socket.
func (c *Conn) LocalAddr() net.Addr { return c.t.Conn.LocalAddr() }

// RemoteAddr returns the peer's address.
func (c *Conn) RemoteAddr() net.Addr {
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	return net.UDPAddrFromAddrPort(c.core.RemoteAddr())
}

// CloseWithError closes the connection with an application error code and reason; the
// peer sees an *ApplicationError with Remote set. Open streams fail with the same error.
func (c *Conn) CloseWithError(code ApplicationErrorCode, reason string) error {
	t := c.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if c.forgotten {
		return nil
	}
	now := t.now()
	c.sendWritten(now)
	c.core.CloseWithError(now, code, reason)
	c.flush(now)
	if c.ownsTransport {
		// The CONNECTION_CLOSE is out; nobody else uses the socket, so the closing
		// period (which would only repeat it) is skipped.
		t.closeLocked(ErrTransportClosed)
	}
	return nil
}

// err returns why the connection ended, or nil while it is open; the caller holds t.mu.
func (c *Conn) err() error {
	if c.closeErr != nil {
		return c.closeErr
	}
	if c.forgotten {
		return ErrTransportClosed
	}
	return nil
}
