package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"github.com/h3wasi/h3wasi/wasi"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/http3"
	"github.com/h3wasi/h3wasi/internal/selfsigned"
	"github.com/h3wasi/h3wasi/quic"
)

// h3TestCert is the self-signed certificate of the test servers, for localhost
// and 127.0.0.1.
var h3TestCert = sync.OnceValue(func() tls.Certificate {
	cert, _ := selfsigned.MustFixed("h3 get test", []string{"localhost"}, net.IPv4(127, 0, 0, 1))
	return cert
})

// h3TestServer is an http3.Server on a UDP socket of 127.0.0.1.
type h3TestServer struct {
	srv    *http3.Server
	port   string
	url    string // https://localhost:port
	cacert string // PEM file of its certificate, for --cacert
	conns  atomic.Int64
}

// startH3TestServer serves h; configure may adjust the server before it starts.
func startH3TestServer(t testing.TB, h http.Handler, configure ...func(*http3.Server)) *h3TestServer {
	t.Helper()
	pc, err := wasi.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("no UDP sockets here (%v)", err)
	}
	ts := &h3TestServer{port: strconv.Itoa(pc.LocalAddr().(*net.UDPAddr).Port)}
	ts.url = "https://localhost:" + ts.port
	ts.srv = &http3.Server{
		Handler:   h,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{h3TestCert()}},
		ConnContext: func(ctx context.Context, _ *quic.Conn) context.Context {
			ts.conns.Add(1)
			return ctx
		},
	}
	for _, f := range configure {
		f(ts.srv)
	}
	ts.cacert = filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: h3TestCert().Certificate[0]})
	if err := os.WriteFile(ts.cacert, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- ts.srv.Serve(pc) }()
	t.Cleanup(func() {
		ts.srv.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("Serve did not return after Close")
		}
	})
	return ts
}

// h3Run runs h3 with args and returns its exit code, stdout and stderr.
func h3Run(t testing.TB, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// testPayload returns n deterministic bytes.
func testPayload(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// echoHandler answers with what it received: method, a few headers, the body's
// length and hash.
func echoHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sum := sha256.Sum256(body)
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("X-Served-By", "test")
		fmt.Fprintf(w, "method=%s host=%s ct=%q accept=%q ua=%q x=%q len=%d sha=%s query=%q",
			r.Method, r.Host, r.Header.Get("Content-Type"), r.Header.Get("Accept"), r.Header.Get("User-Agent"),
			r.Header.Get("X-Test"), len(body), hex.EncodeToString(sum[:8]), r.URL.RawQuery)
		if len(body) < 100 {
			fmt.Fprintf(w, " body=%q", body)
		}
	})
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Date", "Mon, 02 Jan 2006 15:04:05 GMT")
		io.WriteString(w, "hello")
	})
	mux.HandleFunc("/missing", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no such thing", http.StatusNotFound)
	})
	mux.HandleFunc("/redirect/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		if n <= 0 {
			fmt.Fprintf(w, "landed method=%s", r.Method)
			return
		}
		http.Redirect(w, r, "/redirect/"+strconv.Itoa(n-1), http.StatusFound)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	mux.HandleFunc("/see-other", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/echo", http.StatusSeeOther)
	})
	mux.HandleFunc("/temporary", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/echo", http.StatusTemporaryRedirect)
	})
	payload := testPayload(1 << 20)
	mux.HandleFunc("/big.bin", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
		w.Write(payload)
	})
	return mux
}

func TestGetRequests(t *testing.T) {
	ts := startH3TestServer(t, echoHandler())
	dir := t.TempDir()
	upload := filepath.Join(dir, "upload.bin")
	uploadData := testPayload(300 << 10)
	if err := os.WriteFile(upload, uploadData, 0o644); err != nil {
		t.Fatal(err)
	}
	uploadSum := sha256.Sum256(uploadData)
	form := filepath.Join(dir, "form.txt")
	os.WriteFile(form, []byte("a=1\nb=2\r\n"), 0o644)
	ca := ts.cacert
	u := ts.url

	for _, tc := range []struct {
		name string
		args []string
		want []string // in stdout, in order
		not  []string // not in stdout
	}{
		{"get", []string{"--cacert", ca, u + "/echo"},
			[]string{"method=GET host=localhost:" + ts.port, `accept="*/*"`, `ua="h3/`, "len=0"}, nil},
		{"scheme-less URL", []string{"--cacert", ca, "localhost:" + ts.port + "/hello"}, []string{"hello"}, nil},
		{"include", []string{"--cacert", ca, "-i", u + "/hello"},
			[]string{"HTTP/3 200\r\n", "content-type: text/plain\r\n", "\r\n\r\nhello"}, nil},
		{"head", []string{"--cacert", ca, "-I", u + "/hello"},
			[]string{"HTTP/3 200\r\n", "content-type: text/plain\r\n"}, []string{"hello"}},
		{"data", []string{"--cacert", ca, "-d", "a=1", "-d", "b=2", u + "/echo"},
			[]string{"method=POST", `ct="application/x-www-form-urlencoded"`, "len=7", `body="a=1&b=2"`}, nil},
		{"data from file strips newlines", []string{"--cacert", ca, "-d", "@" + form, u + "/echo"},
			[]string{`body="a=1b=2"`}, nil},
		{"data-binary keeps them", []string{"--cacert", ca, "--data-binary", "@" + form, u + "/echo"},
			[]string{`body="a=1\nb=2\r\n"`}, nil},
		{"data-urlencode", []string{"--cacert", ca, "--data-urlencode", "q=a b&c", u + "/echo"},
			[]string{`body="q=a+b%26c"`}, nil},
		{"get with data", []string{"--cacert", ca, "-G", "-d", "q=1", u + "/echo"},
			[]string{"method=GET", "len=0", `query="q=1"`}, nil},
		{"headers", []string{"--cacert", ca, "-H", "X-Test: yes", "-H", "Accept:", "-A", "tester/1", u + "/echo"},
			[]string{`accept=""`, `ua="tester/1"`, `x="yes"`}, nil},
		{"content-type of the user", []string{"--cacert", ca, "-H", "Content-Type: application/json", "-d", "{}", u + "/echo"},
			[]string{`ct="application/json"`, `body="{}"`}, nil},
		{"method", []string{"--cacert", ca, "-X", "PATCH", "-d", "x", u + "/echo"}, []string{"method=PATCH", "len=1"}, nil},
		{"upload", []string{"--cacert", ca, "-T", upload, u + "/echo"},
			[]string{"method=PUT", fmt.Sprintf("len=%d sha=%s", len(uploadData), hex.EncodeToString(uploadSum[:8]))}, nil},
		{"redirect not followed", []string{"--cacert", ca, "-i", u + "/redirect/2"},
			[]string{"HTTP/3 302", "location: /redirect/1"}, []string{"landed"}},
		{"redirects followed", []string{"--cacert", ca, "-L", u + "/redirect/3"}, []string{"landed method=GET"}, nil},
		{"redirects with headers", []string{"--cacert", ca, "-L", "-i", u + "/redirect/1"},
			[]string{"HTTP/3 302", "location: /redirect/0", "HTTP/3 200", "landed"}, nil},
		{"303 turns POST into GET", []string{"--cacert", ca, "-L", "-d", "x=1", u + "/see-other"},
			[]string{"method=GET", `ct=""`, "len=0"}, nil},
		{"307 keeps POST and body", []string{"--cacert", ca, "-L", "-d", "x=1", u + "/temporary"},
			[]string{"method=POST", "len=3"}, nil},
		{"resolve", []string{"-k", "--resolve", "h3.test:" + ts.port + ":127.0.0.1", "https://h3.test:" + ts.port + "/echo"},
			[]string{"host=h3.test:" + ts.port}, nil},
		{"connect-to keeps the server name", []string{"--cacert", ca, "--connect-to", "localhost:1:127.0.0.1:" + ts.port, "https://localhost:1/echo"},
			[]string{"host=localhost:1"}, nil},
		{"fail-with-body", []string{"--cacert", ca, "--fail-with-body", u + "/missing"}, []string{"no such thing"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := h3Run(t, append([]string{"get"}, tc.args...)...)
			wantCode := 0
			if tc.name == "fail-with-body" {
				wantCode = 22
			}
			if code != wantCode {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, wantCode, stderr)
			}
			rest := stdout
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("stdout %q: want %q (in this order)", stdout, w)
				}
				rest = rest[i+len(w):]
			}
			for _, w := range tc.not {
				if strings.Contains(stdout, w) {
					t.Errorf("stdout %q: %q should not be there", stdout, w)
				}
			}
		})
	}
}

// TestGetVerbose checks -v's trace line by line.
func TestGetVerbose(t *testing.T) {
	ts := startH3TestServer(t, echoHandler())
	code, stdout, stderr := h3Run(t, "get", "-v", "--cacert", ts.cacert, "-H", "X-Test: yes", ts.url+"/hello?x=1")
	if code != 0 || stdout != "hello" {
		t.Fatalf("exit %d, stdout %q; stderr:\n%s", code, stdout, stderr)
	}
	p := regexp.QuoteMeta(ts.port)
	want := []string{
		`\*   Trying 127\.0\.0\.1:` + p + `\.\.\.`,
		`\* Connected to localhost \(127\.0\.0\.1\) port ` + p,
		`\* using HTTP/3`,
		`\* QUIC version 1, ALPN: server accepted h3`,
		`\* SSL connection using TLSv1\.3 / TLS_[A-Z0-9_]+ / \w+`,
		`\* Server certificate:`,
		`\*  subject: CN=h3 get test`,
		`\*  start date: Jan  1 00:00:00 2020 GMT`,
		`\*  expire date: Jan  1 00:00:00 2100 GMT`,
		`\*  issuer: CN=h3 get test`,
		`\*  SSL certificate verify ok\.`,
		`\* 0-RTT: not used`,
		`> GET /hello\?x=1 HTTP/3`,
		`> host: localhost:` + p,
		`> user-agent: h3/\S+`,
		`> accept: \*/\*`,
		`> x-test: yes`,
		`>`,
		`< HTTP/3 200`,
		`< content-length: 5`,
		`< content-type: text/plain`,
		`< date: Mon, 02 Jan 2006 15:04:05 GMT`,
		`<`,
	}
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	for i, w := range want {
		if i >= len(lines) {
			t.Fatalf("stderr ends at line %d, want %q:\n%s", i, w, stderr)
		}
		if !regexp.MustCompile("^" + w + "$").MatchString(lines[i]) {
			t.Errorf("stderr line %d: %q, want /%s/", i, lines[i], w)
		}
	}
	if len(lines) != len(want) {
		t.Errorf("stderr has %d lines, want %d:\n%s", len(lines), len(want), stderr)
	}

	// -k says so; a second URL to the same authority reuses the connection.
	_, _, stderr = h3Run(t, "get", "-v", "-k", ts.url+"/hello", ts.url+"/hello")
	for _, w := range []string{"*  SSL certificate verification skipped (-k)\n", "* Re-using existing connection with host localhost\n"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr)
		}
	}
}

// refusedCode is the exit code of a dial to a port nobody listens on: 7, when
// the ICMP error shows (Linux); elsewhere the handshake times out.
var refusedCode = map[bool]int{true: 7, false: 28}[runtime.GOOS == "linux"]

// TestGetExitCodes provokes each failure and checks curl's exit code and message.
func TestGetExitCodes(t *testing.T) {
	ts := startH3TestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/sleep":
			<-r.Context().Done()
		case "/missing":
			http.Error(w, "no such thing", http.StatusNotFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		default:
			io.WriteString(w, "ok")
		}
	}))
	// A port nobody listens on.
	pc, err := wasi.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadPort := strconv.Itoa(pc.LocalAddr().(*net.UDPAddr).Port)
	pc.Close()
	// A port that swallows datagrams.
	hole, err := wasi.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hole.Close()
	holePort := strconv.Itoa(hole.LocalAddr().(*net.UDPAddr).Port)

	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string // the message, after "h3: (code) "
		maxDur time.Duration
	}{
		{"usage", []string{"--bogus", ts.url}, 2, "option --bogus: is unknown", 0},
		{"no URL", []string{"-s"}, 2, "no URL specified", 0},
		{"missing parameter", []string{ts.url, "-o"}, 2, "option -o: requires parameter", 0},
		{"unsupported protocol", []string{"http://localhost/"}, 1, `Protocol "http" not supported`, 0},
		{"resolve", []string{"https://nonexistent.invalid/"}, 6, "Could not resolve host: nonexistent.invalid", 0},
		{"connect", []string{"--connect-timeout", "0.3", "https://127.0.0.1:" + deadPort + "/"}, refusedCode,
			"Failed to connect to 127.0.0.1 port " + deadPort + " after ", 5 * time.Second},
		{"connect-timeout", []string{"--connect-timeout", "0.3", "https://127.0.0.1:" + holePort + "/"}, 28,
			"Failed to connect to 127.0.0.1 port " + holePort + " after ", 5 * time.Second},
		{"max-time", []string{"--cacert", ts.cacert, "--max-time", "0.5", ts.url + "/sleep"}, 28,
			"Operation timed out after ", 5 * time.Second},
		{"fail", []string{"--cacert", ts.cacert, "-f", ts.url + "/missing"}, 22, "The requested URL returned error: 404", 0},
		{"untrusted certificate", []string{ts.url + "/"}, 35, "SSL certificate problem: x509: certificate signed by unknown authority", 0},
		{"wrong name", []string{"--cacert", ts.cacert, "--resolve", "h3.test:" + ts.port + ":127.0.0.1", "https://h3.test:" + ts.port + "/"}, 35,
			"SSL certificate problem: x509: certificate is valid for localhost, not h3.test", 0},
		{"too many redirects", []string{"--cacert", ts.cacert, "-L", "--max-redirs", "3", ts.url + "/loop"}, 47, "Maximum (3) redirects followed", 0},
		{"missing upload", []string{"--cacert", ts.cacert, "-T", "/nonexistent/file", ts.url + "/"}, 26, "Failed to open/read local data", 0},
		{"bad cacert", []string{"--cacert", "/nonexistent/ca.pem", ts.url + "/"}, 77, "error setting certificate file", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			code, stdout, stderr := h3Run(t, append([]string{"get"}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			prefix := fmt.Sprintf("h3: (%d) ", tc.code)
			if !strings.HasPrefix(stderr, prefix+tc.stderr) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr %q, want one line starting %q", stderr, prefix+tc.stderr)
			}
			if tc.code == 22 && stdout != "" {
				t.Errorf("-f wrote the body: %q", stdout)
			}
			if d := time.Since(start); tc.maxDur > 0 && d > tc.maxDur {
				t.Errorf("took %v", d)
			}
			// -s silences the message; -S brings it back.
			if _, _, stderr := h3Run(t, append([]string{"get", "-s"}, tc.args...)...); stderr != "" && tc.code != 2 {
				t.Errorf("-s: stderr %q", stderr)
			}
		})
	}
}

// TestGetOutputFile downloads 1 MiB to a file, byte for byte, with -o and -O.
func TestGetOutputFile(t *testing.T) {
	ts := startH3TestServer(t, echoHandler())
	dir := t.TempDir()
	t.Chdir(dir)
	out := filepath.Join(dir, "out.bin")
	code, stdout, stderr := h3Run(t, "get", "--cacert", ts.cacert, "-o", out, ts.url+"/big.bin", "-O", ts.url+"/big.bin")
	if code != 0 || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
	want := testPayload(1 << 20)
	for _, name := range []string{out, filepath.Join(dir, "big.bin")} {
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes differ from the %d sent", name, len(got), len(want))
		}
	}
	// -f creates no file.
	missing := filepath.Join(dir, "missing")
	if code, _, _ := h3Run(t, "get", "-s", "--cacert", ts.cacert, "-f", "-o", missing, ts.url+"/missing"); code != 22 {
		t.Errorf("exit %d", code)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Errorf("-f created the output file")
	}
	// -O without a file name in the URL.
	if code, _, stderr := h3Run(t, "get", "--cacert", ts.cacert, "-O", ts.url+"/"); code != 23 || !strings.Contains(stderr, "Remote file name has no length") {
		t.Errorf("-O on /: exit %d, stderr %q", code, stderr)
	}
}

// TestGetWriteOut checks -w's variables and escapes.
func TestGetWriteOut(t *testing.T) {
	ts := startH3TestServer(t, echoHandler())
	format := `code=%{http_code} v=%{http_version} size=%{size_download} connect=%{time_connect} start=%{time_starttransfer} ` +
		`total=%{time_total} speed=%{speed_download} ip=%{remote_ip} redirs=%{num_redirects} ct=%{content_type} ` +
		`h=%header{x-served-by} method=%{method} 100%%\tend\n`
	code, stdout, stderr := h3Run(t, "get", "-s", "--cacert", ts.cacert, "-o", filepath.Join(t.TempDir(), "x"), "-L", "-w", format, ts.url+"/redirect/1")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	re := regexp.MustCompile(`^code=200 v=3 size=(\d+) connect=(\d+\.\d{6}) start=(\d+\.\d{6}) total=(\d+\.\d{6}) speed=(\d+) ` +
		`ip=127\.0\.0\.1 redirs=1 ct=text/plain; charset=utf-8 h= method=GET 100%\tend\n$`)
	m := re.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("-w printed %q", stdout)
	}
	if m[1] != strconv.Itoa(len("landed method=GET")) {
		t.Errorf("size_download %s", m[1])
	}
	connect, _ := strconv.ParseFloat(m[2], 64)
	start, _ := strconv.ParseFloat(m[3], 64)
	total, _ := strconv.ParseFloat(m[4], 64)
	if !(connect > 0 && connect <= start && start <= total) {
		t.Errorf("times out of order: connect %v, starttransfer %v, total %v", connect, start, total)
	}
	// A failure still prints -w, with code 000.
	_, stdout, _ = h3Run(t, "get", "-s", "-w", "%{http_code} %{exitcode}", "https://nonexistent.invalid/")
	if stdout != "000 6" {
		t.Errorf("-w after a failure: %q", stdout)
	}
	// -w to stderr, and a response header.
	_, stdout, stderr = h3Run(t, "get", "-s", "--cacert", ts.cacert, "-w", "%{stderr}%header{x-served-by}", ts.url+"/echo")
	if !strings.HasPrefix(stdout, "method=GET") || stderr != "test" {
		t.Errorf("stdout %q, stderr %q", stdout, stderr)
	}
}

// TestGetRetry retries a handler that fails twice.
func TestGetRetry(t *testing.T) {
	var calls atomic.Int32
	ts := startH3TestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n := calls.Add(1); n <= 2 {
			http.Error(w, "busy "+strconv.Itoa(int(n)), http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "finally")
	}))
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		calls  int32
		warns  int
	}{
		{"no retry", nil, 0, "busy 1\n", 1, 0},
		{"no retry, fail", []string{"-f"}, 22, "", 1, 0},
		{"retry", []string{"--retry", "3", "--retry-delay", "0.001"}, 0, "finally", 3, 2},
		{"too few retries", []string{"--retry", "1", "--retry-delay", "0.001"}, 0, "busy 2\n", 2, 1},
		{"too few retries, fail", []string{"-f", "--retry", "1", "--retry-delay", "0.001"}, 22, "", 2, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls.Store(0)
			args := append([]string{"get", "--cacert", ts.cacert}, tc.args...)
			code, stdout, stderr := h3Run(t, append(args, ts.url+"/")...)
			if code != tc.code || stdout != tc.stdout {
				t.Errorf("exit %d, stdout %q; want %d, %q; stderr:\n%s", code, stdout, tc.code, tc.stdout, stderr)
			}
			if n := calls.Load(); n != tc.calls {
				t.Errorf("%d requests, want %d", n, tc.calls)
			}
			if n := strings.Count(stderr, "Warning: Problem: HTTP error 503. Will retry in 0.001 seconds."); n != tc.warns {
				t.Errorf("%d retry warnings, want %d:\n%s", n, tc.warns, stderr)
			}
		})
	}
	// A transient connection failure is retried too.
	pc, err := wasi.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadPort := strconv.Itoa(pc.LocalAddr().(*net.UDPAddr).Port)
	pc.Close()
	code, _, stderr := h3Run(t, "get", "--retry", "1", "--retry-delay", "0.001", "--connect-timeout", "0.2", "https://127.0.0.1:"+deadPort+"/")
	if code != refusedCode || strings.Count(stderr, "Will retry") != 1 {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

// TestGetParallel fetches URLs concurrently over one connection (-Z): the handler
// answers only once all the requests are in, which needs them concurrent.
func TestGetParallel(t *testing.T) {
	const n = 6
	var arrived sync.WaitGroup
	arrived.Add(n)
	all := make(chan struct{})
	go func() { arrived.Wait(); close(all) }()
	ts := startH3TestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Done()
		select {
		case <-all:
			fmt.Fprintf(w, "[%s together]", r.URL.Path)
		case <-time.After(10 * time.Second):
			fmt.Fprintf(w, "[%s alone]", r.URL.Path)
		}
	}))
	args := []string{"get", "-Z", "--cacert", ts.cacert, "-v"}
	want := ""
	for i := range n {
		args = append(args, fmt.Sprintf("%s/%d", ts.url, i))
		want += fmt.Sprintf("[/%d together]", i)
	}
	code, stdout, stderr := h3Run(t, args...)
	if code != 0 || stdout != want {
		t.Fatalf("exit %d, stdout %q, want %q; stderr:\n%s", code, stdout, want, stderr)
	}
	if c := ts.conns.Load(); c != 1 {
		t.Errorf("%d connections, want 1", c)
	}
	// Each transfer's -v output comes whole, in URL order.
	blocks := strings.Split(stderr, "> GET /")
	if len(blocks) != n+1 {
		t.Fatalf("stderr:\n%s", stderr)
	}
	for i, b := range blocks[1:] {
		if !strings.HasPrefix(b, strconv.Itoa(i)+" HTTP/3\n") {
			t.Errorf("request %d out of order: %q", i, b[:min(len(b), 20)])
		}
	}
}

// TestGetProgress draws the progress bar only when stderr is a terminal.
func TestGetProgress(t *testing.T) {
	ts := startH3TestServer(t, echoHandler())
	out := filepath.Join(t.TempDir(), "out.bin")
	defer func(f func(io.Writer) bool) { writerIsTerminal = f }(writerIsTerminal)
	for _, tc := range []struct {
		name     string
		terminal bool
		args     []string
		bar      bool
	}{
		{"terminal", true, nil, true},
		{"not a terminal", false, nil, false},
		{"silent", true, []string{"-s"}, false},
		{"no-progress-meter", true, []string{"--no-progress-meter"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			writerIsTerminal = func(w io.Writer) bool { return tc.terminal && w == &stderr }
			args := append([]string{"get", "--cacert", ts.cacert, "-o", out}, tc.args...)
			if code := run(append(args, ts.url+"/big.bin"), &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			s := stderr.String()
			if !tc.bar {
				if s != "" {
					t.Errorf("stderr %q, want nothing", s)
				}
				return
			}
			if !strings.HasPrefix(s, "\r") || !strings.HasSuffix(s, "\n") ||
				!strings.Contains(s, "100.0% [==============================]    1.0 MiB / 1.0 MiB") {
				t.Errorf("stderr %q, want a finished bar", s)
			}
		})
	}
	// No bar over a body written to the same terminal.
	var stdout, stderr bytes.Buffer
	writerIsTerminal = func(io.Writer) bool { return true }
	if code := run([]string{"get", "--cacert", ts.cacert, ts.url + "/hello"}, &stdout, &stderr); code != 0 || stderr.Len() != 0 {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

// TestGet0RTT keeps the TLS session in a file: the second run resumes it and
// sends its request in 0-RTT data.
func TestGet0RTT(t *testing.T) {
	type seen struct{ resumed, early bool }
	reqs := make(chan seen, 10)
	ts := startH3TestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqs <- seen{r.TLS.DidResume, http3.IsEarlyData(r)}
		io.WriteString(w, "ok")
	}), func(s *http3.Server) { s.QUICConfig = &quic.Config{Allow0RTT: true} })
	file := filepath.Join(t.TempDir(), "sessions")
	args := []string{"get", "-v", "--0rtt", "--session-file", file, "--cacert", ts.cacert, ts.url + "/"}

	code, stdout, stderr := h3Run(t, args...)
	if code != 0 || stdout != "ok" {
		t.Fatalf("first run: exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
	if s := <-reqs; s.resumed || s.early {
		t.Errorf("first run: %+v", s)
	}
	if strings.Contains(stderr, "* TLS session resumed") || !strings.Contains(stderr, "* 0-RTT: not used\n") {
		t.Errorf("first run:\n%s", stderr)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("session file: %v %v", fi, err)
	}

	code, stdout, stderr = h3Run(t, args...)
	if code != 0 || stdout != "ok" {
		t.Fatalf("second run: exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
	// The request itself rides in 0-RTT data unless the handshake (quick on
	// loopback) completed before it was written.
	if s := <-reqs; !s.resumed {
		t.Errorf("second run: server saw %+v, want a resumed session; stderr:\n%s", s, stderr)
	} else if !s.early {
		t.Logf("second run: the handshake completed before the request was written")
	}
	for _, w := range []string{"* TLS session resumed\n", "* 0-RTT: used, the server accepted the early data\n"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("second run: stderr lacks %q:\n%s", w, stderr)
		}
	}

	// Without --0rtt the session file still resumes, after a full round trip.
	code, _, stderr = h3Run(t, "get", "-v", "--session-file", file, "--cacert", ts.cacert, ts.url+"/")
	if s := <-reqs; code != 0 || !s.resumed || s.early {
		t.Errorf("third run: exit %d, server saw %+v; stderr:\n%s", code, s, stderr)
	}
}

func TestGetParseRules(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"example.com:443:127.0.0.1", "example.com 443 [127.0.0.1]"},
		{"example.com:443:[::1],10.0.0.1", "example.com 443 [::1 10.0.0.1]"},
		{"*:*:127.0.0.1", "* * [127.0.0.1]"},
		{"[::1]:8443:::1", "::1 8443 [::1]"},
		{"example.com:443", "error"},
		{"example.com:0:127.0.0.1", "error"},
		{"example.com:443:not-an-ip", "error"},
	} {
		r, err := parseResolve(tc.in)
		got := fmt.Sprintf("%s %s %v", r.host, r.port, r.addrs)
		if err != nil {
			got = "error"
		}
		if got != tc.want {
			t.Errorf("parseResolve(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"a:443:b:8443", "a|443|b|8443"},
		{"::b:", "||b|"},
		{"[::1]:443:[::2]:444", "::1|443|::2|444"},
		{"a:443:b", "error"},
		{"a:x:b:1", "error"},
	} {
		r, err := parseConnectTo(tc.in)
		got := strings.Join([]string{r.host1, r.port1, r.host2, r.port2}, "|")
		if err != nil {
			got = "error"
		}
		if got != tc.want {
			t.Errorf("parseConnectTo(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
	// Bundled short options, attached values and options after the URL.
	o, err := parseGetArgs([]string{"-sSfL", "-ofile", "https://x/", "--max-time=1.5", "-XPUT", "-m", "2"})
	if err != nil {
		t.Fatal(err)
	}
	if !o.silent || !o.showError || !o.fail || !o.follow || len(o.outputs) != 1 || o.outputs[0].file != "file" ||
		o.method != "PUT" || o.maxTime != 2*time.Second || len(o.urls) != 1 {
		t.Errorf("parsed %+v", o)
	}
}

// TestGetKeyLog logs the TLS secrets to $SSLKEYLOGFILE.
func TestGetKeyLog(t *testing.T) {
	ts := startH3TestServer(t, echoHandler())
	file := filepath.Join(t.TempDir(), "keys")
	t.Setenv("SSLKEYLOGFILE", file)
	if code, _, stderr := h3Run(t, "get", "--cacert", ts.cacert, ts.url+"/hello"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"CLIENT_HANDSHAKE_TRAFFIC_SECRET ", "SERVER_HANDSHAKE_TRAFFIC_SECRET ", "CLIENT_TRAFFIC_SECRET_0 "} {
		if !bytes.Contains(b, []byte(w)) {
			t.Errorf("key log lacks %q:\n%s", w, b)
		}
	}
}
