package http3

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/h3wasi/h3wasi/qpack"
)

// frameOnRequestStream checks a frame type met on a request stream that is neither
// DATA nor HEADERS: the control frames and HTTP/2 types are connection errors
// (RFC 9114 sections 7.2.3-7.2.8), and so is a PUSH_PROMISE that no one allowed
// (section 7.2.5); unknown and reserved types are skipped (section 9).
func (c *conn) frameOnRequestStream(typ uint64) error {
	switch typ {
	case framePushPromise:
		if c.isServer {
			return connErrorf(ErrCodeFrameUnexpected, "PUSH_PROMISE sent by a client")
		}
		return connErrorf(ErrCodeIDError, "PUSH_PROMISE without MAX_PUSH_ID")
	case frameSettings, frameGoaway, frameMaxPushID, frameCancelPush,
		framePriorityUpdate, framePriorityUpdatePush:
		return connErrorf(ErrCodeFrameUnexpected, "%s frame on a request stream", frameName(typ))
	}
	if isHTTP2Frame(typ) {
		return connErrorf(ErrCodeFrameUnexpected, "HTTP/2 frame type 0x%x", typ)
	}
	return nil
}

// maxEncodedSection bounds the encoded size of a field section we accept before
// decoding it: the encoding is never much larger than the decoded size that
// MAX_FIELD_SECTION_SIZE limits, so twice that leaves room for literal encodings.
func maxEncodedSection(limit uint64) uint64 { return 2*limit + 1024 }

// readHeaderSection reads frames up to the first HEADERS frame of a message and
// decodes it. io.EOF means the stream ended before any HEADERS.
func (c *conn) readHeaderSection(ctx context.Context, fr *frameReader, streamID uint64) ([]qpack.HeaderField, error) {
	for {
		typ, _, err := fr.next()
		if err != nil {
			return nil, err
		}
		switch typ {
		case frameHeaders:
			p, err := fr.readPayload(maxEncodedSection(c.cfg.maxFieldSectionSize), errHeaderTooLarge)
			if err != nil {
				return nil, err
			}
			return c.decodeFieldSection(ctx, streamID, p)
		case frameData:
			return nil, connErrorf(ErrCodeFrameUnexpected, "DATA frame before HEADERS")
		}
		if err := c.frameOnRequestStream(typ); err != nil {
			return nil, err
		}
	}
}

// bodyOwner is the request or response a body belongs to.
type bodyOwner interface {
	// bodyTrailers receives the trailers, once.
	bodyTrailers(http.Header)
	// bodyFirstRead runs before the first read, if firstRead is set.
	bodyFirstRead()
	// bodyError runs when the body fails with a stream error of ours, so that the
	// owner resets the stream.
	bodyError(*Error)
	// bodyDone runs once when the body ends (io.EOF or an error).
	bodyDone(error)
}

// body is a message body read from a request stream: the payloads of its DATA
// frames, then its trailers. It checks the total against Content-Length (RFC 9114
// section 4.1.2) and enforces the frame rules of section 4.1. Reads stream from the
// QUIC stream: nothing is buffered beyond the frame reader's read-ahead.
type body struct {
	c        *conn
	fr       *frameReader
	streamID uint64
	ctx      context.Context
	// contentLength is the declared length, or -1.
	contentLength int64
	read          int64
	// owner is told what happens to the body; an interface rather than closures
	// so that a body costs no allocation of its own.
	owner bodyOwner
	// firstRead: owner.bodyFirstRead is still due (100-continue).
	firstRead bool

	// finished is set once the body ended (read to its end or failed), so that an
	// owner closing it knows whether the stream must be told to stop.
	finished atomic.Bool

	mu       sync.Mutex
	err      error // sticky
	trailers bool  // trailers seen: only the end of the stream may follow
}

// Read implements io.Reader.
func (b *body) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return 0, b.err
	}
	if b.firstRead {
		b.firstRead = false
		b.owner.bodyFirstRead()
	}
	n, err := b.read1(p)
	if err != nil {
		b.setErr(err)
	}
	return n, err
}

// setErr makes err sticky and reports it.
func (b *body) setErr(err error) {
	if b.err != nil {
		return
	}
	b.err = err
	b.finished.Store(true)
	var e *Error
	if err != io.EOF && errors.As(err, &e) && !e.Remote {
		if e.conn {
			b.c.closeWithError(e)
		} else {
			b.owner.bodyError(e)
		}
	}
	b.owner.bodyDone(err)
}

func (b *body) read1(p []byte) (int, error) {
	for {
		if b.fr.remaining > 0 && !b.trailers {
			n, err := b.fr.readData(p)
			b.read += int64(n)
			if b.contentLength >= 0 && b.read > b.contentLength {
				return 0, streamErrorf(ErrCodeMessageError, "body longer than its content-length of %d", b.contentLength)
			}
			if err != nil {
				return n, b.streamErr(err)
			}
			if n > 0 || len(p) == 0 {
				return n, nil
			}
		}
		typ, _, err := b.fr.next()
		if err == io.EOF {
			if b.contentLength >= 0 && b.read != b.contentLength {
				return 0, streamErrorf(ErrCodeMessageError, "body of %d bytes, but content-length is %d", b.read, b.contentLength)
			}
			return 0, io.EOF
		}
		if err != nil {
			return 0, b.streamErr(err)
		}
		if err := b.onFrame(typ); err != nil {
			return 0, err
		}
	}
}

// onFrame handles a frame header met while reading the body.
func (b *body) onFrame(typ uint64) error {
	switch typ {
	case frameData:
		if b.trailers {
			return connErrorf(ErrCodeFrameUnexpected, "DATA frame after trailers")
		}
		return nil
	case frameHeaders:
		if b.trailers {
			return connErrorf(ErrCodeFrameUnexpected, "HEADERS frame after trailers")
		}
		b.trailers = true
		return b.readTrailers()
	}
	if err := b.c.frameOnRequestStream(typ); err != nil {
		return err
	}
	// An unknown or reserved frame: its payload is not body data (section 9).
	if err := b.fr.skip(); err != nil {
		return b.streamErr(err)
	}
	return nil
}

// readTrailers decodes the trailer section (RFC 9114 section 4.1).
func (b *body) readTrailers() error {
	p, err := b.fr.readPayload(maxEncodedSection(b.c.cfg.maxFieldSectionSize), errHeaderTooLarge)
	if err != nil {
		return err
	}
	fields, err := b.c.decodeFieldSection(b.ctx, b.streamID, p)
	if err != nil {
		return err
	}
	h, err := trailersFromFields(fields)
	if err != nil {
		return err
	}
	b.owner.bodyTrailers(h)
	return nil
}

// streamErr translates an error of the QUIC stream.
func (b *body) streamErr(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return fromQUIC(err)
}

// errBodyClosed is returned by reads after Close.
var errBodyClosed = errors.New("http3: read on closed body")

// close ends reading: the body fails with errBodyClosed from then on. It reports
// whether the body had been read to its end.
func (b *body) close() (complete bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err == io.EOF {
		b.err = errBodyClosed
		return true
	}
	if b.err == nil {
		b.err = errBodyClosed
		b.finished.Store(true)
		b.owner.bodyDone(errBodyClosed)
	}
	return false
}
