package quic

import (
	"context"

	"github.com/h3wasi/h3wasi/internal/quicproto"
)

// newStream wraps a core stream; the caller holds t.mu.
func (c *Conn) newStream(cs *quicproto.Stream) *stream {
	s := &stream{c: c, cs: cs, id: cs.ID(),
		readReady: make(chan struct{}, 1), writeReady: make(chan struct{}, 1)}
	c.streams[s.id] = s
	if len(c.streams) >= c.sweepAt {
		c.sweepStreams()
	}
	return s
}

// sweepStreams forgets the wrappers of streams the core retired. Streams often finish
// without a call that would notice (the FIN we sent is acknowledged later), so the map is
// swept whenever it doubled since the last sweep: amortised O(1) per stream.
func (c *Conn) sweepStreams() {
	for id := range c.streams {
		if c.core.Stream(id) == nil {
			delete(c.streams, id)
		}
	}
	c.sweepAt = max(64, 2*len(c.streams))
}

// dropIfRetired forgets the wrapper of a stream the core retired (both directions done),
// so long-lived connections do not accumulate them. The caller holds t.mu.
func (c *Conn) dropIfRetired(s *stream) {
	if c.core.Stream(s.id) == nil {
		delete(c.streams, s.id)
	}
}

// open opens a local stream without waiting.
func (c *Conn) open(uni bool) (*stream, error) {
	t := c.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := c.err(); err != nil {
		return nil, err
	}
	cs, ok := c.core.OpenStream(uni)
	if !ok {
		// The core queued STREAMS_BLOCKED; send it.
		c.flush(t.now())
		return nil, ErrStreamLimitReached
	}
	return c.newStream(cs), nil
}

// openSync opens a local stream, waiting for the peer to allow one.
func (c *Conn) openSync(ctx context.Context, uni bool) (*stream, error) {
	// Before the handshake of an early connection the peer's limits are unknown; they
	// come with the handshake, which raises no EventStreamsAvailable.
	handshake := c.handshakeDone
	ready := c.openReady
	if uni {
		ready = c.openUniReady
	}
	for {
		s, err := c.open(uni)
		if err != ErrStreamLimitReached {
			if err == nil {
				// One raised limit may admit several openers but signals
				// once: pass the wake-up on to the next one, as accept does.
				signal(ready)
			}
			return s, err
		}
		select {
		case <-ready:
		case <-handshake:
			handshake = nil
		case <-c.ctx.Done():
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// accept returns the next stream the peer opened.
func (c *Conn) accept(ctx context.Context, uni bool) (*stream, error) {
	t := c.t
	q, ready := &c.acceptBidi, c.bidiReady
	if uni {
		q, ready = &c.acceptUni, c.uniReady
	}
	for {
		t.mu.Lock()
		if len(*q) > 0 {
			s := (*q)[0]
			(*q)[0] = nil
			*q = (*q)[1:]
			if len(*q) > 0 {
				signal(ready) // pass the wake-up on to the next acceptor
			}
			t.mu.Unlock()
			return s, nil
		}
		err := c.err()
		t.mu.Unlock()
		if err != nil {
			return nil, err
		}
		select {
		case <-ready:
		case <-c.ctx.Done():
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// OpenStream opens a bidirectional stream, failing with ErrStreamLimitReached when the
// peer's limit is reached.
func (c *Conn) OpenStream() (*Stream, error) {
	s, err := c.open(false)
	if err != nil {
		return nil, err
	}
	return s.bidi(), nil
}

// OpenStreamSync opens a bidirectional stream, waiting for the peer to allow one.
func (c *Conn) OpenStreamSync(ctx context.Context) (*Stream, error) {
	s, err := c.openSync(ctx, false)
	if err != nil {
		return nil, err
	}
	return s.bidi(), nil
}

// OpenUniStream opens a unidirectional stream, failing with ErrStreamLimitReached when
// the peer's limit is reached.
func (c *Conn) OpenUniStream() (*SendStream, error) {
	s, err := c.open(true)
	if err != nil {
		return nil, err
	}
	return &SendStream{sendHalf{s}}, nil
}

// OpenUniStreamSync opens a unidirectional stream, waiting for the peer to allow one.
func (c *Conn) OpenUniStreamSync(ctx context.Context) (*SendStream, error) {
	s, err := c.openSync(ctx, true)
	if err != nil {
		return nil, err
	}
	return &SendStream{sendHalf{s}}, nil
}

// AcceptStream returns the next bidirectional stream the peer opened.
func (c *Conn) AcceptStream(ctx context.Context) (*Stream, error) {
	s, err := c.accept(ctx, false)
	if err != nil {
		return nil, err
	}
	return s.bidi(), nil
}

// AcceptUniStream returns the next unidirectional stream the peer opened.
func (c *Conn) AcceptUniStream(ctx context.Context) (*ReceiveStream, error) {
	s, err := c.accept(ctx, true)
	if err != nil {
		return nil, err
	}
	return &ReceiveStream{recvHalf{s}}, nil
}
