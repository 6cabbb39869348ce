package quic

import (
	"io"
	"os"
	"time"

	"github.com/h3wasi/h3wasi/internal/quicproto"
)

// StreamID is a stream's ID (RFC 9000 section 2.1): its two low bits say which side
// opened it and whether it is unidirectional.
type StreamID = int64

// stream is the driver's side of one stream: the core's stream plus the wake-up channels
// of the goroutines blocked on it. All fields are guarded by the transport's lock.
type stream struct {
	c          *Conn
	cs         *quicproto.Stream
	id         quicproto.StreamID
	readReady  chan struct{} // signalled when the core reports the stream readable
	writeReady chan struct{} // signalled when the core reports the stream writable
	readDL     time.Time
	writeDL    time.Time
	readErr    error // sticky: io.EOF, a reset, or a local CancelRead
	writeErr   error // sticky: after Close, CancelWrite or the peer's STOP_SENDING
	writeWant  int   // bytes a blocked writer still has to write (0: none blocked)
	lowSpace   bool  // in Conn.lowSpace
	// ctx is the stream's context, made by the first Context call; abortErr is why the
	// peer aborted the stream (or Err0RTTRejected), which cancels it.
	ctx      *streamCtx
	abortErr error
}

func (s *stream) bidi() *Stream { return &Stream{sendHalf{s}, recvHalf{s}} }

// read implements io.Reader: it blocks until data, the end of the stream, a reset, the
// read deadline or the end of the connection.
func (s *stream) read(p []byte) (int, error) {
	t := s.c.t
	t.mu.Lock()
	for {
		if s.readErr != nil {
			err := s.readErr
			t.mu.Unlock()
			return 0, err
		}
		if len(p) == 0 {
			t.mu.Unlock()
			return 0, nil
		}
		n, err := s.cs.Read(p)
		if err != nil {
			if ae, ok := err.(*ApplicationError); ok {
				err = &StreamError{StreamID: int64(s.id), ErrorCode: ae.Code, Remote: true}
				s.abort(err)
			}
			s.readErr = err
			s.c.dropIfRetired(s)
		}
		if n > 0 || err != nil {
			if n > 0 && s.c.core.ControlPending() {
				s.c.flush(t.now()) // flow control credit is due
			}
			t.mu.Unlock()
			return n, err
		}
		if err := s.c.err(); err != nil {
			t.mu.Unlock()
			return 0, err
		}
		dl := s.readDL
		t.mu.Unlock()
		if err := s.wait(s.readReady, dl); err != nil {
			return 0, err
		}
		t.mu.Lock()
	}
}

// write implements io.Writer: it copies p into the stream's send buffer, blocking while
// the buffer is full. With fin, the FIN is queued after the last byte and goes out with
// it: one flush sends the end of p and the FIN, in one STREAM frame when they fit.
func (s *stream) write(p []byte, fin bool) (int, error) { return s.writeMode(p, fin, false) }

// writeMode implements the writes: deferred ones leave p in the send buffer without
// sending it when it all fits (see WriteDeferred).
func (s *stream) writeMode(p []byte, fin, deferred bool) (int, error) {
	t := s.c.t
	t.mu.Lock()
	written := 0
	for {
		if s.writeErr == nil {
			if code, ok := s.cs.Stopped(); ok {
				s.checkPeerAbort()
				s.writeErr = &StreamError{StreamID: int64(s.id), ErrorCode: code, Remote: true}
			}
		}
		if s.writeErr != nil {
			err := s.writeErr
			t.mu.Unlock()
			return written, err
		}
		if err := s.c.err(); err != nil {
			t.mu.Unlock()
			return written, err
		}
		if written == len(p) && !fin {
			t.mu.Unlock()
			return written, nil
		}
		n := s.cs.Write(p[written:])
		written += n
		if n > 0 {
			s.c.replying = replyBatches
		}
		if deferred && written == len(p) {
			s.c.deferFlush(t.now())
			t.mu.Unlock()
			return written, nil
		}
		if fin && written == len(p) {
			s.writeErr = errWriteClosed
			s.cs.Close()
		}
		if written == len(p) && n == len(p) && len(p) <= smallWrite {
			s.c.flushSmall() // unlocks t.mu
			return written, nil
		}
		if fin && written == len(p) {
			s.c.flush(t.now())
			t.mu.Unlock()
			return written, nil
		}
		if n > 0 {
			s.c.flush(t.now())
			continue
		}
		dl := s.writeDL
		s.writeWant = len(p) - written
		t.mu.Unlock()
		err := s.wait(s.writeReady, dl)
		t.mu.Lock()
		s.writeWant = 0
		if err != nil {
			t.mu.Unlock()
			return written, err
		}
	}
}

// writeWakeSpace is how much send buffer space must be free before a blocked writer is
// woken: acknowledgements free space a packet or two at a time, and waking the writer for
// each would cost a goroutine switch per acknowledgement.
const writeWakeSpace = 64 << 10

// writeWanted reports whether a blocked writer should be woken now: enough space is
// free, all of what it waits to write fits, or the stream was stopped.
func (s *stream) writeWanted() bool {
	if _, stopped := s.cs.Stopped(); stopped || s.writeErr != nil {
		return true
	}
	space := s.cs.WriteSpace()
	if space == 0 && s.cs.SendState() != quicproto.SendReady && s.cs.SendState() != quicproto.SendSend {
		return true // the sending part ended (reset): let the writer see it
	}
	return space >= writeWakeSpace || (s.writeWant > 0 && space >= s.writeWant)
}

// wait blocks until ready is signalled, the connection ends, or the deadline dl passes.
func (s *stream) wait(ready chan struct{}, dl time.Time) error {
	var timeout <-chan time.Time
	if !dl.IsZero() {
		d := time.Until(dl)
		if d <= 0 {
			return os.ErrDeadlineExceeded
		}
		tm := time.NewTimer(d)
		defer tm.Stop()
		timeout = tm.C
	}
	select {
	case <-ready:
	case <-s.c.ctx.Done():
	case <-timeout:
		return os.ErrDeadlineExceeded
	}
	return nil
}

// closeWrite sends the FIN after the data written.
func (s *stream) closeWrite() error {
	t := s.c.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if s.writeErr != nil {
		return nil
	}
	s.writeErr = errWriteClosed
	s.cs.Close()
	s.c.flush(t.now())
	return nil
}

// cancelWrite resets the sending part (RESET_STREAM with code).
func (s *stream) cancelWrite(code StreamErrorCode) {
	t := s.c.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if se, ok := s.writeErr.(*StreamError); ok && !se.Remote {
		return
	}
	s.writeErr = &StreamError{StreamID: int64(s.id), ErrorCode: code}
	s.cs.CancelWrite(code)
	s.c.flush(t.now())
	s.c.dropIfRetired(s)
	signal(s.writeReady)
}

// cancelRead asks the peer to stop sending (STOP_SENDING with code).
func (s *stream) cancelRead(code StreamErrorCode) {
	t := s.c.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if s.readErr != nil {
		return // already finished, reset or cancelled
	}
	s.readErr = &StreamError{StreamID: int64(s.id), ErrorCode: code}
	s.cs.CancelRead(code)
	s.c.flush(t.now())
	s.c.dropIfRetired(s)
	signal(s.readReady)
}

func (s *stream) setDeadline(read, write bool, dl time.Time) {
	t := s.c.t
	t.mu.Lock()
	if read {
		s.readDL = dl
	}
	if write {
		s.writeDL = dl
	}
	t.mu.Unlock()
	// Blocked calls re-check their deadline.
	if read {
		signal(s.readReady)
	}
	if write {
		signal(s.writeReady)
	}
}

// sendHalf holds the methods of a stream's sending part.
type sendHalf struct{ s *stream }

// Write writes p to the stream, blocking while the send buffer is full. It fails with a
// *StreamError after the peer's STOP_SENDING or CancelWrite, os.ErrDeadlineExceeded after
// the write deadline, or the connection's error. A write smaller than a packet leaves
// after one turn of the Go scheduler, with what the connection's other goroutines wrote
// meanwhile (alone, it leaves before Write returns).
func (h sendHalf) Write(p []byte) (int, error) { return h.s.write(p, false) }

// WriteAndClose writes p and then ends the sending part as Close does, sending both at
// once: a p that fits in a packet leaves with the FIN in one STREAM frame, where Write
// and Close would send two packets. It blocks while the send buffer is full, and fails
// as Write does (the FIN is then not sent).
func (h sendHalf) WriteAndClose(p []byte) (int, error) { return h.s.write(p, true) }

// WriteDeferred writes p like Write but does not send it at once when it fits in
// the send buffer: it leaves with the connection's next packet (another stream's
// write, an acknowledgement) or, at the latest, after DeferredWriteDelay. Small
// control messages (a QPACK acknowledgement, a frame header before its payload)
// then share a packet with what follows instead of taking one of their own.
func (h sendHalf) WriteDeferred(p []byte) (int, error) { return h.s.writeMode(p, false, true) }

// Close ends the sending part: the FIN follows the data written. It does not wait for
// the peer's acknowledgement and does not affect the receiving part.
func (h sendHalf) Close() error { return h.s.closeWrite() }

// CancelWrite abandons the sending part: the peer's Read fails with a *StreamError
// carrying code, and data not yet delivered is not retransmitted.
func (h sendHalf) CancelWrite(code StreamErrorCode) { h.s.cancelWrite(code) }

// SetPriority sets the stream's send priority, as HTTP/3 priorities (RFC 9218) give
// it: urgency 0 (most urgent) to 7 (larger values count as 7), and whether the peer
// uses the data incrementally. The connection sends the data of the most urgent
// streams first; among streams of one urgency, non-incremental ones are sent one
// after another in stream ID order, each sending all it has before the next, and then
// incremental ones take turns. Streams start at urgency 3, non-incremental. The
// priority may change at any time and applies to the data not yet sent.
func (h sendHalf) SetPriority(urgency uint8, incremental bool) {
	t := h.s.c.t
	t.mu.Lock()
	h.s.cs.SetPriority(urgency, incremental)
	t.mu.Unlock()
}

// OpenedIn0RTT reports whether the peer opened the stream in 0-RTT data, before
// the handshake completed: such data may be a replay (RFC 9001 section 9.2), so a
// server acts only on idempotent requests from it.
func (h recvHalf) OpenedIn0RTT() bool {
	t := h.s.c.t
	t.mu.Lock()
	defer t.mu.Unlock()
	return h.s.cs.OpenedIn0RTT()
}

// SetWriteDeadline sets the deadline for current and future Writes; zero means none.
func (h sendHalf) SetWriteDeadline(t time.Time) error {
	h.s.setDeadline(false, true, t)
	return nil
}

// recvHalf holds the methods of a stream's receiving part.
type recvHalf struct{ s *stream }

// Read reads received data, blocking until some is available. It returns io.EOF at the
// end of the stream, a *StreamError after the peer's RESET_STREAM or a CancelRead,
// os.ErrDeadlineExceeded after the read deadline, or the connection's error.
func (h recvHalf) Read(p []byte) (int, error) { return h.s.read(p) }

// CancelRead tells the peer to stop sending (STOP_SENDING with code); its Writes then
// fail with a *StreamError carrying code. Buffered data is discarded.
func (h recvHalf) CancelRead(code StreamErrorCode) { h.s.cancelRead(code) }

// SetReadDeadline sets the deadline for current and future Reads; zero means none.
func (h recvHalf) SetReadDeadline(t time.Time) error {
	h.s.setDeadline(true, false, t)
	return nil
}

// Stream is a bidirectional stream: an io.ReadWriteCloser whose Close ends only the
// sending part. Its methods are safe for concurrent use; one reader and one writer may
// work at the same time.
type Stream struct {
	sendHalf
	recvHalf
}

// StreamID returns the stream's ID.
func (s *Stream) StreamID() StreamID { return int64(s.sendHalf.s.id) }

// SetDeadline sets the read and write deadlines.
func (s *Stream) SetDeadline(t time.Time) error {
	s.sendHalf.s.setDeadline(true, true, t)
	return nil
}

// SendStream is the sending side of a unidirectional stream: an io.WriteCloser.
type SendStream struct{ sendHalf }

// StreamID returns the stream's ID.
func (s *SendStream) StreamID() StreamID { return int64(s.s.id) }

// SetDeadline sets the write deadline.
func (s *SendStream) SetDeadline(t time.Time) error { return s.SetWriteDeadline(t) }

// ReceiveStream is the receiving side of a unidirectional stream: an io.Reader.
type ReceiveStream struct{ recvHalf }

// StreamID returns the stream's ID.
func (s *ReceiveStream) StreamID() StreamID { return int64(s.s.id) }

// SetDeadline sets the read deadline.
func (s *ReceiveStream) SetDeadline(t time.Time) error { return s.SetReadDeadline(t) }

var (
	_ io.ReadWriteCloser = (*Stream)(nil)
	_ io.WriteCloser     = (*SendStream)(nil)
	_ io.Reader          = (*ReceiveStream)(nil)
)
