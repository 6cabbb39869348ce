package http3

import (
	"errors"
	"io"
	"sync"

	"github.com/h3wasi/h3wasi/internal/quicwire"
)

// Frame types (RFC 9114 section 7.2, RFC 9218 section 7.2).
const (
	frameData               = 0x00
	frameHeaders            = 0x01
	frameCancelPush         = 0x03
	frameSettings           = 0x04
	framePushPromise        = 0x05
	frameGoaway             = 0x07
	frameMaxPushID          = 0x0d
	framePriorityUpdate     = 0xf0700 // for a request stream
	framePriorityUpdatePush = 0xf0701 // for a push stream
)

// Unidirectional stream types (RFC 9114 section 6.2, RFC 9204 section 4.2).
const (
	streamControl      = 0x00
	streamPush         = 0x01
	streamQPACKEncoder = 0x02
	streamQPACKDecoder = 0x03
)

// isReserved reports whether v is of the form 0x1f*N + 0x21, the values that frame
// types, stream types, settings and error codes reserve for greasing (RFC 9114
// sections 6.2.3, 7.2.8, 7.2.4.1 and 8.1).
func isReserved(v uint64) bool { return v >= 0x21 && (v-0x21)%0x1f == 0 }

// isHTTP2Frame reports the frame types of HTTP/2 that have no HTTP/3 equivalent;
// receiving one is H3_FRAME_UNEXPECTED (RFC 9114 section 7.2.8).
func isHTTP2Frame(t uint64) bool { return t == 0x02 || t == 0x06 || t == 0x08 || t == 0x09 }

// appendFrameHeader appends a frame's type and length.
func appendFrameHeader(b []byte, typ, length uint64) []byte {
	b = quicwire.AppendVarint(b, typ)
	return quicwire.AppendVarint(b, length)
}

// appendFrame appends a whole frame.
func appendFrame(b []byte, typ uint64, payload []byte) []byte {
	return append(appendFrameHeader(b, typ, uint64(len(payload))), payload...)
}

// appendVarintFrame appends a frame whose payload is one varint (GOAWAY, MAX_PUSH_ID,
// CANCEL_PUSH).
func appendVarintFrame(b []byte, typ, v uint64) []byte {
	b = appendFrameHeader(b, typ, uint64(quicwire.VarintLen(v)))
	return quicwire.AppendVarint(b, v)
}

// greaseValue picks a reserved value for greasing from a seed; any reserved value
// will do, and varying it keeps peers from special-casing one.
func greaseValue(seed uint64) uint64 { return 0x1f*(seed%64) + 0x21 }

// appendGreaseFrame appends a reserved frame type with a short payload, which the
// peer must ignore (RFC 9114 section 7.2.8).
func appendGreaseFrame(b []byte, seed uint64) []byte {
	return appendFrame(b, greaseValue(seed), []byte("h3wasi"[:seed%7]))
}

// frameReaderBufSize is the read-ahead of a frameReader: enough for a typical
// HEADERS frame in one read; DATA payloads larger than what is buffered are read
// straight into the caller's slice.
const frameReaderBufSize = 4 << 10

// errTruncatedFrame: the stream ended inside a frame.
var errTruncatedFrame = connErrorf(ErrCodeFrameError, "stream ended inside a frame")

// frameReader reads HTTP/3 frames from a stream without ever holding a whole DATA
// payload: next returns a frame's type and length; the payload is then read with
// readPayload (bounded, for control and HEADERS frames), readData (streamed, for
// DATA) or skipped.
type frameReader struct {
	r          io.Reader
	buf        []byte
	bufp       *[]byte // the pooled buffer, if buf came from frameBufPool
	start, end int
	// remaining is what is left of the current frame's payload.
	remaining uint64
	err       error // sticky error of r (io.EOF at the end of the stream)
}

func newFrameReader(r io.Reader) *frameReader { return &frameReader{r: r} }

// buffered returns the bytes read ahead but not consumed.
func (fr *frameReader) buffered() int { return fr.end - fr.start }

// fill reads more from the stream into the buffer; it returns false once the stream
// has nothing more (fr.err says why).
func (fr *frameReader) fill() bool {
	if fr.err != nil {
		return false
	}
	if fr.buf == nil {
		fr.bufp = frameBufPool.Get().(*[]byte)
		fr.buf = *fr.bufp
	}
	if fr.start > 0 {
		fr.end = copy(fr.buf, fr.buf[fr.start:fr.end])
		fr.start = 0
	}
	if fr.end == len(fr.buf) {
		return true
	}
	n, err := fr.readSome(fr.buf[fr.end:])
	fr.end += n
	if err != nil {
		fr.err = err
	}
	return n > 0
}

// readSome reads from the stream, retrying reads that return nothing and no error
// (which io.Reader allows), so that callers see either data or an error.
func (fr *frameReader) readSome(p []byte) (int, error) {
	for range 100 {
		if n, err := fr.r.Read(p); n > 0 || err != nil {
			return n, err
		}
	}
	return 0, io.ErrNoProgress
}

// varint reads one variable-length integer. atStart says whether a clean end of the
// stream here is the end of the frames (io.EOF) rather than a truncated frame.
func (fr *frameReader) varint(atStart bool) (uint64, error) {
	for {
		had := fr.buffered()
		if had > 0 && had >= 1<<(fr.buf[fr.start]>>6) {
			v, n, _ := quicwire.ParseVarint(fr.buf[fr.start:fr.end])
			fr.start += n
			return v, nil
		}
		if !fr.fill() && fr.err != nil {
			return 0, fr.endErr(atStart && had == 0)
		}
	}
}

// endErr is the error for a stream that has nothing more: io.EOF at a frame boundary,
// a truncated frame otherwise, or the stream's own error (a reset, a timeout).
func (fr *frameReader) endErr(atBoundary bool) error {
	if fr.err == io.EOF || fr.err == nil {
		if atBoundary {
			return io.EOF
		}
		return errTruncatedFrame
	}
	return fr.err
}

// next skips what is left of the current frame and reads the next frame's header.
func (fr *frameReader) next() (typ, length uint64, err error) {
	if err := fr.skip(); err != nil {
		return 0, 0, err
	}
	typ, err = fr.varint(true)
	if err != nil {
		return 0, 0, err
	}
	length, err = fr.varint(false)
	if err != nil {
		return 0, 0, err
	}
	fr.remaining = length
	return typ, length, nil
}

// skip discards the rest of the current frame's payload.
func (fr *frameReader) skip() error {
	for fr.remaining > 0 {
		if fr.buffered() == 0 && !fr.fill() {
			return fr.endErr(false)
		}
		n := min(uint64(fr.buffered()), fr.remaining)
		fr.start += int(n)
		fr.remaining -= n
	}
	return nil
}

// readPayload reads the whole payload of the current frame, which must be at most
// limit bytes (tooLarge is returned otherwise, with nothing consumed). The result is
// valid until the next call on fr.
func (fr *frameReader) readPayload(limit uint64, tooLarge error) ([]byte, error) {
	if fr.remaining > limit {
		return nil, tooLarge
	}
	n := int(fr.remaining)
	if fr.buf == nil || n > len(fr.buf) {
		grown := make([]byte, max(n, frameReaderBufSize))
		fr.end = copy(grown, fr.buf[fr.start:fr.end])
		fr.buf, fr.start = grown, 0
	}
	for fr.buffered() < n {
		if fr.start+n > len(fr.buf) {
			fr.end = copy(fr.buf, fr.buf[fr.start:fr.end])
			fr.start = 0
		}
		if !fr.fill() && fr.buffered() < n {
			if fr.err == nil {
				continue
			}
			return nil, fr.endErr(false)
		}
	}
	p := fr.buf[fr.start : fr.start+n]
	fr.start += n
	fr.remaining = 0
	return p, nil
}

// readData reads from the current DATA frame's payload into p; it returns 0, nil at
// the end of the payload. Large reads bypass the buffer.
func (fr *frameReader) readData(p []byte) (int, error) {
	if fr.remaining == 0 || len(p) == 0 {
		return 0, nil
	}
	if uint64(len(p)) > fr.remaining {
		p = p[:fr.remaining]
	}
	if fr.buffered() > 0 {
		n := copy(p, fr.buf[fr.start:fr.end])
		fr.start += n
		fr.remaining -= uint64(n)
		return n, nil
	}
	if fr.err != nil {
		return 0, fr.endErr(false)
	}
	if len(p) < frameReaderBufSize/2 {
		if !fr.fill() {
			return 0, fr.endErr(false)
		}
		return fr.readData(p)
	}
	n, err := fr.readSome(p)
	fr.remaining -= uint64(n)
	if err != nil {
		fr.err = err
		if n == 0 {
			return 0, fr.endErr(false)
		}
	}
	return n, nil
}

// frameBufPool recycles the read-ahead buffers of frame readers: one per request
// stream would otherwise be garbage per request.
var frameBufPool = sync.Pool{New: func() any { b := make([]byte, frameReaderBufSize); return &b }}

// release returns the read-ahead buffer once the stream is done with; the reader
// must not be used after.
func (fr *frameReader) release() {
	if fr.bufp != nil {
		frameBufPool.Put(fr.bufp) // the pointer itself is reused: no allocation
	}
	fr.buf, fr.bufp, fr.start, fr.end = nil, nil, 0, 0
	fr.err = errReaderReleased
}

// errReaderReleased fails reads on a released frame reader.
var errReaderReleased = errors.New("http3: stream reader released")

// errFrameTooLarge is a control frame larger than we accept.
var errFrameTooLarge = connErrorf(ErrCodeExcessiveLoad, "control frame too large")

// parseVarintPayload parses a frame payload that is exactly one varint.
func parseVarintPayload(p []byte, frameName string) (uint64, error) {
	v, n, err := quicwire.ParseVarint(p)
	if err != nil || n != len(p) {
		return 0, connErrorf(ErrCodeFrameError, "malformed %s frame", frameName)
	}
	return v, nil
}
