package quic

import (
	"context"
	"weak"

	"github.com/h3wasi/h3wasi/internal/quicproto"
)

// Stream contexts (Stream.Context). A stream's context is made on the first call only,
// so streams that never ask for one cost nothing. It is cancelled when the peer aborts
// the stream (RESET_STREAM, STOP_SENDING) or the connection ends, never when the stream
// just completes: request handlers keep using it after that.
//
// A context is not a child of the connection's context, whose list of children would
// then keep the context of every completed stream until the connection ends (memory
// growing with the number of requests on a long-lived connection). The connection
// holds the contexts weakly instead and cancels the ones still alive when it ends; a
// stream that is still live holds its context strongly.

// streamCtx is the context of one stream: a cancelCtx, wrapped so that the connection
// can hold it weakly.
type streamCtx struct {
	context.Context
	cancel context.CancelCauseFunc
}

// context returns the stream's context, making it on the first call.
func (s *stream) context() context.Context {
	t := s.c.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if s.ctx == nil {
		s.ctx = s.c.newStreamCtx(s.abortErr)
	}
	return s.ctx
}

// newStreamCtx makes a stream context, cancelled at once with abortErr when it is set
// or when the connection has ended; t.mu is held.
func (c *Conn) newStreamCtx(abortErr error) *streamCtx {
	// WithoutCancel keeps the connection context's values without its cancellation.
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(c.ctx))
	sc := &streamCtx{ctx, cancel}
	if abortErr == nil {
		abortErr = c.err()
	}
	if abortErr != nil {
		cancel(abortErr)
		return sc
	}
	if c.streamCtxs == nil {
		c.streamCtxs = make(map[weak.Pointer[streamCtx]]struct{})
	}
	c.streamCtxs[weak.Make(sc)] = struct{}{}
	if len(c.streamCtxs) >= c.ctxSweepAt {
		// Forget the contexts that were collected: amortised O(1) per context.
		for w := range c.streamCtxs {
			if w.Value() == nil {
				delete(c.streamCtxs, w)
			}
		}
		c.ctxSweepAt = max(64, 2*len(c.streamCtxs))
	}
	return sc
}

// endStreamCtxs cancels the stream contexts still alive when the connection ends with
// err; t.mu is held.
func (c *Conn) endStreamCtxs(err error) {
	for w := range c.streamCtxs {
		if sc := w.Value(); sc != nil {
			sc.cancel(err)
		}
	}
	c.streamCtxs = nil
}

// abort records why the stream ended abnormally (a *StreamError from the peer, or
// Err0RTTRejected) and cancels its context; the first reason sticks. t.mu is held.
func (s *stream) abort(err error) {
	if s.abortErr != nil {
		return
	}
	s.abortErr = err
	if s.ctx != nil {
		s.ctx.cancel(err)
	}
}

// checkPeerAbort looks for the peer's RESET_STREAM or STOP_SENDING after the core
// reported the stream readable or writable; t.mu is held. A RESET_STREAM that answers
// our own CancelRead, and a STOP_SENDING once all our data was acknowledged or after
// our own CancelWrite, end nothing the application still waits for.
func (s *stream) checkPeerAbort() {
	if s.abortErr != nil {
		return
	}
	if code, ok := s.cs.PeerReset(); ok && !localCancel(s.readErr) {
		s.abort(&StreamError{StreamID: int64(s.id), ErrorCode: code, Remote: true})
		return
	}
	if code, ok := s.cs.Stopped(); ok && s.cs.SendState() != quicproto.SendDataRecvd && !localCancel(s.writeErr) {
		s.abort(&StreamError{StreamID: int64(s.id), ErrorCode: code, Remote: true})
	}
}

// localCancel reports whether err is the application's own CancelRead or CancelWrite.
func localCancel(err error) bool {
	se, ok := err.(*StreamError)
	return ok && !se.Remote
}

// Context returns a context derived from the connection's context (its values, not
// its cancellation) that is cancelled when the peer resets the stream (RESET_STREAM),
// stops it (STOP_SENDING, before all our data was acknowledged) or the connection
// ends; context.Cause then gives the *StreamError (Remote set) or the connection's
// error. It is not cancelled when the stream completes normally, nor by the
// application's own CancelRead or CancelWrite. The context is made on the first call.
func (h Stream) Context() context.Context { return h.sendHalf.s.context() }

// Context returns a context cancelled when the peer stops the stream (STOP_SENDING,
// before all our data was acknowledged) or the connection ends; see Stream.Context.
func (h SendStream) Context() context.Context { return h.s.context() }

// Context returns a context cancelled when the peer resets the stream (RESET_STREAM)
// or the connection ends; see Stream.Context.
func (h ReceiveStream) Context() context.Context { return h.s.context() }
