package interop

// Interop with ngtcp2/nghttp3 (Debian's ngtcp2-client and ngtcp2-server packages:
// gtlsclient and gtlsserver, which speak HTTP/3 over ngtcp2 with GnuTLS). h3wasi has
// no HTTP/3 layer yet, so these tests carry just enough HTTP/3 (RFC 9114) on top of
// our QUIC streams to make one request per stream: a control stream with SETTINGS,
// HEADERS encoded with package qpack (dynamic table off), and DATA frames. What they
// check is our QUIC against an independent stack: handshake, stream data both ways,
// flow control over multi-megabyte bodies, and connection close.

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/internal/selfsigned"

	"github.com/h3wasi/h3wasi/internal/quicwire"
	"github.com/h3wasi/h3wasi/qpack"
	"github.com/h3wasi/h3wasi/quic"
)

// HTTP/3 frame and stream types (RFC 9114 sections 6.2 and 7.2).
const (
	h3FrameData     = 0x0
	h3FrameHeaders  = 0x1
	h3FrameSettings = 0x4
	h3StreamControl = 0x0
)

// lookNgtcp2 returns the path of an ngtcp2 program or skips the test.
func lookNgtcp2(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed (Debian packages ngtcp2-client/ngtcp2-server; .ci/run installs them): %v", name, err)
	}
	return p
}

// writeCertFiles writes a fresh self-signed ECDSA certificate for localhost and
// 127.0.0.1 and its key as PEM files in dir.
func writeCertFiles(t *testing.T, dir string) (certFile, keyFile string, cert tls.Certificate) {
	t.Helper()
	cert, _, err := selfsigned.Fresh("localhost")
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := selfsigned.PEM(cert)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, cert
}

// freeUDPPort returns a loopback UDP port that was free a moment ago.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// appendH3Frame appends an HTTP/3 frame.
func appendH3Frame(b []byte, typ uint64, payload []byte) []byte {
	b = quicwire.AppendVarint(b, typ)
	b = quicwire.AppendVarint(b, uint64(len(payload)))
	return append(b, payload...)
}

// readVarint reads one QUIC variable-length integer from r.
func readVarint(r io.ByteReader) (uint64, error) {
	first, err := r.ReadByte()
	if err != nil {
		return 0, err
	}
	n := 1 << (first >> 6)
	v := uint64(first & 0x3f)
	for i := 1; i < n; i++ {
		c, err := r.ReadByte()
		if err != nil {
			return 0, io.ErrUnexpectedEOF
		}
		v = v<<8 | uint64(c)
	}
	return v, nil
}

// h3Message is a request or response read from a request stream.
type h3Message struct {
	fields []qpack.HeaderField
	body   []byte
}

func (m *h3Message) field(name string) string {
	for _, f := range m.fields {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

// readH3Message reads HEADERS and DATA frames until the end of the stream
// (readAll) or, for a request, until the end of the stream too: gtlsclient
// closes its side after the request.
func readH3Message(r io.Reader, dec *qpack.Decoder, streamID uint64, maxBody int) (*h3Message, error) {
	br := &byteReader{r: r}
	msg := &h3Message{}
	for {
		typ, err := readVarint(br)
		if err == io.EOF {
			if msg.fields == nil {
				return nil, errors.New("stream ended without HEADERS")
			}
			return msg, nil
		}
		if err != nil {
			return nil, err
		}
		length, err := readVarint(br)
		if err != nil {
			return nil, err
		}
		if length > uint64(maxBody)+1<<16 {
			return nil, fmt.Errorf("frame of %d bytes is over the test's limit", length)
		}
		payload := make([]byte, length)
		if _, err := io.ReadFull(br, payload); err != nil {
			return nil, fmt.Errorf("frame 0x%x: %w", typ, err)
		}
		switch typ {
		case h3FrameHeaders:
			if msg.fields != nil {
				continue // trailers: not needed here
			}
			fields, blocked, err := dec.DecodeFieldSection(nil, streamID, payload)
			if err != nil {
				return nil, err
			}
			if blocked {
				return nil, errors.New("field section refers to the dynamic table, which we disabled")
			}
			msg.fields = fields
		case h3FrameData:
			msg.body = append(msg.body, payload...)
			if len(msg.body) > maxBody {
				return nil, errors.New("body over the test's limit")
			}
		}
	}
}

// byteReader adds ReadByte to an io.Reader, buffering reads.
type byteReader struct {
	r   io.Reader
	buf [4096]byte
	pos int
	end int
}

func (b *byteReader) fill() error {
	if b.pos < b.end {
		return nil
	}
	n, err := b.r.Read(b.buf[:])
	if n > 0 {
		b.pos, b.end = 0, n
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

func (b *byteReader) ReadByte() (byte, error) {
	if err := b.fill(); err != nil {
		return 0, err
	}
	c := b.buf[b.pos]
	b.pos++
	return c, nil
}

func (b *byteReader) Read(p []byte) (int, error) {
	if err := b.fill(); err != nil {
		return 0, err
	}
	n := copy(p, b.buf[b.pos:b.end])
	b.pos += n
	return n, nil
}

// openH3Control opens our HTTP/3 control stream with an empty SETTINGS frame
// (QPACK dynamic table capacity 0, no blocked streams). It must stay open for the
// connection's lifetime (RFC 9114 section 6.2.1).
func openH3Control(ctx context.Context, c *quic.Conn) (*quic.SendStream, error) {
	s, err := c.OpenUniStreamSync(ctx)
	if err != nil {
		return nil, err
	}
	b := quicwire.AppendVarint(nil, h3StreamControl)
	b = appendH3Frame(b, h3FrameSettings, nil)
	if _, err := s.Write(b); err != nil {
		return nil, err
	}
	return s, nil
}

// drainUniStreams accepts the peer's unidirectional streams (control, QPACK
// encoder and decoder) and discards what arrives on them.
func drainUniStreams(ctx context.Context, c *quic.Conn) {
	for {
		s, err := c.AcceptUniStream(ctx)
		if err != nil {
			return
		}
		go io.Copy(io.Discard, s)
	}
}

// TestNgtcp2ServerOurClient fetches files from gtlsserver (ngtcp2 + nghttp3) with
// our QUIC client: one small and one 5 MiB body, then 20 requests in parallel.
func TestNgtcp2ServerOurClient(t *testing.T) {
	server := lookNgtcp2(t, "gtlsserver")
	dir := t.TempDir()
	certFile, keyFile, cert := writeCertFiles(t, dir)
	htdocs := filepath.Join(dir, "htdocs")
	if err := os.Mkdir(htdocs, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"small": []byte("hello from h3wasi's interop test\n"), "big": pattern(5 << 20)}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(htdocs, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	port := freeUDPPort(t)
	var serverLog bytes.Buffer
	cmd := exec.Command(server, "-q", "--htdocs="+htdocs, "127.0.0.1", strconv.Itoa(port), keyFile, certFile)
	cmd.Stdout, cmd.Stderr = &serverLog, &serverLog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("gtlsserver output:\n%s", serverLog.String())
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	tc := &tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: []string{"h3"}}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	var conn *quic.Conn
	var err error
	for range 20 { // gtlsserver may take a moment to bind
		dctx, dcancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err = quic.DialAddr(dctx, addr, tc, &quic.Config{MaxIdleTimeout: 30 * time.Second})
		dcancel()
		if err == nil || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("dial gtlsserver: %v", err)
	}
	defer conn.CloseWithError(0x100, "") // H3_NO_ERROR
	if got := conn.ConnectionState().TLS.NegotiatedProtocol; got != "h3" {
		t.Fatalf("ALPN %q, want h3", got)
	}
	if _, err := openH3Control(ctx, conn); err != nil {
		t.Fatal(err)
	}
	go drainUniStreams(ctx, conn)

	fetch := func(path string) ([]byte, error) {
		s, err := conn.OpenStreamSync(ctx)
		if err != nil {
			return nil, err
		}
		enc := qpack.NewEncoder(qpack.EncoderConfig{})
		section := enc.EncodeFieldSection(nil, uint64(s.StreamID()), []qpack.HeaderField{
			{Name: ":method", Value: "GET"}, {Name: ":scheme", Value: "https"},
			{Name: ":authority", Value: addr}, {Name: ":path", Value: "/" + path},
			{Name: "user-agent", Value: "h3wasi-interop"},
		})
		if _, err := s.Write(appendH3Frame(nil, h3FrameHeaders, section)); err != nil {
			return nil, err
		}
		s.Close()
		resp, err := readH3Message(s, qpack.NewDecoder(qpack.DecoderConfig{}), uint64(s.StreamID()), 8<<20)
		if err != nil {
			return nil, fmt.Errorf("GET /%s: %w", path, err)
		}
		if st := resp.field(":status"); st != "200" {
			return nil, fmt.Errorf("GET /%s: status %q", path, st)
		}
		return resp.body, nil
	}
	for _, name := range []string{"small", "big"} {
		start := time.Now()
		body, err := fetch(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(body, files[name]) {
			t.Fatalf("GET /%s: got %d bytes, want %d, or the bytes differ", name, len(body), len(files[name]))
		}
		t.Logf("GET /%s: %d bytes byte-exact in %v", name, len(body), time.Since(start).Round(time.Millisecond))
	}
	errs := make(chan error, 20)
	for range 20 {
		go func() {
			body, err := fetch("small")
			if err == nil && !bytes.Equal(body, files["small"]) {
				err = errors.New("parallel GET /small: body differs")
			}
			errs <- err
		}()
	}
	for range 20 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestNgtcp2ClientOurServer has gtlsclient fetch from our QUIC server, which
// answers each request stream with a body whose size is the path's number.
func TestNgtcp2ClientOurServer(t *testing.T) {
	client := lookNgtcp2(t, "gtlsclient")
	dir := t.TempDir()
	_, _, cert := writeCertFiles(t, dir)
	ln, err := quic.ListenAddr("127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h3"}},
		&quic.Config{MaxIdleTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	served := make(chan error, 16)
	go func() {
		for {
			conn, err := ln.Accept(ctx)
			if err != nil {
				return
			}
			go serveH3(ctx, conn, served)
		}
	}()

	sizes := []int{1, 1000, 3 << 20}
	port := ln.Addr().(*net.UDPAddr).Port
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	args := []string{"-q", "--exit-on-all-streams-close", "--download=" + out, "127.0.0.1", strconv.Itoa(port)}
	for _, n := range sizes {
		args = append(args, fmt.Sprintf("https://127.0.0.1:%d/%d", port, n))
	}
	cmd := exec.CommandContext(ctx, client, args...)
	log, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("gtlsclient: %v\n%s", err, log)
	}
	for _, n := range sizes {
		got, err := os.ReadFile(filepath.Join(out, strconv.Itoa(n)))
		if err != nil {
			t.Fatalf("gtlsclient saved no /%d: %v\n%s", n, err, log)
		}
		if !bytes.Equal(got, pattern(n)) {
			t.Fatalf("/%d: gtlsclient got %d bytes, want %d, or the bytes differ", n, len(got), n)
		}
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatal(err)
		}
	default:
	}
}

// serveH3 answers every request stream of conn: the body is pattern(n) for the
// path "/n". Errors go to errs (without blocking).
func serveH3(ctx context.Context, conn *quic.Conn, errs chan<- error) {
	report := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	if _, err := openH3Control(ctx, conn); err != nil {
		report(err)
		return
	}
	go drainUniStreams(ctx, conn)
	for {
		s, err := conn.AcceptStream(ctx)
		if err != nil {
			return
		}
		go func() {
			id := uint64(s.StreamID())
			req, err := readH3Message(s, qpack.NewDecoder(qpack.DecoderConfig{}), id, 1<<16)
			if err != nil {
				report(fmt.Errorf("reading a request: %w", err))
				s.CancelWrite(0x102) // H3_INTERNAL_ERROR
				return
			}
			n, err := strconv.Atoi(strings.TrimPrefix(req.field(":path"), "/"))
			if err != nil || n < 0 || n > 64<<20 {
				n = 0
			}
			enc := qpack.NewEncoder(qpack.EncoderConfig{})
			section := enc.EncodeFieldSection(nil, id, []qpack.HeaderField{
				{Name: ":status", Value: "200"}, {Name: "content-length", Value: strconv.Itoa(n)},
			})
			b := appendH3Frame(nil, h3FrameHeaders, section)
			b = quicwire.AppendVarint(b, h3FrameData)
			b = quicwire.AppendVarint(b, uint64(n))
			_, err = s.Write(b)
			if err == nil {
				_, err = s.Write(pattern(n))
			}
			if err != nil {
				report(fmt.Errorf("writing /%d: %w", n, err))
			}
			s.Close()
		}()
	}
}
