package http3

// Conformance tests: a raw HTTP/3 peer written directly on package quic sends
// what RFC 9114 and RFC 9204 forbid, and the tests check the exact error the
// Server (or the Transport) answers with: the code of the connection close for a
// connection error, the code of the stream reset for a stream error.

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/internal/quicwire"
	"github.com/h3wasi/h3wasi/qpack"
	"github.com/h3wasi/h3wasi/quic"
	"github.com/h3wasi/h3wasi/wasi"
)

// cfTimeout bounds every wait on a network event.
const cfTimeout = 10 * time.Second

func cfCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), cfTimeout)
	t.Cleanup(cancel)
	return ctx
}

// Frame builders.

func cfSettings(kv ...uint64) []byte { return appendFrame(nil, frameSettings, stPayload(kv...)) }
func cfData(s string) []byte         { return appendFrame(nil, frameData, []byte(s)) }
func cfGoaway(id uint64) []byte      { return appendVarintFrame(nil, frameGoaway, id) }
func cfMaxPushID(id uint64) []byte   { return appendVarintFrame(nil, frameMaxPushID, id) }
func cfCancelPush(id uint64) []byte  { return appendVarintFrame(nil, frameCancelPush, id) }
func cfGrease(n uint64) []byte       { return appendFrame(nil, 0x1f*n+0x21, []byte("grease")) }

func cfCat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// cfQPACKInt encodes a QPACK prefixed integer (RFC 9204 section 4.1.1) whose first
// byte carries the bits of first above its n-bit prefix.
func cfQPACKInt(first byte, n uint8, v uint64) []byte {
	max := uint64(1)<<n - 1
	if v < max {
		return []byte{first | byte(v)}
	}
	b := []byte{first | byte(max)}
	for v -= max; v >= 0x80; v >>= 7 {
		b = append(b, byte(v)|0x80)
	}
	return append(b, byte(v))
}

// cfFields builds a field list from name, value pairs.
func cfFields(kv ...string) []qpack.HeaderField {
	var f []qpack.HeaderField
	for i := 0; i+1 < len(kv); i += 2 {
		f = append(f, qpack.HeaderField{Name: kv[i], Value: kv[i+1]})
	}
	return f
}

// cfRequest is a valid request header section with extra fields after the
// pseudo-header fields.
func cfRequest(method, path string, extra ...string) []qpack.HeaderField {
	return cfFields(append([]string{":method", method, ":scheme", "https", ":authority", "localhost", ":path", path}, extra...)...)
}

// cfHeaders encodes fields as a HEADERS frame with the static table only.
func cfHeaders(fields []qpack.HeaderField) []byte {
	enc := qpack.NewEncoder(qpack.EncoderConfig{})
	return appendFrame(nil, frameHeaders, enc.EncodeFieldSection(nil, 0, fields))
}

// cfPushPromise is a PUSH_PROMISE frame for push ID id.
func cfPushPromise(id uint64) []byte {
	enc := qpack.NewEncoder(qpack.EncoderConfig{})
	p := quicwire.AppendVarint(nil, id)
	p = enc.EncodeFieldSection(p, 0, cfRequest("GET", "/pushed"))
	return appendFrame(nil, framePushPromise, p)
}

// wantConnClosed waits for the peer to close qc and checks its code.
func wantConnClosed(t testing.TB, qc *quic.Conn, code ErrCode) {
	t.Helper()
	ctx := cfCtx(t)
	select {
	case <-qc.Context().Done():
	case <-ctx.Done():
		t.Fatalf("the connection is still open, want the peer to close it with %v", code)
	}
	err := context.Cause(qc.Context())
	var ae *quic.ApplicationError
	if !errors.As(err, &ae) || !ae.Remote || ErrCode(ae.Code) != code {
		t.Fatalf("connection ended with %v, want the peer's %v", err, code)
	}
}

// ---- Server side: a raw client against a Server.

// cfServer is a Server whose handler counts its calls, echoes the request body and
// reports the errors reading it.
type cfServer struct {
	addr     net.Addr
	calls    atomic.Int32
	bodyErrs chan error
}

func cfStartServer(t *testing.T, configure func(*Server)) *cfServer {
	cs := &cfServer{bodyErrs: make(chan error, 16)}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs.calls.Add(1)
		b, err := io.ReadAll(r.Body)
		if err != nil {
			cs.bodyErrs <- err
			return
		}
		w.Header().Set("X-Path", r.URL.Path)
		w.Write(append([]byte("echo:"), b...))
	})
	ts := startServer(t, udpNet(), h, func(s *Server, _ *Transport) {
		if configure != nil {
			configure(s)
		}
	})
	_, port, err := net.SplitHostPort(ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	cs.addr = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p}
	return cs
}

// cfClient is a raw HTTP/3 client: it sends exactly the bytes a test gives it.
type cfClient struct {
	t  *testing.T
	qc *quic.Conn

	mu            sync.Mutex
	uniTypes      []uint64 // the types of the server's unidirectional streams
	greaseStreams int      // reserved-type streams the server opened
	// settings receives the server's SETTINGS, or nil if its control stream does
	// not start with one.
	settings chan *settings
}

func cfDial(t *testing.T, addr net.Addr) *cfClient {
	pc, err := wasi.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("no UDP sockets here (%v)", err)
	}
	qt := &quic.Transport{Conn: pc}
	tc := clientTLS()
	tc.NextProtos = []string{NextProtoH3}
	qc, err := qt.Dial(cfCtx(t), addr, tc, nil)
	if err != nil {
		qt.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		qc.CloseWithError(uint64(ErrCodeNoError), "")
		qt.Close()
	})
	c := &cfClient{t: t, qc: qc, settings: make(chan *settings, 1)}
	go c.acceptUni()
	return c
}

// acceptUni reads the server's unidirectional streams: the SETTINGS of its control
// stream, and the rest is discarded.
func (c *cfClient) acceptUni() {
	for {
		s, err := c.qc.AcceptUniStream(context.Background())
		if err != nil {
			return
		}
		go func() {
			fr := newFrameReader(s)
			typ, err := fr.varint(true)
			if err != nil {
				return
			}
			c.mu.Lock()
			if isReserved(typ) {
				c.greaseStreams++ // the server greases stream types (section 6.2.3)
			} else {
				c.uniTypes = append(c.uniTypes, typ)
			}
			c.mu.Unlock()
			if typ == streamControl {
				var got *settings
				if ft, _, err := fr.next(); err == nil && ft == frameSettings {
					if p, err := fr.readPayload(maxControlFrame, errFrameTooLarge); err == nil {
						if st, err := parseSettings(p); err == nil {
							got = &st
						}
					}
				}
				c.settings <- got
			}
			io.Copy(io.Discard, s)
		}()
	}
}

// serverSettings waits for the server's SETTINGS.
func (c *cfClient) serverSettings() settings {
	c.t.Helper()
	select {
	case s := <-c.settings:
		if s == nil {
			c.t.Fatal("the server's control stream does not start with a valid SETTINGS frame")
		}
		c.settings <- s
		return *s
	case <-cfCtx(c.t).Done():
		c.t.Fatal("no SETTINGS from the server")
	}
	panic("unreachable")
}

// uni opens a unidirectional stream and writes b to it.
func (c *cfClient) uni(b []byte) *quic.SendStream {
	c.t.Helper()
	s, err := c.qc.OpenUniStreamSync(cfCtx(c.t))
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := s.Write(b); err != nil {
		c.t.Fatal(err)
	}
	return s
}

// control opens a control stream with the given frames.
func (c *cfClient) control(frames ...[]byte) *quic.SendStream {
	return c.uni(cfCat(append([][]byte{{streamControl}}, frames...)...))
}

// setup opens a valid control stream and QPACK streams.
func (c *cfClient) setup() {
	c.control(cfSettings())
	c.uni([]byte{streamQPACKEncoder})
	c.uni([]byte{streamQPACKDecoder})
}

// request opens a request stream and writes b, with FIN if fin.
func (c *cfClient) request(b []byte, fin bool) *quic.Stream {
	c.t.Helper()
	s, err := c.qc.OpenStreamSync(cfCtx(c.t))
	if err != nil {
		c.t.Fatal(err)
	}
	if fin {
		_, err = s.WriteAndClose(b)
	} else {
		_, err = s.Write(b)
	}
	if err != nil {
		c.t.Fatal(err)
	}
	return s
}

// response reads a response: the final status, the header and the body.
func (c *cfClient) response(str *quic.Stream) (status string, header []qpack.HeaderField, body []byte, err error) {
	str.SetReadDeadline(time.Now().Add(cfTimeout))
	dec := qpack.NewDecoder(qpack.DecoderConfig{})
	fr := newFrameReader(str)
	for status == "" || status[0] == '1' {
		typ, _, err := fr.next()
		if err != nil {
			return "", nil, nil, err
		}
		if typ != frameHeaders {
			continue
		}
		p, err := fr.readPayload(1<<20, errFrameTooLarge)
		if err != nil {
			return "", nil, nil, err
		}
		fields, blocked, err := dec.DecodeFieldSection(nil, uint64(str.StreamID()), p)
		if err != nil || blocked || len(fields) == 0 || fields[0].Name != ":status" {
			return "", nil, nil, errors.New("bad response header section")
		}
		status, header = fields[0].Value, fields[1:]
	}
	buf := make([]byte, 4096)
	for {
		typ, _, err := fr.next()
		if err == io.EOF {
			return status, header, body, nil
		}
		if err != nil {
			return status, header, body, err
		}
		for typ == frameData && fr.remaining > 0 {
			n, err := fr.readData(buf)
			body = append(body, buf[:n]...)
			if err != nil {
				return status, header, body, err
			}
		}
	}
}

// wantResponse reads a response on str and checks its status and body.
func (c *cfClient) wantResponse(str *quic.Stream, status, body string) {
	c.t.Helper()
	got, _, b, err := c.response(str)
	if err != nil {
		c.t.Fatalf("response: %v", err)
	}
	if got != status || (body != "" && string(b) != body) {
		c.t.Fatalf("response %s %q, want %s %q", got, b, status, body)
	}
}

// get sends a valid request and checks that it succeeds: the connection works.
func (c *cfClient) get() {
	c.t.Helper()
	c.wantResponse(c.request(cfHeaders(cfRequest("GET", "/check")), true), "200", "echo:")
}

// wantStreamError reads str until the server resets it, and checks the code.
func (c *cfClient) wantStreamError(str *quic.Stream, code ErrCode) {
	c.t.Helper()
	str.SetReadDeadline(time.Now().Add(cfTimeout))
	_, err := io.ReadAll(str)
	var se *quic.StreamError
	if !errors.As(err, &se) || !se.Remote || ErrCode(se.ErrorCode) != code {
		c.t.Fatalf("request stream ended with %v, want a reset with %v", err, code)
	}
}

// cfServerCase is one violation sent to a Server.
type cfServerCase struct {
	name      string
	configure func(*Server)
	// run sends the violation; it returns the request stream that the stream
	// expectations apply to.
	run func(c *cfClient) *quic.Stream
	// conn is the connection error the server must close with; or
	conn ErrCode
	// stream is the code the server must reset the returned stream with (the
	// connection staying usable); or
	stream ErrCode
	// status is the response the returned stream must get.
	status string
	// handler is whether the handler runs (then its reading the body must fail
	// with stream, if set).
	handler bool
}

func runServerCases(t *testing.T, cases []cfServerCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := cfStartServer(t, tc.configure)
			c := cfDial(t, srv.addr)
			str := tc.run(c)
			switch {
			case tc.conn != 0:
				wantConnClosed(t, c.qc, tc.conn)
				return
			case tc.stream != 0:
				c.wantStreamError(str, tc.stream)
			case tc.status != "":
				c.wantResponse(str, tc.status, "")
			}
			calls := srv.calls.Load()
			if !tc.handler && calls != 0 {
				t.Fatalf("the handler was called %d times, want none", calls)
			}
			if tc.handler {
				if calls != 1 {
					t.Fatalf("the handler was called %d times, want once", calls)
				}
				if tc.stream != 0 {
					select {
					case err := <-srv.bodyErrs:
						if !errors.Is(err, tc.stream) {
							t.Fatalf("the handler's body read failed with %v, want %v", err, tc.stream)
						}
					case <-cfCtx(t).Done():
						t.Fatal("the handler's body read did not fail")
					}
				}
			}
			// A stream error leaves the connection usable.
			c.get()
		})
	}
}

// TestConformanceServerStreams checks what the server opens: one control stream
// that starts with SETTINGS, one QPACK encoder and one decoder stream.
func TestConformanceServerStreams(t *testing.T) {
	srv := cfStartServer(t, nil)
	c := cfDial(t, srv.addr)
	s := c.serverSettings()
	want := settings{qpackMaxTableCapacity: DefaultQPACKMaxTableCapacity, qpackBlockedStreams: DefaultQPACKBlockedStreams,
		maxFieldSectionSize: DefaultMaxHeaderBytes}
	if s != want {
		t.Errorf("server SETTINGS %+v, want %+v", s, want)
	}
	c.setup()
	c.get()
	ctx := cfCtx(t)
	for {
		c.mu.Lock()
		types := append([]uint64(nil), c.uniTypes...)
		c.mu.Unlock()
		if len(types) == 3 {
			seen := map[uint64]bool{}
			for _, typ := range types {
				seen[typ] = true
			}
			if !seen[streamControl] || !seen[streamQPACKEncoder] || !seen[streamQPACKDecoder] {
				t.Fatalf("server's unidirectional streams %v, want one each of 0, 2, 3", types)
			}
			c.mu.Lock()
			grease := c.greaseStreams
			c.mu.Unlock()
			if grease > 1 {
				t.Errorf("%d grease streams, want at most one", grease)
			}
			break
		}
		if len(types) > 3 {
			t.Fatalf("server's unidirectional streams %v, want one each of 0, 2, 3", types)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("server's unidirectional streams %v, want one each of 0, 2, 3", types)
		case <-time.After(time.Millisecond):
		}
	}
}

func TestConformanceServerControlStream(t *testing.T) {
	cases := []cfServerCase{
		{name: "DATA", conn: ErrCodeFrameUnexpected, run: func(c *cfClient) *quic.Stream {
			c.control(cfSettings(), cfData("x"))
			return nil
		}},
		{name: "HEADERS", conn: ErrCodeFrameUnexpected, run: func(c *cfClient) *quic.Stream {
			c.control(cfSettings(), cfHeaders(cfRequest("GET", "/")))
			return nil
		}},
		{name: "PUSH_PROMISE", conn: ErrCodeFrameUnexpected, run: func(c *cfClient) *quic.Stream {
			c.control(cfSettings(), cfPushPromise(0))
			return nil
		}},
		{name: "second SETTINGS", conn: ErrCodeFrameUnexpected, run: func(c *cfClient) *quic.Stream {
			c.control(cfSettings(), cfSettings())
			return nil
		}},
		{name: "first frame MAX_PUSH_ID", conn: ErrCodeMissingSettings, run: func(c *cfClient) *quic.Stream {
			c.control(cfMaxPushID(1), cfSettings())
			return nil
		}},
		{name: "first frame GOAWAY", conn: ErrCodeMissingSettings, run: func(c *cfClient) *quic.Stream {
			c.control(cfGoaway(0))
			return nil
		}},
		{name: "first frame reserved", conn: ErrCodeMissingSettings, run: func(c *cfClient) *quic.Stream {
			c.control(cfGrease(1), cfSettings())
			return nil
		}},
		{name: "duplicate setting", conn: ErrCodeSettingsError, run: func(c *cfClient) *quic.Stream {
			c.control(cfSettings(settingMaxFieldSectionSize, 100, settingQPACKBlockedStreams, 1, settingMaxFieldSectionSize, 100))
			return nil
		}},
		{name: "MAX_PUSH_ID decreases", conn: ErrCodeIDError, run: func(c *cfClient) *quic.Stream {
			c.control(cfSettings(), cfMaxPushID(10), cfMaxPushID(10), cfMaxPushID(9))
			return nil
		}},
		{name: "GOAWAY increases", conn: ErrCodeIDError, run: func(c *cfClient) *quic.Stream {
			c.control(cfSettings(), cfGoaway(4), cfGoaway(4), cfGoaway(8))
			return nil
		}},
		{name: "CANCEL_PUSH never promised", conn: ErrCodeIDError, run: func(c *cfClient) *quic.Stream {
			c.control(cfSettings(), cfCancelPush(0))
			return nil
		}},
		{name: "GOAWAY with trailing bytes", conn: ErrCodeFrameError, run: func(c *cfClient) *quic.Stream {
			c.control(cfSettings(), appendFrame(nil, frameGoaway, []byte{4, 0}))
			return nil
		}},
	}
	for id := uint64(2); id <= 5; id++ {
		cases = append(cases, cfServerCase{name: "HTTP/2 setting 0x" + strconv.FormatUint(id, 16), conn: ErrCodeSettingsError,
			run: func(c *cfClient) *quic.Stream {
				c.control(cfSettings(settingQPACKBlockedStreams, 1, id, 0))
				return nil
			}})
	}
	for _, typ := range []uint64{0x02, 0x06, 0x08, 0x09} {
		cases = append(cases, cfServerCase{name: "HTTP/2 frame 0x" + strconv.FormatUint(typ, 16), conn: ErrCodeFrameUnexpected,
			run: func(c *cfClient) *quic.Stream {
				c.control(cfSettings(), appendFrame(nil, typ, []byte{0, 0, 0, 0}))
				return nil
			}})
	}
	runServerCases(t, cases)
}

func TestConformanceServerUniStreams(t *testing.T) {
	runServerCases(t, []cfServerCase{
		{name: "second control stream", conn: ErrCodeStreamCreationError, run: func(c *cfClient) *quic.Stream {
			c.control(cfSettings())
			c.control(cfSettings())
			return nil
		}},
		{name: "second encoder stream", conn: ErrCodeStreamCreationError, run: func(c *cfClient) *quic.Stream {
			c.setup()
			c.uni([]byte{streamQPACKEncoder})
			return nil
		}},
		{name: "second decoder stream", conn: ErrCodeStreamCreationError, run: func(c *cfClient) *quic.Stream {
			c.setup()
			c.uni([]byte{streamQPACKDecoder})
			return nil
		}},
		{name: "control stream closed", conn: ErrCodeClosedCriticalStream, run: func(c *cfClient) *quic.Stream {
			c.control(cfSettings()).Close()
			return nil
		}},
		{name: "control stream closed before SETTINGS", conn: ErrCodeClosedCriticalStream, run: func(c *cfClient) *quic.Stream {
			c.control().Close()
			return nil
		}},
		{name: "encoder stream closed", conn: ErrCodeClosedCriticalStream, run: func(c *cfClient) *quic.Stream {
			c.control(cfSettings())
			c.uni([]byte{streamQPACKEncoder}).Close()
			return nil
		}},
		{name: "decoder stream closed", conn: ErrCodeClosedCriticalStream, run: func(c *cfClient) *quic.Stream {
			c.control(cfSettings())
			c.uni([]byte{streamQPACKDecoder}).Close()
			return nil
		}},
		{name: "push stream from a client", conn: ErrCodeStreamCreationError, run: func(c *cfClient) *quic.Stream {
			c.setup()
			c.uni([]byte{streamPush, 0})
			return nil
		}},
	})
}

func TestConformanceServerRequestFrames(t *testing.T) {
	get := cfHeaders(cfRequest("GET", "/"))
	post := cfHeaders(cfRequest("POST", "/"))
	cases := []cfServerCase{
		{name: "DATA before HEADERS", conn: ErrCodeFrameUnexpected, run: func(c *cfClient) *quic.Stream {
			c.setup()
			return c.request(cfCat(cfData("x"), get), true)
		}},
		{name: "CANCEL_PUSH before HEADERS", conn: ErrCodeFrameUnexpected, run: func(c *cfClient) *quic.Stream {
			c.setup()
			return c.request(cfCat(cfCancelPush(0), get), true)
		}},
		{name: "CANCEL_PUSH in the body", conn: ErrCodeFrameUnexpected, run: func(c *cfClient) *quic.Stream {
			c.setup()
			return c.request(cfCat(post, cfData("x"), cfCancelPush(0), cfData("y")), true)
		}},
		{name: "PUSH_PROMISE before HEADERS", conn: ErrCodeFrameUnexpected, run: func(c *cfClient) *quic.Stream {
			c.setup()
			return c.request(cfCat(cfPushPromise(0), get), true)
		}},
		{name: "PUSH_PROMISE in the body", conn: ErrCodeFrameUnexpected, run: func(c *cfClient) *quic.Stream {
			c.setup()
			return c.request(cfCat(post, cfPushPromise(0)), true)
		}},
		{name: "SETTINGS", conn: ErrCodeFrameUnexpected, run: func(c *cfClient) *quic.Stream {
			c.setup()
			return c.request(cfCat(cfSettings(), get), true)
		}},
		{name: "GOAWAY", conn: ErrCodeFrameUnexpected, run: func(c *cfClient) *quic.Stream {
			c.setup()
			return c.request(cfCat(post, cfGoaway(0)), true)
		}},
		{name: "MAX_PUSH_ID", conn: ErrCodeFrameUnexpected, run: func(c *cfClient) *quic.Stream {
			c.setup()
			return c.request(cfCat(cfMaxPushID(4), get), true)
		}},
		{name: "DATA after trailers", conn: ErrCodeFrameUnexpected, run: func(c *cfClient) *quic.Stream {
			c.setup()
			return c.request(cfCat(post, cfData("x"), cfHeaders(cfFields("x-trailer", "1")), cfData("y")), true)
		}},
		{name: "truncated HEADERS", conn: ErrCodeFrameError, run: func(c *cfClient) *quic.Stream {
			c.setup()
			return c.request(cfCat(appendFrameHeader(nil, frameHeaders, 100), get[:5]), true)
		}},
		{name: "truncated DATA", conn: ErrCodeFrameError, run: func(c *cfClient) *quic.Stream {
			c.setup()
			return c.request(cfCat(post, appendFrameHeader(nil, frameData, 10), []byte("abc")), true)
		}},
		{name: "no HEADERS", stream: ErrCodeRequestIncomplete, run: func(c *cfClient) *quic.Stream {
			c.setup()
			return c.request(cfGrease(2), true)
		}},
	}
	for _, typ := range []uint64{0x02, 0x06, 0x08, 0x09} {
		cases = append(cases, cfServerCase{name: "HTTP/2 frame 0x" + strconv.FormatUint(typ, 16), conn: ErrCodeFrameUnexpected,
			run: func(c *cfClient) *quic.Stream {
				c.setup()
				return c.request(cfCat(appendFrame(nil, typ, []byte{0, 0, 0, 0}), get), true)
			}})
	}
	runServerCases(t, cases)
}

func TestConformanceServerQPACK(t *testing.T) {
	runServerCases(t, []cfServerCase{
		{name: "static index 200", conn: ErrCodeQPACKDecompressionFailed, run: func(c *cfClient) *quic.Stream {
			c.setup()
			// Required Insert Count 0, Base 0, an indexed field line with T=1 and index 200.
			section := cfCat([]byte{0, 0}, cfQPACKInt(0xc0, 6, 200))
			return c.request(appendFrame(nil, frameHeaders, section), true)
		}},
		{name: "static name index 150", conn: ErrCodeQPACKDecompressionFailed, run: func(c *cfClient) *quic.Stream {
			c.setup()
			// A literal field line with a static name reference 150 (N=0, T=1).
			section := cfCat([]byte{0, 0}, cfQPACKInt(0x50, 4, 150), []byte{1, 'x'})
			return c.request(appendFrame(nil, frameHeaders, section), true)
		}},
		{name: "table capacity over the maximum", conn: ErrCodeQPACKEncoderStreamError, run: func(c *cfClient) *quic.Stream {
			max := c.serverSettings().qpackMaxTableCapacity
			c.control(cfSettings())
			c.uni(cfCat([]byte{streamQPACKEncoder}, cfQPACKInt(0x20, 5, max), cfQPACKInt(0x20, 5, max+1)))
			return nil
		}},
		{name: "insert count increment of 0", conn: ErrCodeQPACKDecoderStreamError, run: func(c *cfClient) *quic.Stream {
			c.control(cfSettings())
			c.uni([]byte{streamQPACKDecoder, 0x00})
			return nil
		}},
	})
}

func TestConformanceServerMalformedRequests(t *testing.T) {
	type fields = []qpack.HeaderField
	malformed := []struct {
		name   string
		fields fields
	}{
		{"duplicate :path", cfRequest("GET", "/", ":path", "/again")},
		{"missing :method", cfFields(":scheme", "https", ":authority", "localhost", ":path", "/")},
		{"unknown pseudo-header", cfRequest("GET", "/", ":foo", "bar")},
		{"pseudo-header after a regular field", cfFields(":method", "GET", ":scheme", "https", ":authority", "localhost",
			"accept", "*/*", ":path", "/")},
		{"uppercase field name", cfRequest("GET", "/", "X-Upper", "1")},
		{"connection field", cfRequest("GET", "/", "connection", "keep-alive")},
		{"keep-alive field", cfRequest("GET", "/", "keep-alive", "timeout=5")},
		{"transfer-encoding field", cfRequest("GET", "/", "transfer-encoding", "chunked")},
		{"te: gzip", cfRequest("GET", "/", "te", "gzip")},
		{":status in a request", cfRequest("GET", "/", ":status", "200")},
		{"empty :path", cfRequest("GET", "")},
		{"invalid content-length", cfRequest("POST", "/", "content-length", "x")},
	}
	var cases []cfServerCase
	for _, m := range malformed {
		cases = append(cases, cfServerCase{name: m.name, stream: ErrCodeMessageError, run: func(c *cfClient) *quic.Stream {
			c.setup()
			return c.request(cfHeaders(m.fields), true)
		}})
	}
	cases = append(cases,
		cfServerCase{name: "body longer than content-length", stream: ErrCodeMessageError, handler: true,
			run: func(c *cfClient) *quic.Stream {
				c.setup()
				return c.request(cfCat(cfHeaders(cfRequest("POST", "/", "content-length", "5")), cfData("0123456789")), true)
			}},
		cfServerCase{name: "body shorter than content-length", stream: ErrCodeMessageError, handler: true,
			run: func(c *cfClient) *quic.Stream {
				c.setup()
				return c.request(cfCat(cfHeaders(cfRequest("POST", "/", "content-length", "10")), cfData("01234")), true)
			}},
		cfServerCase{name: "decoded section over MaxHeaderBytes", status: "431",
			configure: func(s *Server) { s.MaxHeaderBytes = 1000 },
			run: func(c *cfClient) *quic.Stream {
				c.setup()
				return c.request(cfHeaders(cfRequest("GET", "/", "x-big", strings.Repeat("a", 1500))), true)
			}},
		cfServerCase{name: "HEADERS frame over MaxHeaderBytes", status: "431",
			configure: func(s *Server) { s.MaxHeaderBytes = 1000 },
			run: func(c *cfClient) *quic.Stream {
				c.setup()
				// Bytes that Huffman coding does not shrink: the frame is over twice the limit.
				v := []byte(strings.Repeat("~|{}", 1500))
				return c.request(cfHeaders(cfRequest("GET", "/", "x-big", string(v))), true)
			}},
	)
	runServerCases(t, cases)
}

// TestConformanceServerIgnored sends what a receiver must ignore: reserved and
// unknown frame types, settings and stream types. The requests still succeed.
func TestConformanceServerIgnored(t *testing.T) {
	t.Run("control stream", func(t *testing.T) {
		srv := cfStartServer(t, nil)
		c := cfDial(t, srv.addr)
		c.control(
			cfSettings(0x21, 1, 0x1f*7+0x21, 0, 0x1234, 5, settingQPACKBlockedStreams, 0),
			cfGrease(0), cfGrease(1000),
			appendFrame(nil, 0x2f, []byte("unknown")),
			appendFrame(nil, 0x1f*3+0x21, nil),
			cfMaxPushID(5), cfMaxPushID(5), cfMaxPushID(6),
			cfGoaway(8), cfGoaway(4), cfGoaway(4),
		)
		c.uni([]byte{streamQPACKEncoder})
		c.uni([]byte{streamQPACKDecoder})
		c.get()
	})
	t.Run("request stream", func(t *testing.T) {
		srv := cfStartServer(t, nil)
		c := cfDial(t, srv.addr)
		c.setup()
		str := c.request(cfCat(
			cfGrease(3),
			cfHeaders(cfRequest("POST", "/grease", "content-length", "6")),
			cfGrease(4), cfData("abc"),
			appendFrame(nil, 0x2f, []byte("unknown")),
			cfData(""), cfData("def"), cfGrease(5),
		), true)
		c.wantResponse(str, "200", "echo:abcdef")
	})
	t.Run("te: trailers", func(t *testing.T) {
		srv := cfStartServer(t, nil)
		c := cfDial(t, srv.addr)
		c.setup()
		c.wantResponse(c.request(cfHeaders(cfRequest("GET", "/", "te", "trailers")), true), "200", "echo:")
	})
	t.Run("unknown stream types", func(t *testing.T) {
		srv := cfStartServer(t, nil)
		c := cfDial(t, srv.addr)
		c.setup()
		var streams []*quic.SendStream
		for _, typ := range []uint64{0x21, 0x1f*9 + 0x21, 0x54, 0x3fff} {
			streams = append(streams, c.uni(cfCat(quicwire.AppendVarint(nil, typ), []byte("ignored data"))))
		}
		c.get()
		// RFC 9114 section 6.2: reading them may be aborted, with H3_STREAM_CREATION_ERROR.
		ctx := cfCtx(t)
		for _, s := range streams {
			select {
			case <-s.Context().Done():
				var se *quic.StreamError
				if err := context.Cause(s.Context()); !errors.As(err, &se) || ErrCode(se.ErrorCode) != ErrCodeStreamCreationError {
					t.Errorf("stream of unknown type stopped with %v", err)
				}
			case <-ctx.Done():
				t.Fatal("a stream of unknown type was not stopped")
			}
		}
		if c.qc.Context().Err() != nil {
			t.Fatal(context.Cause(c.qc.Context()))
		}
	})
}

// ---- Client side: a Transport against a raw server.

// cfRawServer is a QUIC listener offering h3 and a Transport that dials it.
type cfRawServer struct {
	ln  *quic.Listener
	tr  *Transport
	url string
}

func cfStartRawServer(t *testing.T) *cfRawServer {
	spc, dialSock := udpNet().listen(t)
	qt := &quic.Transport{Conn: spc}
	tc := serverTLS()
	tc.NextProtos = []string{NextProtoH3}
	tc.MinVersion = tls.VersionTLS13
	ln, err := qt.Listen(tc, nil)
	if err != nil {
		qt.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { qt.Close() })
	target := spc.LocalAddr()
	tr := &Transport{TLSClientConfig: clientTLS()}
	tr.Dial = func(ctx context.Context, addr string, tlsConf *tls.Config, conf *quic.Config) (*quic.Conn, error) {
		pc, err := dialSock()
		if err != nil {
			return nil, err
		}
		qt := &quic.Transport{Conn: pc}
		qc, err := qt.Dial(ctx, target, tlsConf, conf)
		if err != nil {
			qt.Close()
			return nil, err
		}
		context.AfterFunc(qc.Context(), func() { qt.Close() })
		return qc, nil
	}
	t.Cleanup(func() { tr.Close() })
	return &cfRawServer{ln: ln, tr: tr, url: "https://localhost:" + strconv.Itoa(target.(*net.UDPAddr).Port)}
}

// cfPeer is the raw server's side of one connection, once the request arrived.
type cfPeer struct {
	t    *testing.T
	qc   *quic.Conn
	ctrl *quic.SendStream
	str  *quic.Stream
}

func (p *cfPeer) write(s interface{ Write([]byte) (int, error) }, parts ...[]byte) {
	p.t.Helper()
	if _, err := s.Write(cfCat(parts...)); err != nil {
		p.t.Fatal(err)
	}
}

// respond writes parts on the request stream and ends it.
func (p *cfPeer) respond(parts ...[]byte) {
	p.t.Helper()
	if _, err := p.str.WriteAndClose(cfCat(parts...)); err != nil {
		p.t.Fatal(err)
	}
}

func cfStatus(status string, extra ...string) []byte {
	return cfHeaders(cfFields(append([]string{":status", status}, extra...)...))
}

// cfClientCase is one violation a raw server sends to a Transport.
type cfClientCase struct {
	name string
	// settings is the raw server's SETTINGS frame; default an empty one.
	settings []byte
	// serve sends the violation once the request arrived; nil when the
	// violation is in the SETTINGS.
	serve func(p *cfPeer)
	// conn is the connection error the client must close with.
	conn ErrCode
	// stop is the code the client must stop the response with (STOP_SENDING).
	stop ErrCode
	// roundTrip is the code RoundTrip's error must match; or
	roundTrip ErrCode
	// body is the code reading the response body must fail with; or
	body ErrCode
	// wantBody is the body of a successful response.
	wantBody string
}

func runClientCases(t *testing.T, cases []cfClientCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rs := cfStartRawServer(t)
			ctx := cfCtx(t)
			type result struct{ err, bodyErr error }
			res := make(chan result, 1)
			go func() {
				// POST with no body: not idempotent, so a failure is never retried
				// on another connection.
				req, _ := http.NewRequestWithContext(ctx, "POST", rs.url+"/", http.NoBody)
				resp, err := rs.tr.RoundTrip(req)
				r := result{err: err}
				if err == nil {
					var b []byte
					b, r.bodyErr = io.ReadAll(resp.Body)
					resp.Body.Close()
					if r.bodyErr == nil && string(b) != tc.wantBody {
						r.bodyErr = errors.New("body " + strconv.Quote(string(b)))
					}
				}
				res <- r
			}()
			qc, err := rs.ln.Accept(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer qc.CloseWithError(uint64(ErrCodeNoError), "")
			ctrl, err := qc.OpenUniStreamSync(ctx)
			if err != nil {
				t.Fatal(err)
			}
			settings := tc.settings
			if settings == nil {
				settings = cfSettings()
			}
			if _, err := ctrl.Write(cfCat([]byte{streamControl}, settings)); err != nil {
				t.Fatal(err)
			}
			str, err := qc.AcceptStream(ctx)
			if err == nil {
				fr := newFrameReader(str)
				var typ uint64
				if typ, _, err = fr.next(); err == nil && typ != frameHeaders {
					t.Fatalf("request stream starts with frame 0x%x", typ)
				}
				if err == nil {
					_, err = fr.readPayload(1<<16, errFrameTooLarge)
				}
			}
			if err != nil {
				// The client may close the connection before its request arrives
				// when the violation is in our SETTINGS.
				if tc.conn == 0 || tc.serve != nil {
					t.Fatalf("reading the request: %v", err)
				}
			} else if tc.serve != nil {
				tc.serve(&cfPeer{t: t, qc: qc, ctrl: ctrl, str: str})
			}
			if tc.conn != 0 {
				wantConnClosed(t, qc, tc.conn)
			}
			if tc.stop != 0 {
				select {
				case <-str.Context().Done():
				case <-ctx.Done():
					t.Fatalf("the client did not stop the response stream, want %v", tc.stop)
				}
				var se *quic.StreamError
				if err := context.Cause(str.Context()); !errors.As(err, &se) || ErrCode(se.ErrorCode) != tc.stop {
					t.Fatalf("response stream ended with %v, want the client's %v", err, tc.stop)
				}
			}
			var r result
			select {
			case r = <-res:
			case <-ctx.Done():
				t.Fatal("RoundTrip did not return")
			}
			switch {
			case tc.roundTrip != 0:
				if !errors.Is(r.err, tc.roundTrip) {
					t.Fatalf("RoundTrip: %v, want an error matching %v", r.err, tc.roundTrip)
				}
			case tc.body != 0:
				if r.err != nil {
					t.Fatalf("RoundTrip: %v", r.err)
				}
				if !errors.Is(r.bodyErr, tc.body) {
					t.Fatalf("reading the body: %v, want an error matching %v", r.bodyErr, tc.body)
				}
			case tc.conn == 0:
				if r.err != nil || r.bodyErr != nil {
					t.Fatalf("RoundTrip: %v; body: %v", r.err, r.bodyErr)
				}
			}
		})
	}
}

func TestConformanceClient(t *testing.T) {
	cases := []cfClientCase{
		{name: "PUSH_PROMISE before the response", conn: ErrCodeIDError, serve: func(p *cfPeer) {
			p.write(p.str, cfPushPromise(0))
		}},
		{name: "PUSH_PROMISE in the response body", conn: ErrCodeIDError, serve: func(p *cfPeer) {
			p.write(p.str, cfStatus("200"), cfData("a"), cfPushPromise(0), cfData("b"))
		}},
		{name: "push stream", conn: ErrCodeIDError, serve: func(p *cfPeer) {
			s, err := p.qc.OpenUniStreamSync(cfCtx(p.t))
			if err != nil {
				p.t.Fatal(err)
			}
			p.write(s, []byte{streamPush, 0}, cfStatus("200"))
		}},
		{name: "GOAWAY increases", conn: ErrCodeIDError, serve: func(p *cfPeer) {
			p.write(p.ctrl, cfGoaway(4), cfGoaway(4), cfGoaway(8))
		}},
		{name: "MAX_PUSH_ID from a server", conn: ErrCodeFrameUnexpected, serve: func(p *cfPeer) {
			p.write(p.ctrl, cfMaxPushID(1))
		}},
		{name: "CANCEL_PUSH never promised", conn: ErrCodeIDError, serve: func(p *cfPeer) {
			p.write(p.ctrl, cfCancelPush(0))
		}},
		{name: "PRIORITY_UPDATE from a server", conn: ErrCodeFrameUnexpected, serve: func(p *cfPeer) {
			p.write(p.ctrl, appendFrame(nil, framePriorityUpdate, []byte("\x00u=1")))
		}},
		{name: "second SETTINGS", conn: ErrCodeFrameUnexpected, serve: func(p *cfPeer) {
			p.write(p.ctrl, cfSettings())
		}},
		{name: "first frame not SETTINGS", settings: cfGoaway(0), conn: ErrCodeMissingSettings},
		{name: "HTTP/2 setting", settings: cfSettings(0x04, 65535), conn: ErrCodeSettingsError},
		{name: "control stream closed", conn: ErrCodeClosedCriticalStream, serve: func(p *cfPeer) {
			p.ctrl.Close()
		}},
		{name: "DATA before HEADERS", conn: ErrCodeFrameUnexpected, serve: func(p *cfPeer) {
			p.respond(cfData("x"), cfStatus("200"))
		}},
		{name: "missing :status", roundTrip: ErrCodeMessageError, stop: ErrCodeMessageError, serve: func(p *cfPeer) {
			p.write(p.str, cfHeaders(cfFields("content-type", "text/plain")))
		}},
		{name: "uppercase field name", roundTrip: ErrCodeMessageError, stop: ErrCodeMessageError, serve: func(p *cfPeer) {
			p.write(p.str, cfStatus("200", "Content-Type", "text/plain"))
		}},
		{name: "body shorter than content-length", body: ErrCodeMessageError, serve: func(p *cfPeer) {
			p.respond(cfStatus("200", "content-length", "10"), cfData("01234"))
		}},
		{name: "body longer than content-length", body: ErrCodeMessageError, serve: func(p *cfPeer) {
			p.respond(cfStatus("200", "content-length", "3"), cfData("01234"))
		}},
		{name: "ignored frames, settings and streams", wantBody: "hello, world",
			settings: cfSettings(0x21, 1, 0x1234, 0, settingQPACKMaxTableCapacity, 0),
			serve: func(p *cfPeer) {
				p.write(p.ctrl, cfGrease(1), appendFrame(nil, 0x2f, []byte("unknown")), cfGoaway(8), cfGoaway(4))
				s, err := p.qc.OpenUniStreamSync(cfCtx(p.t))
				if err != nil {
					p.t.Fatal(err)
				}
				p.write(s, quicwire.AppendVarint(nil, 0x1f*5+0x21), []byte("ignored"))
				p.respond(cfGrease(2), cfStatus("200", "content-length", "12"), cfGrease(3), cfData("hello, "),
					appendFrame(nil, 0x2f, nil), cfData("world"), cfGrease(4))
			}},
	}
	for _, id := range []uint64{1, 2, 3, 6} {
		cases = append(cases, cfClientCase{name: "GOAWAY with stream " + strconv.FormatUint(id, 10), conn: ErrCodeIDError,
			serve: func(p *cfPeer) { p.write(p.ctrl, cfGoaway(id)) }})
	}
	runClientCases(t, cases)
}
