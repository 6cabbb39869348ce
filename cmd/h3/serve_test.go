package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/http3"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testServer is h3 serve running in-process.
type testServer struct {
	info           serveInfo
	url            string
	stdout, stderr *syncBuffer
	client         *http.Client
	tr             *http3.Transport
	stop           func() error // cancels runServe and returns its error
}

func startServe(t *testing.T, o serveOptions) *testServer {
	t.Helper()
	if o.addr == "" {
		o.addr = "127.0.0.1:0"
	}
	if o.logFormat == "" {
		o.logFormat = "json"
	}
	ts := &testServer{stdout: new(syncBuffer), stderr: new(syncBuffer)}
	ctx, cancel := context.WithCancel(context.Background())
	readyc := make(chan serveInfo, 1)
	done := make(chan error, 1)
	go func() {
		done <- runServe(ctx, o, ts.stdout, ts.stderr, func(i serveInfo) { readyc <- i })
	}()
	select {
	case ts.info = <-readyc:
	case err := <-done:
		cancel()
		if err != nil && (strings.Contains(err.Error(), "not implemented") || strings.Contains(err.Error(), "not supported")) {
			t.Skipf("no sockets here: %v", err)
		}
		t.Fatalf("runServe ended before it was ready: %v", err)
	}
	var once sync.Once
	var stopErr error
	ts.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(20 * time.Second):
				stopErr = fmt.Errorf("runServe did not return 20 s after its context ended")
			}
		})
		return stopErr
	}
	ts.url = fmt.Sprintf("https://127.0.0.1:%d", ts.info.Addr.Port)
	ts.tr = &http3.Transport{TLSClientConfig: &tls.Config{RootCAs: ts.info.Pool}}
	ts.client = &http.Client{Transport: ts.tr, Timeout: 20 * time.Second}
	t.Cleanup(func() {
		ts.tr.Close()
		if err := ts.stop(); err != nil {
			t.Errorf("runServe: %v", err)
		}
	})
	return ts
}

// do sends a request and returns the response with its body read.
func (ts *testServer) do(t *testing.T, method, path string, hdr http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, ts.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := ts.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return resp, b
}

// serveTree makes DIR/root with files, a directory to list, a directory with
// an index.html, and a secret next to root (outside it) with a symlink to it.
func serveTree(t *testing.T) (root string, file []byte) {
	t.Helper()
	dir := t.TempDir()
	root = filepath.Join(dir, "root")
	file = make([]byte, 300<<10)
	rand.Read(file)
	mustWrite := func(name string, data []byte) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mustWrite(filepath.Join(root, "file.bin"), file)
	mustWrite(filepath.Join(root, "list", "a.txt"), []byte("a"))
	mustWrite(filepath.Join(root, "list", "b.txt"), []byte("b"))
	mustWrite(filepath.Join(root, "site", "index.html"), []byte("<h1>the index</h1>\n"))
	mustWrite(filepath.Join(dir, "secret.txt"), []byte("TOP SECRET"))
	if runtime.GOOS != "wasip1" {
		if err := os.Symlink(filepath.Join(dir, "secret.txt"), filepath.Join(root, "link.txt")); err != nil {
			t.Logf("no symlink: %v", err)
		}
	}
	return root, file
}

func TestServeFiles(t *testing.T) {
	root, file := serveTree(t)
	ts := startServe(t, serveOptions{dir: root})

	resp, body := ts.do(t, "GET", "/file.bin", nil)
	if resp.StatusCode != 200 || !bytes.Equal(body, file) {
		t.Fatalf("GET /file.bin: %d, %d bytes (want 200, %d bytes byte-exact)", resp.StatusCode, len(body), len(file))
	}
	if resp.Proto != "HTTP/3.0" {
		t.Errorf("protocol %q", resp.Proto)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/octet-stream" {
		t.Errorf("Content-Type %q", ct)
	}
	etag, lastMod := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if etag == "" || lastMod == "" {
		t.Fatalf("no ETag (%q) or Last-Modified (%q)", etag, lastMod)
	}

	resp, body = ts.do(t, "GET", "/file.bin", http.Header{"Range": {"bytes=1000-1999"}})
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, file[1000:2000]) {
		t.Errorf("Range: %d, %d bytes", resp.StatusCode, len(body))
	}
	if cr := resp.Header.Get("Content-Range"); cr != fmt.Sprintf("bytes 1000-1999/%d", len(file)) {
		t.Errorf("Content-Range %q", cr)
	}
	resp, body = ts.do(t, "GET", "/file.bin", http.Header{"If-None-Match": {etag}})
	if resp.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Errorf("If-None-Match: %d, %d bytes", resp.StatusCode, len(body))
	}
	resp, _ = ts.do(t, "GET", "/file.bin", http.Header{"If-None-Match": {`"other"`}})
	if resp.StatusCode != 200 {
		t.Errorf("If-None-Match of another ETag: %d", resp.StatusCode)
	}
	resp, _ = ts.do(t, "GET", "/file.bin", http.Header{"If-Modified-Since": {lastMod}})
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-Modified-Since: %d", resp.StatusCode)
	}
	resp, body = ts.do(t, "HEAD", "/file.bin", nil)
	if resp.StatusCode != 200 || len(body) != 0 || resp.ContentLength != int64(len(file)) {
		t.Errorf("HEAD: %d, %d bytes, Content-Length %d", resp.StatusCode, len(body), resp.ContentLength)
	}

	resp, body = ts.do(t, "GET", "/list/", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `<a href="a.txt">a.txt</a>`) ||
		!strings.Contains(string(body), `<a href="b.txt">b.txt</a>`) {
		t.Errorf("directory listing: %d %q", resp.StatusCode, body)
	}
	resp, body = ts.do(t, "GET", "/site/", nil)
	if resp.StatusCode != 200 || string(body) != "<h1>the index</h1>\n" ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("index.html: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	// A directory without its slash is redirected, as http.FileServer does.
	req, _ := http.NewRequest("GET", ts.url+"/site", nil)
	r, err := ts.tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusMovedPermanently || r.Header.Get("Location") != "site/" {
		t.Errorf("GET /site: %d Location %q", r.StatusCode, r.Header.Get("Location"))
	}
	resp, _ = ts.do(t, "GET", "/missing.txt", nil)
	if resp.StatusCode != 404 {
		t.Errorf("missing file: %d", resp.StatusCode)
	}
}

// TestServeNoEscape asks for the file next to DIR in several ways.
func TestServeNoEscape(t *testing.T) {
	root, _ := serveTree(t)
	ts := startServe(t, serveOptions{dir: root})
	for _, p := range []string{"/../secret.txt", "/%2e%2e/secret.txt", "/list/../../secret.txt", "/..%2fsecret.txt", "/link.txt"} {
		req, err := http.NewRequest("GET", ts.url+p, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := ts.client.Do(req) // following redirects
		if err != nil {
			t.Logf("GET %s: %v", p, err) // a refused request is not an escape either
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 || bytes.Contains(b, []byte("SECRET")) {
			t.Errorf("GET %s: %d %q: escaped DIR", p, resp.StatusCode, b)
		}
		t.Logf("GET %s: %d (for %s)", p, resp.StatusCode, resp.Request.URL.Path)
	}
}

// accessEntry is a JSON access-log line.
type accessEntry struct {
	Time     time.Time `json:"time"`
	Level    string    `json:"level"`
	Msg      string    `json:"msg"`
	Remote   string    `json:"remote"`
	Method   string    `json:"method"`
	Path     string    `json:"path"`
	Protocol string    `json:"protocol"`
	Status   int       `json:"status"`
	Bytes    int64     `json:"bytes"`
	Duration int64     `json:"duration"`
	ZeroRTT  *bool     `json:"0rtt"`
}

func accessLogEntries(t *testing.T, out string) []accessEntry {
	t.Helper()
	var es []accessEntry
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		var e accessEntry
		if err := dec.Decode(&e); err != nil {
			t.Fatalf("access log line %q: %v", sc.Text(), err)
		}
		es = append(es, e)
	}
	return es
}

func TestServeAccessLog(t *testing.T) {
	root, file := serveTree(t)
	ts := startServe(t, serveOptions{dir: root})
	before := time.Now()
	ts.do(t, "GET", "/file.bin", nil)
	ts.do(t, "GET", "/missing", nil)
	var got []accessEntry
	for deadline := time.Now().Add(5 * time.Second); ; {
		// The handler logs after its last write: the line may trail the response.
		if got = accessLogEntries(t, ts.stdout.String()); len(got) >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(got) != 2 {
		t.Fatalf("%d access log lines; want 2:\n%s", len(got), ts.stdout.String())
	}
	e := got[0]
	if e.Msg != "request" || e.Method != "GET" || e.Path != "/file.bin" || e.Protocol != "HTTP/3.0" ||
		e.Status != 200 || e.Bytes != int64(len(file)) || e.ZeroRTT == nil || *e.ZeroRTT ||
		!strings.HasPrefix(e.Remote, "127.0.0.1:") || e.Duration <= 0 ||
		e.Time.Before(before.Add(-time.Second)) || e.Time.After(time.Now()) {
		t.Errorf("access log entry %+v", e)
	}
	if e := got[1]; e.Path != "/missing" || e.Status != 404 {
		t.Errorf("second entry %+v", e)
	}

	// The text format carries the same fields.
	ts2 := startServe(t, serveOptions{dir: root, logFormat: "text"})
	ts2.do(t, "GET", "/list/a.txt", nil)
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(ts2.stdout.String(), "\n") && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	line := ts2.stdout.String()
	for _, want := range []string{"time=", "msg=request", "remote=127.0.0.1:", "method=GET", "path=/list/a.txt",
		"protocol=HTTP/3.0", "status=200", "bytes=1", "duration=", "0rtt=false"} {
		if !strings.Contains(line, want) {
			t.Errorf("text access log %q lacks %q", line, want)
		}
	}
}

// TestServe0RTT resumes with 0-RTT: the log marks the request and the
// handshakes are counted by kind.
func TestServe0RTT(t *testing.T) {
	root, _ := serveTree(t)
	ts := startServe(t, serveOptions{dir: root, metrics: true, zeroRTT: true})
	ts.tr.Allow0RTT = true
	ts.tr.TLSClientConfig.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	ts.do(t, "GET", "/list/a.txt", nil)
	ts.do(t, "GET", "/list/b.txt", nil) // the session ticket has arrived by now
	ts.tr.CloseIdleConnections()
	resp, _ := ts.do(t, "GET", "/list/a.txt", nil)
	if !resp.TLS.DidResume {
		t.Fatal("the second connection did not resume")
	}
	var last accessEntry
	for deadline := time.Now().Add(5 * time.Second); ; {
		es := accessLogEntries(t, ts.stdout.String())
		if len(es) == 3 || time.Now().After(deadline) {
			last = es[len(es)-1]
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if last.ZeroRTT == nil || !*last.ZeroRTT {
		t.Errorf("resumed request not logged as 0-RTT: %+v", last)
	}
	var fams map[string]*metricFamily
	for deadline := time.Now().Add(5 * time.Second); ; {
		_, body := ts.do(t, "GET", "/metrics", nil)
		fams = parseExposition(t, string(body))
		if value(fams, "h3_handshakes_total", "kind", "0rtt") == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if full, zero := value(fams, "h3_handshakes_total", "kind", "full"), value(fams, "h3_handshakes_total", "kind", "0rtt"); full != 1 || zero != 1 {
		t.Errorf("handshakes: full %v, 0rtt %v; want 1 and 1", full, zero)
	}
}

func TestServeTCP(t *testing.T) {
	if runtime.GOOS == "wasip1" {
		t.Skip("no TCP listeners in wasip1")
	}
	root, file := serveTree(t)
	ts := startServe(t, serveOptions{dir: root, tcp: true})
	port := ts.info.Addr.Port
	if !strings.HasSuffix(ts.info.TCPAddr.String(), fmt.Sprint(":", port)) {
		t.Fatalf("TCP on %v, UDP on port %d", ts.info.TCPAddr, port)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ts.info.Pool}, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(ts.url + "/file.bin")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Proto != "HTTP/2.0" || !bytes.Equal(b, file) {
		t.Errorf("over TCP: %s, %d bytes", resp.Proto, len(b))
	}
	if got, want := resp.Header.Get("Alt-Svc"), fmt.Sprintf(`h3=":%d"; ma=86400`, port); got != want {
		t.Errorf("Alt-Svc %q; want %q", got, want)
	}
	if r, _ := ts.do(t, "GET", "/list/a.txt", nil); r.Header.Get("Alt-Svc") != "" {
		t.Errorf("an HTTP/3 response advertises HTTP/3: %q", r.Header.Get("Alt-Svc"))
	}
}

// TestServeShutdown stops the server and reads its summary line.
func TestServeShutdown(t *testing.T) {
	root, file := serveTree(t)
	ts := startServe(t, serveOptions{dir: root})
	ts.do(t, "GET", "/file.bin", nil)
	ts.do(t, "GET", "/list/a.txt", nil)
	if err := ts.stop(); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("served 2 requests, %s out, 0 bytes in, up ", formatBytes(uint64(len(file)+1)))
	if !strings.Contains(ts.stderr.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, ts.stderr.String())
	}
}

func TestServeUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--log-format", "xml"}, "--log-format must be text or json"},
		{[]string{"serve", "--cert", "c.pem"}, "--cert and --key go together"},
		{[]string{"serve", "a", "b"}, "usage: h3 serve"},
		{[]string{"serve", "--nope"}, "flag provided but not defined"},
		{[]string{"serve", "a", "--addr", ":0", "b"}, "usage: h3 serve"},
		{[]string{"serve", "a", "--nope"}, "flag provided but not defined"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(tc.args, &stdout, &stderr); code != 2 {
			t.Errorf("h3 %q: exit %d; want 2", tc.args, code)
		}
		if !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("h3 %q: stderr %q; want %q in it", tc.args, stderr.String(), tc.want)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"serve", "--addr", "127.0.0.1:0", "/nonexistent/dir"}, &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "/nonexistent/dir") {
		t.Errorf("missing DIR: exit %d, %q", code, stderr.String())
	}
	// Flags after DIR, and a DIR after "--".
	for _, args := range [][]string{
		{"serve", "/nonexistent/dir", "--addr", "127.0.0.1:0", "--log-format", "json"},
		{"serve", "--addr", "127.0.0.1:0", "--", "/nonexistent/dir"},
	} {
		stdout.Reset()
		stderr.Reset()
		if code := run(args, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "/nonexistent/dir") {
			t.Errorf("h3 %q: exit %d, %q; want 1 and the missing DIR", args, code, stderr.String())
		}
	}
}
