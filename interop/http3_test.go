package interop

// HTTP/3 interop of package http3 (our Server and Transport) with independent
// stacks, over real UDP on 127.0.0.1:
//
//	quic-go's http3.Transport  -> our http3.Server
//	our http3.Transport        -> quic-go's http3.Server
//	ngtcp2's gtlsclient        -> our http3.Server (nghttp3, QPACK dynamic table on)
//	our http3.Transport        -> ngtcp2's gtlsserver --htdocs
//
// Each pair runs the same cases: GET 1 KiB, GET 5 MiB, 100 GETs in parallel on
// one connection (every path has its own content and size) and a 1 MiB POST
// whose SHA-256 the server answers. Every body is checked byte for byte. With
// nghttp3 on the other side, the peer's qlog tells whether its QPACK encoder
// really inserted into the dynamic table (quic-go's QPACK never does: it
// announces and uses no dynamic table).

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"
	quicgohttp3 "github.com/quic-go/quic-go/http3"

	"github.com/h3wasi/h3wasi/http3"
)

const (
	h3Parallel   = 100
	h3UploadSize = 1 << 20
	h3UploadPath = "/upload"
)

// h3Sizes maps the name of every file the cases fetch to its size: "1k", "5m"
// and the parallel case's "p000".."p099" (all different sizes).
var h3Sizes = sync.OnceValue(func() map[string]int {
	m := map[string]int{"1k": 1 << 10, "5m": 5 << 20}
	for i := range h3Parallel {
		m[h3ParallelName(i)] = 1000 + 97*i
	}
	return m
})

func h3ParallelName(i int) string { return fmt.Sprintf("p%03d", i) }

var h3ContentCache sync.Map // name -> []byte

// h3Content returns the body of file name: pseudo-random bytes seeded by the name,
// so that no two paths share content.
func h3Content(name string) []byte {
	if b, ok := h3ContentCache.Load(name); ok {
		return b.([]byte)
	}
	n, ok := h3Sizes()[name]
	if !ok {
		n = h3UploadSize
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	x := h.Sum64() | 1
	b := make([]byte, n)
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x >> 32)
	}
	h3ContentCache.Store(name, b)
	return b
}

// h3UploadBody is what the POST case sends.
func h3UploadBody() []byte { return h3Content("upload-body") }

// h3UploadAnswer is the answer of our test handler to a POST of body.
func h3UploadAnswer(body []byte) string {
	sum := sha256.Sum256(body)
	return fmt.Sprintf("%s %d\n", hex.EncodeToString(sum[:]), len(body))
}

// h3Handler serves GET /<name> with h3Content(name) and answers a POST to
// /upload with the SHA-256 and length of the body; quic-go's server and ours run it.
func h3Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost && r.URL.Path == h3UploadPath:
			h := sha256.New()
			n, err := io.Copy(h, r.Body)
			if err != nil {
				http.Error(w, "reading the body: "+err.Error(), http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprintf(w, "%s %d\n", hex.EncodeToString(h.Sum(nil)), n)
		case r.Method == http.MethodGet:
			name := strings.TrimPrefix(r.URL.Path, "/")
			if _, ok := h3Sizes()[name]; !ok {
				http.NotFound(w, r)
				return
			}
			body := h3Content(name)
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.Write(body)
		default:
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		}
	})
}

// h3TLS returns a fresh certificate (as PEM files in dir too, for ngtcp2) and the
// server and client TLS configurations that go with it.
func h3TLS(t *testing.T, dir string) (certFile, keyFile string, server, client *tls.Config) {
	certFile, keyFile, cert := writeCertFiles(t, dir)
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	server = &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{http3.NextProtoH3}}
	client = &tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: []string{http3.NextProtoH3}}
	return certFile, keyFile, server, client
}

// startOurH3Server serves h3Handler with our http3.Server on a loopback UDP port
// and returns the port.
func startOurH3Server(t *testing.T, tc *tls.Config) int {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http3.Server{Handler: h3Handler(), TLSConfig: tc}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(pc) }()
	t.Cleanup(func() {
		srv.Close()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, http3.ErrServerClosed) {
				t.Errorf("our Server.Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("our Server.Serve did not return after Close")
		}
	})
	return pc.LocalAddr().(*net.UDPAddr).Port
}

// h3Client is an http.Client over some HTTP/3 RoundTripper, and the URL of the server.
type h3Client struct {
	client *http.Client
	base   string // https://127.0.0.1:port
	// uploadUnverifiable: the server cannot report what it received (gtlsserver
	// serves files whatever the method), so the POST case checks only that the
	// whole body was taken and answered.
	uploadUnverifiable bool
}

// get fetches /name and checks the status and every byte of the body.
func (c *h3Client) get(ctx context.Context, name string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/"+name, nil)
	if err != nil {
		return err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("GET /%s: %w", name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("GET /%s: body after %d bytes: %w", name, len(body), err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /%s: status %s", name, resp.Status)
	}
	if want := h3Content(name); !bytes.Equal(body, want) {
		return fmt.Errorf("GET /%s: got %d bytes, want %d, or the bytes differ", name, len(body), len(want))
	}
	return nil
}

// h3ClientCases runs the cases with an HTTP/3 client from Go.
func h3ClientCases(t *testing.T, c *h3Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, name := range []string{"1k", "5m"} {
		t.Run("GET-"+name, func(t *testing.T) {
			start := time.Now()
			if err := c.get(ctx, name); err != nil {
				t.Fatal(err)
			}
			t.Logf("%d bytes byte-exact in %v", len(h3Content(name)), time.Since(start).Round(time.Millisecond))
		})
	}
	t.Run("GET-parallel100", func(t *testing.T) {
		start := time.Now()
		errs := make(chan error, h3Parallel)
		for i := range h3Parallel {
			go func() { errs <- c.get(ctx, h3ParallelName(i)) }()
		}
		for range h3Parallel {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		t.Logf("%d GETs byte-exact in %v", h3Parallel, time.Since(start).Round(time.Millisecond))
	})
	t.Run("POST-1m", func(t *testing.T) {
		body := h3UploadBody()
		path := h3UploadPath
		if c.uploadUnverifiable {
			path = "/1k"
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		resp, err := c.client.Do(req)
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		defer resp.Body.Close()
		got, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("POST %s: response body: %v", path, err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST %s: status %s: %q", path, resp.Status, got)
		}
		if c.uploadUnverifiable {
			if !bytes.Equal(got, h3Content("1k")) {
				t.Fatalf("POST %s: the answer is not the file", path)
			}
			t.Logf("%d bytes taken (the server answers only once it has the whole body) in %v; "+
				"the server cannot report what it received", len(body), time.Since(start).Round(time.Millisecond))
			return
		}
		if want := h3UploadAnswer(body); string(got) != want {
			t.Fatalf("POST %s: server answered %q, want %q", path, got, want)
		}
		t.Logf("%d bytes, server's SHA-256 matches, in %v", len(body), time.Since(start).Round(time.Millisecond))
	})
}

// TestHTTP3QuicGoClientOurServer: quic-go's http3.Transport against our http3.Server.
func TestHTTP3QuicGoClientOurServer(t *testing.T) {
	_, _, stc, ctc := h3TLS(t, t.TempDir())
	port := startOurH3Server(t, stc)
	tr := &quicgohttp3.Transport{TLSClientConfig: ctc, QUICConfig: &quicgo.Config{MaxIdleTimeout: 30 * time.Second}}
	defer tr.Close()
	h3ClientCases(t, &h3Client{client: &http.Client{Transport: tr}, base: fmt.Sprintf("https://127.0.0.1:%d", port)})
}

// TestHTTP3OurClientQuicGoServer: our http3.Transport against quic-go's http3.Server.
func TestHTTP3OurClientQuicGoServer(t *testing.T) {
	_, _, stc, ctc := h3TLS(t, t.TempDir())
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &quicgohttp3.Server{Handler: h3Handler(), TLSConfig: stc,
		QUICConfig: &quicgo.Config{MaxIdleTimeout: 30 * time.Second, MaxIncomingStreams: 200}}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(pc) }()
	defer func() {
		srv.Close()
		pc.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("quic-go's Server.Serve did not return after Close")
		}
	}()
	tr := &http3.Transport{TLSClientConfig: ctc}
	defer tr.Close()
	port := pc.LocalAddr().(*net.UDPAddr).Port
	h3ClientCases(t, &h3Client{client: &http.Client{Transport: tr}, base: fmt.Sprintf("https://127.0.0.1:%d", port)})
}

// TestHTTP3OurClientNgtcp2Server: our http3.Transport against gtlsserver (ngtcp2 +
// nghttp3) serving the files from a directory.
func TestHTTP3OurClientNgtcp2Server(t *testing.T) {
	server := lookNgtcp2(t, "gtlsserver")
	dir := t.TempDir()
	certFile, keyFile, _, ctc := h3TLS(t, dir)
	htdocs := filepath.Join(dir, "htdocs")
	qlogDir := filepath.Join(dir, "qlog")
	for _, d := range []string{htdocs, qlogDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name := range h3Sizes() {
		if err := os.WriteFile(filepath.Join(htdocs, name), h3Content(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	port := freeUDPPort(t)
	var serverLog lockedBuffer
	cmd := exec.Command(server, "-q", "--htdocs="+htdocs, "--qlog-dir="+qlogDir,
		"127.0.0.1", strconv.Itoa(port), keyFile, certFile)
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
	waitUDPBound(t, port)

	tr := &http3.Transport{TLSClientConfig: ctc}
	defer tr.Close()
	h3ClientCases(t, &h3Client{client: &http.Client{Transport: tr}, base: fmt.Sprintf("https://127.0.0.1:%d", port),
		uploadUnverifiable: true})

	t.Run("QPACK-dynamic-table", func(t *testing.T) {
		// Server-initiated unidirectional streams of nghttp3: 3 control, 7 QPACK
		// encoder, 11 QPACK decoder. More than its stream type byte and a Set
		// Dynamic Table Capacity on the encoder stream means inserts. Closing our
		// connection makes gtlsserver finish the connection's qlog.
		tr.Close()
		var enc int64
		for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			files, _ := filepath.Glob(filepath.Join(qlogDir, "*"))
			enc = 0
			var err error
			for _, f := range files {
				var n int64
				if n, err = qlogStreamBytes(f, "transport:packet_sent", 7); err == nil {
					enc += n
				}
			}
			if enc > 4 {
				break
			}
			if time.Now().After(deadline) {
				if len(files) == 0 || err != nil {
					t.Skipf("gtlsserver wrote no readable qlog (%d files, %v)", len(files), err)
				}
				t.Fatalf("gtlsserver's QPACK encoder stream carried %d bytes: it used no dynamic table", enc)
			}
		}
		t.Logf("gtlsserver's QPACK encoder stream carried %d bytes (dynamic table inserts, decoded by our Transport)", enc)
		// And the other way, for information: gtlsserver's decoder stream acknowledges
		// the requests our Transport's encoder compressed with its dynamic table.
		var dec int64
		files, _ := filepath.Glob(filepath.Join(qlogDir, "*"))
		for _, f := range files {
			n, _ := qlogStreamBytes(f, "transport:packet_sent", 11)
			dec += n
		}
		t.Logf("gtlsserver's QPACK decoder stream carried %d bytes", dec)
	})
}

// TestHTTP3Ngtcp2ClientOurServer: gtlsclient (ngtcp2 + nghttp3) against our
// http3.Server.
func TestHTTP3Ngtcp2ClientOurServer(t *testing.T) {
	client := lookNgtcp2(t, "gtlsclient")
	dir := t.TempDir()
	_, _, stc, _ := h3TLS(t, dir)
	port := startOurH3Server(t, stc)
	base := fmt.Sprintf("https://127.0.0.1:%d", port)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// run runs gtlsclient with the URLs of paths and returns its download directory.
	run := func(t *testing.T, extra []string, paths ...string) string {
		t.Helper()
		out := t.TempDir()
		args := append([]string{"-q", "--exit-on-all-streams-close", "--download=" + out}, extra...)
		args = append(args, "127.0.0.1", strconv.Itoa(port))
		for _, p := range paths {
			args = append(args, base+p)
		}
		cctx, ccancel := context.WithTimeout(ctx, 30*time.Second)
		defer ccancel()
		cmd := exec.CommandContext(cctx, client, args...)
		log, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("gtlsclient %s: %v\n%s", strings.Join(paths[:min(len(paths), 3)], " "), err, log)
		}
		return out
	}
	check := func(t *testing.T, out, name string) {
		t.Helper()
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatalf("gtlsclient saved no /%s: %v", name, err)
		}
		if want := h3Content(name); !bytes.Equal(got, want) {
			t.Fatalf("/%s: gtlsclient got %d bytes, want %d, or the bytes differ", name, len(got), len(want))
		}
	}

	for _, name := range []string{"1k", "5m"} {
		t.Run("GET-"+name, func(t *testing.T) {
			start := time.Now()
			check(t, run(t, nil, "/"+name), name)
			t.Logf("%d bytes byte-exact in %v", len(h3Content(name)), time.Since(start).Round(time.Millisecond))
		})
	}
	parallel := make([]string, h3Parallel)
	for i := range parallel {
		parallel[i] = "/" + h3ParallelName(i)
	}
	t.Run("GET-parallel100", func(t *testing.T) {
		start := time.Now()
		out := run(t, nil, parallel...)
		for i := range h3Parallel {
			check(t, out, h3ParallelName(i))
		}
		t.Logf("%d GETs on one connection byte-exact in %v", h3Parallel, time.Since(start).Round(time.Millisecond))
	})
	t.Run("POST-1m", func(t *testing.T) {
		data := filepath.Join(dir, "upload.bin")
		body := h3UploadBody()
		if err := os.WriteFile(data, body, 0o644); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		out := run(t, []string{"--http-method=POST", "--data=" + data}, h3UploadPath)
		got, err := os.ReadFile(filepath.Join(out, strings.TrimPrefix(h3UploadPath, "/")))
		if err != nil {
			t.Fatalf("gtlsclient saved no answer to the POST: %v", err)
		}
		if want := h3UploadAnswer(body); string(got) != want {
			t.Fatalf("POST: our server answered %q, want %q", got, want)
		}
		t.Logf("%d bytes, our server's SHA-256 matches, in %v", len(body), time.Since(start).Round(time.Millisecond))
	})
	t.Run("QPACK-dynamic-table", func(t *testing.T) {
		// gtlsclient writes its requests as soon as the handshake is done, before
		// our SETTINGS (sent once the handshake is done) arrive, so its encoder
		// still sees a dynamic table capacity of 0. Delayed a little, requests
		// repeating :authority and user-agent are compressed against the dynamic
		// table, and our Server has to decode them: first 10 requests with a
		// qlog, which shows the inserts (ngtcp2 leaves out of its qlog a packet
		// with too many frames to log, as the first one of 100 requests is), then
		// all 100.
		qlog := filepath.Join(t.TempDir(), "client.qlog")
		out := run(t, []string{"--delay-stream=100ms", "--qlog-file=" + qlog}, parallel[:10]...)
		for i := range 10 {
			check(t, out, h3ParallelName(i))
		}
		out = run(t, []string{"--delay-stream=100ms"}, parallel...)
		for i := range h3Parallel {
			check(t, out, h3ParallelName(i))
		}
		// Client-initiated unidirectional streams of nghttp3: 2 control, 6 QPACK
		// encoder, 10 QPACK decoder. More than the stream type byte and a Set
		// Dynamic Table Capacity instruction on the encoder stream means inserts.
		enc, err := qlogStreamBytes(qlog, "transport:packet_sent", 6)
		if err != nil {
			t.Skipf("gtlsclient's qlog not readable: %v", err)
		}
		if enc <= 4 {
			t.Fatalf("gtlsclient's QPACK encoder stream carried %d bytes: it used no dynamic table", enc)
		}
		t.Logf("gtlsclient's QPACK encoder stream carried %d bytes (dynamic table inserts); "+
			"our Server decoded 10 then %d such requests", enc, h3Parallel)
	})
}

// qlogStreamBytes returns how far the data of stream id reached in the STREAM
// frames of the events named event in an ngtcp2 qlog (JSON text sequence).
func qlogStreamBytes(file, event string, id int64) (int64, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	var end int64
	records := 0
	for _, rec := range bytes.Split(b, []byte{0x1e}) {
		rec = bytes.TrimSpace(rec)
		if len(rec) == 0 {
			continue
		}
		var ev struct {
			Name string `json:"name"`
			Data struct {
				Frames []struct {
					Type     string `json:"frame_type"`
					StreamID int64  `json:"stream_id"`
					Offset   int64  `json:"offset"`
					Length   int64  `json:"length"`
				} `json:"frames"`
			} `json:"data"`
		}
		if err := json.Unmarshal(rec, &ev); err != nil {
			continue
		}
		records++
		if ev.Name != event {
			continue
		}
		for _, f := range ev.Data.Frames {
			if f.Type == "stream" && f.StreamID == id {
				end = max(end, f.Offset+f.Length)
			}
		}
	}
	if records == 0 {
		return 0, errors.New("no qlog records")
	}
	return end, nil
}

// waitUDPBound waits until a program has bound the loopback UDP port.
func waitUDPBound(t *testing.T, port int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		c, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			return // taken: the server is up
		}
		c.Close()
	}
	t.Fatalf("nothing bound UDP port %d within 5 s", port)
}

// lockedBuffer is a bytes.Buffer that a child process's output and the test can share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
