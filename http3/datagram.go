package http3

import (
	"context"
	"errors"
	"net/http"
	"sync"

	"github.com/h3wasi/h3wasi/internal/quicwire"
	"github.com/h3wasi/h3wasi/quic"
)

// datagramQueueLen bounds the datagrams held for one request stream that its
// reader has not taken: datagrams are unreliable, so the oldest are dropped.
const datagramQueueLen = 64

// ErrDatagramsNotSupported: HTTP datagrams (RFC 9297) were not enabled on both
// sides of the connection (Server.EnableDatagrams or Transport.EnableDatagrams, and
// the peer's SETTINGS_H3_DATAGRAM and QUIC datagram support).
var ErrDatagramsNotSupported = errors.New("http3: HTTP datagrams not supported on this connection")

// Datagrams sends and receives the HTTP datagrams (RFC 9297) of one request
// stream, carried in QUIC DATAGRAM frames: each is delivered at most once, in any
// order, or not at all. It is safe for concurrent use.
type Datagrams struct {
	c        *conn
	streamID uint64
	q        *datagramQueue
	ctx      context.Context // the stream's: receiving ends with it
}

// Send sends p as one datagram; p is copied. It fails with quic.ErrDatagramTooLarge
// when p does not fit in a packet.
func (d *Datagrams) Send(p []byte) error {
	b := make([]byte, 0, 8+len(p))
	b = quicwire.AppendVarint(b, d.streamID/4)
	b = append(b, p...)
	return d.c.qc.SendDatagram(b)
}

// Receive returns the next datagram of the stream. It fails when ctx ends, or
// when the stream or the connection ended.
func (d *Datagrams) Receive(ctx context.Context) ([]byte, error) {
	return d.q.pop(ctx, d.ctx)
}

// HandlerDatagrams returns the datagrams of the request a handler is serving;
// w must be the http.ResponseWriter the Server passed to the handler.
func HandlerDatagrams(w http.ResponseWriter) (*Datagrams, error) {
	rw, ok := w.(*responseWriter)
	if !ok {
		return nil, errors.New("http3: HandlerDatagrams needs the ResponseWriter of an http3.Server")
	}
	return rw.sc.c.datagrams(rw.str)
}

// ResponseDatagrams returns the datagrams of the request stream of a response
// received from a Transport (for example after an extended CONNECT, RFC 9220 and
// RFC 9298). They can be used until the response body is closed.
func ResponseDatagrams(resp *http.Response) (*Datagrams, error) {
	var rb *responseBody
	switch b := resp.Body.(type) {
	case *responseBody:
		rb = b
	case *gzipBody:
		rb = b.body
	default:
		return nil, errors.New("http3: ResponseDatagrams needs a response of an http3.Transport")
	}
	return rb.cs.cc.c.datagrams(rb.cs.str)
}

// datagrams opens the datagram flow of a request stream, starting the
// connection's datagram reader on first use.
func (c *conn) datagrams(str *quic.Stream) (*Datagrams, error) {
	if !c.cfg.datagrams || !c.qc.ConnectionState().SupportsDatagrams {
		return nil, ErrDatagramsNotSupported
	}
	select {
	case <-c.settingsCh:
	case <-str.Context().Done():
		return nil, context.Cause(str.Context())
	}
	if p, _ := c.peer(); !p.datagrams {
		return nil, ErrDatagramsNotSupported
	}
	id := uint64(str.StreamID())
	c.dgMu.Lock()
	if c.dgQueues == nil {
		c.dgQueues = make(map[uint64]*datagramQueue)
		go c.readDatagrams()
	}
	q := c.dgQueues[id]
	if q == nil {
		q = newDatagramQueue()
		c.dgQueues[id] = q
		context.AfterFunc(str.Context(), func() { c.dropDatagramQueue(id) })
	}
	c.dgMu.Unlock()
	return &Datagrams{c: c, streamID: id, q: q, ctx: str.Context()}, nil
}

func (c *conn) dropDatagramQueue(id uint64) {
	c.dgMu.Lock()
	delete(c.dgQueues, id)
	c.dgMu.Unlock()
}

// readDatagrams dispatches the connection's datagrams to their streams' queues by
// their Quarter Stream ID (RFC 9297 section 2.1). Datagrams for streams no one
// listens to are dropped, as section 2.1 allows.
func (c *conn) readDatagrams() {
	for {
		b, err := c.qc.ReceiveDatagram(context.Background())
		if err != nil {
			return
		}
		qid, n, err := quicwire.ParseVarint(b)
		if err != nil {
			c.closeWithError(connErrorf(ErrCodeDatagramError, "datagram without a Quarter Stream ID"))
			return
		}
		if qid >= 1<<60 {
			c.closeWithError(connErrorf(ErrCodeDatagramError, "Quarter Stream ID %d beyond any request stream", qid))
			return
		}
		c.dgMu.Lock()
		q := c.dgQueues[qid*4]
		c.dgMu.Unlock()
		if q != nil {
			q.push(b[n:])
		}
	}
}

// datagramQueue holds received datagrams for one stream.
type datagramQueue struct {
	mu    sync.Mutex
	items [][]byte
	ready chan struct{} // signalled when items grows
}

func newDatagramQueue() *datagramQueue { return &datagramQueue{ready: make(chan struct{}, 1)} }

func (q *datagramQueue) push(p []byte) {
	q.mu.Lock()
	if len(q.items) == datagramQueueLen {
		q.items = q.items[1:]
	}
	q.items = append(q.items, p)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

func (q *datagramQueue) pop(ctx, streamCtx context.Context) ([]byte, error) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			p := q.items[0]
			q.items = q.items[1:]
			more := len(q.items) > 0
			q.mu.Unlock()
			if more {
				select {
				case q.ready <- struct{}{}:
				default:
				}
			}
			return p, nil
		}
		q.mu.Unlock()
		select {
		case <-q.ready:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case <-streamCtx.Done():
			return nil, fromQUIC(context.Cause(streamCtx))
		}
	}
}
