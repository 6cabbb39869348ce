package http3

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/h3wasi/h3wasi/qpack"
	"github.com/h3wasi/h3wasi/quic"
)

// responseBufferSize is how much of a body the response writer holds before the
// first flush: a response that fits is sent with a Content-Length, together with
// its HEADERS and the end of the stream, in one write.
const responseBufferSize = 4 << 10

// maxDataFrame bounds the payload of one DATA frame we write: large writes are
// cut so that the frame header and its payload leave in one stream write.
const maxDataFrame = 64 << 10

// responseWriter implements http.ResponseWriter, http.Flusher and the methods
// http.ResponseController looks for. It is used by the handler's goroutine only,
// except for the 100-continue that a body read may trigger (under mu).
type responseWriter struct {
	sc      *serverConn
	str     *quic.Stream
	req     *http.Request
	fr      frameReader // the request stream's
	body    body        // the request's
	reqBody requestBody // the request's Body
	cancel  func()

	mu            sync.Mutex
	header        http.Header
	status        int
	wroteHeader   bool // WriteHeader was called with a final status
	headerSent    bool // the final HEADERS frame was written to the stream
	continueSent  bool
	bodyAllowed   bool
	contentLength int64 // declared by the handler, or -1
	written       int64 // body bytes accepted
	buf           []byte
	bufp          *[]byte  // the pooled buffer buf came from
	trailerKeys   []string // declared with the Trailer header
	err           error    // sticky write error
	fields        []qpack.HeaderField
}

var responseBufPool = sync.Pool{New: func() any { b := make([]byte, 0, responseBufferSize+64); return &b }}

func (sc *serverConn) newResponseWriter(str *quic.Stream, req *http.Request) *responseWriter {
	return &responseWriter{sc: sc, str: str, req: req, header: make(http.Header), contentLength: -1}
}

// Header implements http.ResponseWriter.
func (w *responseWriter) Header() http.Header { return w.header }

// WriteHeader implements http.ResponseWriter. Informational codes (1xx) are sent at
// once and may be repeated (103 Early Hints); 101 has no meaning in HTTP/3.
func (w *responseWriter) WriteHeader(code int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writeHeaderLocked(code)
}

func (w *responseWriter) writeHeaderLocked(code int) {
	if w.wroteHeader {
		return
	}
	if code < 100 || code > 999 {
		panic("http3: invalid WriteHeader code " + strconv.Itoa(code))
	}
	if code < 200 {
		if code != http.StatusSwitchingProtocols {
			w.writeInformational(code, w.header)
		}
		return
	}
	w.wroteHeader = true
	w.status = code
	w.bodyAllowed = bodyAllowedForStatus(code) && w.req.Method != http.MethodHead
	if cl := w.header.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n >= 0 {
			w.contentLength = n
		} else {
			w.header.Del("Content-Length")
		}
	}
	for _, v := range w.header["Trailer"] {
		for _, k := range strings.Split(v, ",") {
			if k = http.CanonicalHeaderKey(strings.TrimSpace(k)); k != "" {
				w.trailerKeys = append(w.trailerKeys, k)
			}
		}
	}
}

// writeInformational sends a 1xx response (RFC 9114 section 4.1).
func (w *responseWriter) writeInformational(code int, h http.Header) {
	if w.err != nil {
		return
	}
	w.fields = appendResponseFields(w.fields[:0], code, h)
	b, err := w.sc.c.encodeHeaders(nil, uint64(w.str.StreamID()), w.fields)
	if err == nil {
		_, err = w.str.Write(b)
	}
	if err != nil {
		w.err = err
	}
}

// sendContinue answers Expect: 100-continue when the handler starts reading the
// body, as net/http does.
func (w *responseWriter) sendContinue() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.wroteHeader || w.continueSent {
		return
	}
	w.continueSent = true
	w.writeInformational(http.StatusContinue, nil)
}

// bodyAllowedForStatus reports whether a status may carry content (RFC 9110).
func bodyAllowedForStatus(code int) bool {
	return !(code >= 100 && code < 200 || code == http.StatusNoContent || code == http.StatusNotModified)
}

// Write implements http.ResponseWriter.
func (w *responseWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.wroteHeader {
		w.writeHeaderLocked(http.StatusOK)
	}
	if w.err != nil {
		return 0, w.err
	}
	if !w.bodyAllowed {
		if w.req.Method == http.MethodHead && bodyAllowedForStatus(w.status) {
			w.written += int64(len(p)) // counted, not sent, as net/http does
			return len(p), nil
		}
		return 0, http.ErrBodyNotAllowed
	}
	if w.contentLength >= 0 && w.written+int64(len(p)) > w.contentLength {
		return 0, http.ErrContentLength
	}
	w.written += int64(len(p))
	if !w.headerSent && len(w.buf)+len(p) <= responseBufferSize {
		if w.buf == nil {
			w.bufp = responseBufPool.Get().(*[]byte)
			w.buf = (*w.bufp)[:0]
		}
		w.buf = append(w.buf, p...)
		return len(p), nil
	}
	if err := w.sendHeaders(false, p); err != nil { // deferred: the data follows
		return 0, err
	}
	if err := w.writeData(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// sendHeaders writes the final HEADERS frame and the buffered body. final is true
// when the handler has returned: the whole body is then known, and a Content-Length
// is added. next is the data about to be written (for Content-Type sniffing).
func (w *responseWriter) sendHeaders(final bool, next []byte) error {
	if w.headerSent {
		return nil
	}
	w.headerSent = true
	h := w.header
	if final && w.contentLength < 0 && w.bodyAllowed && len(w.trailerKeys) == 0 && !hasTrailerPrefix(h) {
		h.Set("Content-Length", strconv.Itoa(len(w.buf)))
	}
	if w.bodyAllowed && h.Get("Content-Type") == "" && h.Get("Content-Encoding") == "" {
		sniff := w.buf
		if len(sniff) == 0 {
			sniff = next
		}
		if len(sniff) > 0 {
			h.Set("Content-Type", http.DetectContentType(sniff))
		}
	}
	if _, ok := h["Date"]; !ok {
		h.Set("Date", httpDate())
	}
	w.fields = appendResponseFields(w.fields[:0], w.status, w.headerSnapshot())
	out, outp := w.takeBuf()
	out, err := w.sc.c.encodeHeaders(out, uint64(w.str.StreamID()), w.fields)
	if err != nil {
		w.err = err
		return err
	}
	out = w.appendBuffered(out)
	if final {
		out = w.appendTrailers(out)
		_, err = w.str.WriteAndClose(out)
	} else if next != nil {
		_, err = w.str.WriteDeferred(out) // the data that follows carries it
	} else {
		_, err = w.str.Write(out)
	}
	w.putBuf(out, outp)
	if err != nil {
		w.err = fromQUIC(err)
	}
	return w.err
}

// headerSnapshot is the header to send now: without the declared trailers, whose
// values come at the end.
func (w *responseWriter) headerSnapshot() http.Header {
	if len(w.trailerKeys) == 0 {
		return w.header
	}
	h := w.header.Clone()
	for _, k := range w.trailerKeys {
		delete(h, k)
	}
	return h
}

func hasTrailerPrefix(h http.Header) bool {
	for k := range h {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			return true
		}
	}
	return false
}

// takeBuf returns a pooled buffer for a HEADERS frame followed by the buffered
// body, and the pointer to give back to putBuf.
func (w *responseWriter) takeBuf() ([]byte, *[]byte) {
	bp := responseBufPool.Get().(*[]byte)
	return (*bp)[:0], bp
}

// putBuf returns a buffer to the pool, unless it grew large; the pointer is
// reused, so that recycling allocates nothing.
func (w *responseWriter) putBuf(b []byte, bp *[]byte) {
	if cap(b) <= 4*responseBufferSize {
		*bp = b[:0]
		responseBufPool.Put(bp)
	}
}

// appendBuffered appends the buffered body as one DATA frame and releases it.
func (w *responseWriter) appendBuffered(out []byte) []byte {
	if len(w.buf) > 0 && w.bodyAllowed {
		out = appendFrame(out, frameData, w.buf)
	}
	if w.bufp != nil {
		w.putBuf(w.buf, w.bufp)
		w.buf, w.bufp = nil, nil
	}
	return out
}

// writeData writes p as DATA frames. Each frame header is a deferred write, so
// that it leaves with its payload, which is written from p without a copy.
func (w *responseWriter) writeData(p []byte) error {
	var hdr [16]byte
	for len(p) > 0 {
		n := min(len(p), maxDataFrame)
		if _, err := w.str.WriteDeferred(appendFrameHeader(hdr[:0], frameData, uint64(n))); err != nil {
			w.err = fromQUIC(err)
			return w.err
		}
		if _, err := w.str.Write(p[:n]); err != nil {
			w.err = fromQUIC(err)
			return w.err
		}
		p = p[n:]
	}
	return nil
}

// appendTrailers appends the trailer section, if the handler set trailers.
func (w *responseWriter) appendTrailers(out []byte) []byte {
	var t http.Header
	for _, k := range w.trailerKeys {
		if vv, ok := w.header[k]; ok {
			if t == nil {
				t = make(http.Header)
			}
			t[k] = vv
		}
	}
	for k, vv := range w.header {
		if name, ok := strings.CutPrefix(k, http.TrailerPrefix); ok {
			if t == nil {
				t = make(http.Header)
			}
			t[http.CanonicalHeaderKey(name)] = vv
		}
	}
	if len(t) == 0 {
		return out
	}
	w.fields = appendTrailerFields(w.fields[:0], t)
	out, err := w.sc.c.encodeHeaders(out, uint64(w.str.StreamID()), w.fields)
	if err != nil {
		w.err = err
	}
	return out
}

// Flush implements http.Flusher.
func (w *responseWriter) Flush() { w.FlushError() }

// FlushError sends the headers and the buffered body now (http.ResponseController).
func (w *responseWriter) FlushError() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.wroteHeader {
		w.writeHeaderLocked(http.StatusOK)
	}
	if w.err != nil {
		return w.err
	}
	return w.sendHeaders(false, nil)
}

// finish completes the response after the handler returned: headers if not sent
// (with a Content-Length when the whole body was buffered), the body, trailers and
// the end of the stream, in as few writes as possible.
func (w *responseWriter) finish() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.wroteHeader {
		w.writeHeaderLocked(http.StatusOK)
	}
	if w.err != nil {
		w.str.CancelWrite(uint64(ErrCodeInternalError))
		return
	}
	if w.contentLength >= 0 && w.written < w.contentLength && w.bodyAllowed {
		// The handler declared more than it wrote: the client must not take this
		// for a complete response (net/http closes the connection likewise).
		w.str.CancelWrite(uint64(ErrCodeInternalError))
		return
	}
	if !w.headerSent {
		w.sendHeaders(true, nil)
	} else {
		out, outp := w.takeBuf()
		out = w.appendTrailers(out)
		if len(out) > 0 {
			w.str.WriteAndClose(out)
		} else {
			w.str.Close()
		}
		w.putBuf(out, outp)
	}
	// Stop the client's request body if it was not read to its end (RFC 9114
	// section 4.1.2: H3_NO_ERROR once the response is complete).
	if !w.body.finished.Load() {
		w.str.CancelRead(uint64(ErrCodeNoError))
		w.body.close()
	}
}

// abort resets the stream after a handler panic.
func (w *responseWriter) abort(code ErrCode) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.err = errAborted
	w.sc.c.cancelStreamDecoding(uint64(w.str.StreamID()))
	resetStream(w.str, code)
	if w.bufp != nil {
		w.putBuf(w.buf, w.bufp)
		w.buf, w.bufp = nil, nil
	}
}

var errAborted = errors.New("http3: handler aborted the response")

// bodyFirstRead answers Expect: 100-continue (bodyOwner).
func (w *responseWriter) bodyFirstRead() { w.sendContinue() }

// bodyError resets the stream when the request body breaks a rule (bodyOwner).
func (w *responseWriter) bodyError(e *Error) { resetStream(w.str, e.Code) }

// bodyDone needs nothing on the server: the handler's return ends the request.
func (w *responseWriter) bodyDone(error) {}

// bodyTrailers stores the request's trailers where the handler finds them
// (bodyOwner).
func (w *responseWriter) bodyTrailers(h http.Header) {
	if w.req.Trailer == nil {
		w.req.Trailer = make(http.Header, len(h))
	}
	for k, vv := range h {
		w.req.Trailer[k] = vv
	}
}

// SetReadDeadline sets the deadline for reading the request body
// (http.ResponseController).
func (w *responseWriter) SetReadDeadline(t time.Time) error { return w.str.SetReadDeadline(t) }

// SetWriteDeadline sets the deadline for writing the response
// (http.ResponseController).
func (w *responseWriter) SetWriteDeadline(t time.Time) error { return w.str.SetWriteDeadline(t) }

// EnableFullDuplex lets the handler read the request body while writing the
// response (http.ResponseController). HTTP/3 streams always allow it.
func (w *responseWriter) EnableFullDuplex() error { return nil }

// dateCache holds the formatted Date header value, renewed once a second.
var dateCache struct {
	sync.Mutex
	sec int64
	s   string
}

func httpDate() string {
	now := time.Now()
	dateCache.Lock()
	defer dateCache.Unlock()
	if sec := now.Unix(); sec != dateCache.sec {
		dateCache.sec, dateCache.s = sec, now.UTC().Format(http.TimeFormat)
	}
	return dateCache.s
}
