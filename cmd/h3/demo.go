package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/h3wasi/h3wasi/http3"
	"github.com/h3wasi/h3wasi/internal/selfsigned"
	"github.com/h3wasi/h3wasi/quic"
	"github.com/h3wasi/h3wasi/wasihost"
)

// The guests the demo compiles to WebAssembly; their sources build unchanged
// for wasip1.
const (
	// demoHTTPPackage is the HTTP/3 server of h3 demo.
	demoHTTPPackage = "github.com/h3wasi/h3wasi/examples/h3server"
	// demoPackage is the QUIC echo server of h3 demo --quic.
	demoPackage = "github.com/h3wasi/h3wasi/examples/quicecho"
)

// demoALPN must match examples/quicecho.
const demoALPN = "quicecho"

// demoOptions are h3 demo's flags.
type demoOptions struct {
	quic     bool // the QUIC echo demo instead of HTTP/3
	size     int  // bytes of the bulk transfer
	parallel int  // parallel requests (streams with quic)
	offload  bool // build the guest with -tags h3wasi_offload
}

// demoMain compiles an example server for GOOS=wasip1, runs it inside
// WebAssembly under wasihost with loopback-only sockets, and talks to it from
// the native client: HTTP/3 requests to examples/h3server, or with --quic
// echoes on raw QUIC streams to examples/quicecho.
func demoMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("h3 demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o demoOptions
	fs.BoolVar(&o.quic, "quic", false, "the QUIC echo demo (examples/quicecho) instead of HTTP/3 (examples/h3server)")
	fs.IntVar(&o.size, "size", 4<<20, "bytes of the bulk transfer")
	fs.IntVar(&o.parallel, "parallel", 100, "parallel requests (with --quic, streams)")
	fs.IntVar(&o.parallel, "streams", 100, "the same as --parallel")
	fs.BoolVar(&o.offload, "offload", true, "build the guest with the h3wasi_offload tag, so that the host seals and opens its packets and sends runs of datagrams natively")
	fs.BoolVar(&o.offload, "hostcrypto", true, "the same as --offload (its older name)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || o.size < 0 || o.parallel < 1 {
		fmt.Fprintln(stderr, "usage: h3 demo [--quic] [--size BYTES] [--parallel N] [--offload=false]")
		return 2
	}
	var err error
	if o.quic {
		err = runDemo(context.Background(), stdout, stderr, o.size, o.parallel, o.offload)
	} else {
		err = runHTTPDemo(context.Background(), stdout, stderr, o)
	}
	if err != nil {
		fmt.Fprintln(stderr, "h3 demo:", err)
		return 1
	}
	return 0
}

// demoGuest is an example server running in WebAssembly.
type demoGuest struct {
	proc   *wasihost.Process
	addr   string
	pool   *x509.CertPool // trusts the guest's certificate
	wasm   int            // module size, bytes
	outMu  sync.Mutex
	out    bytes.Buffer  // the module's stdout and stderr
	listen chan struct{} // closed when the module printed "listening on"
}

// startDemoGuest compiles pkg for wasip1 into dir and runs it under wasihost
// with args followed by -addr, -cert and -key (a fresh self-signed
// certificate in dir, mounted read-only at /demo), sockets on loopback only.
// The module stops when ctx ends.
func startDemoGuest(ctx context.Context, stdout, stderr io.Writer, dir, pkg string, offload bool, args ...string) (*demoGuest, error) {
	name := pkg[strings.LastIndexByte(pkg, '/')+1:]
	wasmPath := filepath.Join(dir, name+".wasm")
	buildArgs := []string{"build", "-trimpath", "-o", wasmPath}
	how := "packet crypto in the guest (pure Go), one host call per datagram"
	if offload {
		buildArgs = append(buildArgs, "-tags", "h3wasi_offload")
		how = "packet crypto and segmented sends by the host (h3wasi_offload)"
	}
	fmt.Fprintf(stdout, "building examples/%s for GOOS=wasip1 GOARCH=wasm, %s ...\n", name, how)
	begin := time.Now()
	build := exec.CommandContext(ctx, "go", append(buildArgs, pkg)...)
	build.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	build.Stdout, build.Stderr = stderr, stderr
	if err := build.Run(); err != nil {
		return nil, fmt.Errorf("building %s for wasip1 (h3 demo needs the go command and runs in this module's source tree): %w", pkg, err)
	}
	wasm, err := os.ReadFile(wasmPath)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stdout, "built %.1f MiB of WebAssembly in %v\n", float64(len(wasm))/(1<<20), time.Since(begin).Round(time.Millisecond))
	pool, err := writeDemoCert(dir)
	if err != nil {
		return nil, err
	}
	addr, err := freeUDPAddr()
	if err != nil {
		return nil, err
	}
	g := &demoGuest{addr: addr, pool: pool, wasm: len(wasm), listen: make(chan struct{})}
	w := &listenWatcher{w: lockedWriter{&g.outMu, &g.out}, done: g.listen}
	cfg := wasihost.Config{
		Args:   append(append([]string{name}, args...), "-addr", addr, "-cert", "/demo/cert.pem", "-key", "/demo/key.pem"),
		Stdout: w,
		Stderr: w,
		Dirs:   []wasihost.Dir{{Host: dir, Guest: "/demo", ReadOnly: true}},
		// Our own example, built just now: skip wazero's per-loop checks.
		Trusted: true,
	}
	if d, err := os.UserCacheDir(); err == nil {
		cfg.CacheDir = filepath.Join(d, "h3wasi-wasm") // shared with wasmexec: compiled modules
	}
	g.proc, err = wasihost.Start(ctx, wasm, cfg)
	if err != nil {
		return nil, err
	}
	return g, nil
}

// output returns what the module printed.
func (g *demoGuest) output() string {
	g.outMu.Lock()
	defer g.outMu.Unlock()
	return g.out.String()
}

// waitListening waits until the module says it listens, exits, or 60 s pass.
func (g *demoGuest) waitListening(ctx context.Context) error {
	t := time.NewTimer(60 * time.Second)
	defer t.Stop()
	select {
	case <-g.listen:
		return nil
	case <-g.proc.Done():
		code, err := g.proc.Wait()
		return fmt.Errorf("the wasm server exited (status %d, %v) before listening; its output:\n%s", code, err, g.output())
	case <-t.C:
		return fmt.Errorf("the wasm server did not listen within 60 s; its output:\n%s", g.output())
	case <-ctx.Done():
		return ctx.Err()
	}
}

// listenWatcher passes output on and closes done at the first "listening on".
type listenWatcher struct {
	w    io.Writer
	mu   sync.Mutex
	seen bool
	tail []byte
	done chan struct{}
}

func (l *listenWatcher) Write(p []byte) (int, error) {
	l.mu.Lock()
	if !l.seen {
		l.tail = append(l.tail, p...)
		if bytes.Contains(l.tail, []byte("listening on")) {
			l.seen, l.tail = true, nil
			close(l.done)
		} else if len(l.tail) > 64 {
			l.tail = slices.Clone(l.tail[len(l.tail)-64:])
		}
	}
	l.mu.Unlock()
	return l.w.Write(p)
}

// runHTTPDemo runs examples/h3server in WebAssembly and sends it HTTP/3
// requests with the native http3.Transport: a page, a JSON API, a bulk
// download and parallel requests.
func runHTTPDemo(ctx context.Context, stdout, stderr io.Writer, o demoOptions) error {
	dir, err := os.MkdirTemp("", "h3demo")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, err := startDemoGuest(ctx, stdout, stderr, dir, demoHTTPPackage, o.offload, "-log=false")
	if err != nil {
		return err
	}
	start := time.Now()
	if err := g.waitListening(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "server: examples/h3server inside WebAssembly (wazero, wasihost), listening on %s after %v; sockets limited to loopback\n",
		g.addr, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stdout, "client: the native http3.Transport (%s/%s)\n\n", runtime.GOOS, runtime.GOARCH)

	tr := &http3.Transport{TLSClientConfig: &tls.Config{RootCAs: g.pool}}
	defer tr.Close()
	client := &http.Client{Transport: tr, Timeout: time.Minute}
	base := "https://" + g.addr
	fail := func(err error) error {
		return fmt.Errorf("%w\nserver output:\n%s", err, g.output())
	}

	// A page, on a new connection: the handshake is part of its time.
	var connAt time.Time
	req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { connAt = time.Now() },
	}), "GET", base+"/", nil)
	begin := time.Now()
	resp, body, err := demoDo(client, req)
	if err != nil {
		return fail(err)
	}
	took := time.Since(begin)
	fmt.Fprintf(stdout, "GET %s/\n  %s %s, %d bytes in %v", base, resp.Proto, resp.Status, len(body), took.Round(10*time.Microsecond))
	if !connAt.IsZero() {
		fmt.Fprintf(stdout, " (the QUIC and TLS handshake took %v of it)", connAt.Sub(begin).Round(10*time.Microsecond))
	}
	fmt.Fprintln(stdout)
	for _, h := range []string{"Content-Type", "Content-Length", "Server"} {
		fmt.Fprintf(stdout, "  %s: %s\n", strings.ToLower(h), resp.Header.Get(h))
	}
	if s := resp.TLS; s != nil {
		fmt.Fprintf(stdout, "  protocol: HTTP/3 over QUIC, %s, %s, ALPN %q\n",
			tls.VersionName(s.Version), tls.CipherSuiteName(s.CipherSuite), s.NegotiatedProtocol)
	}
	if resp.StatusCode != 200 || resp.Proto != "HTTP/3.0" {
		return fail(fmt.Errorf("GET /: %s %s", resp.Proto, resp.Status))
	}

	// The JSON API.
	req, _ = http.NewRequestWithContext(ctx, "GET", base+"/api/time", nil)
	begin = time.Now()
	resp, body, err = demoDo(client, req)
	if err != nil {
		return fail(err)
	}
	var compact bytes.Buffer
	json.Compact(&compact, body)
	fmt.Fprintf(stdout, "GET /api/time\n  %s in %v: %s\n", resp.Status, time.Since(begin).Round(10*time.Microsecond), compact.Bytes())

	msg := `{"hello":"from the host","n":42}`
	req, _ = http.NewRequestWithContext(ctx, "POST", base+"/api/echo", strings.NewReader(msg))
	req.Header.Set("Content-Type", "application/json")
	begin = time.Now()
	resp, body, err = demoDo(client, req)
	if err != nil {
		return fail(err)
	}
	var echo struct {
		Body    json.RawMessage `json:"body"`
		Proto   string          `json:"proto"`
		Runtime string          `json:"runtime"`
		TLS     struct {
			Cipher string `json:"cipher"`
		} `json:"tls"`
	}
	if err := json.Unmarshal(body, &echo); err != nil {
		return fail(fmt.Errorf("POST /api/echo: %v: %q", err, body))
	}
	compact.Reset()
	json.Compact(&compact, echo.Body)
	if compact.String() != msg {
		return fail(fmt.Errorf("POST /api/echo: sent %s, got back %s", msg, compact.Bytes()))
	}
	fmt.Fprintf(stdout, "POST /api/echo %s\n  %s in %v: the server (%s) got it over %s, %s, and sent it back\n",
		msg, resp.Status, time.Since(begin).Round(10*time.Microsecond), echo.Runtime, echo.Proto, echo.TLS.Cipher)

	// A bulk download, checked against the pattern h3server generates.
	req, _ = http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/bytes/%d", base, o.size), nil)
	begin = time.Now()
	resp, body, err = demoDo(client, req)
	if err != nil {
		return fail(err)
	}
	el := time.Since(begin)
	if resp.StatusCode != 200 || !bytes.Equal(body, demoPattern(o.size)) {
		return fail(fmt.Errorf("GET /bytes/%d: %s, %d bytes, not the expected pattern", o.size, resp.Status, len(body)))
	}
	fmt.Fprintf(stdout, "GET /bytes/%d\n  %s, %s byte-exact in %v: %.1f MB/s\n",
		o.size, resp.Status, formatBytes(uint64(len(body))), el.Round(time.Millisecond), float64(len(body))/el.Seconds()/1e6)

	// Parallel requests on the one connection.
	lat := make([]time.Duration, o.parallel)
	errs := make(chan error, o.parallel)
	begin = time.Now()
	for i := range o.parallel {
		go func() {
			t0 := time.Now()
			req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/api/time?i=%d", base, i), nil)
			resp, _, err := demoDo(client, req)
			if err == nil && resp.StatusCode != 200 {
				err = fmt.Errorf("request %d: %s", i, resp.Status)
			}
			lat[i] = time.Since(t0)
			errs <- err
		}()
	}
	for range o.parallel {
		if err := <-errs; err != nil {
			return fail(err)
		}
	}
	el = time.Since(begin)
	slices.Sort(lat)
	fmt.Fprintf(stdout, "%d parallel GET /api/time\n  all 200 OK in %v (%.0f requests/s), latency p50 %v, p99 %v, on one QUIC connection\n",
		o.parallel, el.Round(time.Millisecond), float64(o.parallel)/el.Seconds(),
		lat[len(lat)/2].Round(100*time.Microsecond), lat[len(lat)*99/100].Round(100*time.Microsecond))

	tr.Close()
	cancel()
	<-g.proc.Done()
	fmt.Fprintln(stdout, "\ndone: the module was stopped and its sockets closed")
	return nil
}

// demoDo sends a request and reads the whole response.
func demoDo(c *http.Client, req *http.Request) (*http.Response, []byte, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: reading the body: %w", req.Method, req.URL.Path, err)
	}
	return resp, b, nil
}

// demoPattern returns what examples/h3server's /bytes/n sends: its 64 KiB
// pattern block (ChaCha8 output for a fixed seed; see patternBlock there)
// repeated over n bytes.
func demoPattern(n int) []byte {
	block := make([]byte, 64<<10)
	mrand.NewChaCha8([32]byte([]byte("h3server /bytes/N pattern, v1..."))).Read(block)
	b := make([]byte, n)
	for i := 0; i < n; i += len(block) {
		copy(b[i:], block)
	}
	return b
}

// runDemo is h3 demo --quic: it runs examples/quicecho in WebAssembly and
// talks to it from a native QUIC client: a few echoes, a bulk transfer and
// parallel streams.
func runDemo(ctx context.Context, stdout, stderr io.Writer, size, streams int, offload bool) error {
	dir, err := os.MkdirTemp("", "h3demo")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, err := startDemoGuest(ctx, stdout, stderr, dir, demoPackage, offload, "serve")
	if err != nil {
		return err
	}
	proc, addr, pool := g.proc, g.addr, g.pool
	fmt.Fprintf(stdout, "server: %d KiB of WebAssembly running under wazero, listening on %s (loopback-only sockets)\n",
		g.wasm>>10, addr)

	tc := &tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: []string{demoALPN}}
	conn, took, err := dialWhenUp(ctx, proc, addr, tc)
	if err != nil {
		return fmt.Errorf("%w\nserver output:\n%s", err, g.output())
	}
	defer conn.CloseWithError(0, "demo done")
	fmt.Fprintf(stdout, "client: connected to the wasm server after %v of server start-up (ALPN %s)\n",
		took.Round(time.Millisecond), conn.ConnectionState().TLS.NegotiatedProtocol)
	if again, err := quic.DialAddr(ctx, addr, tc, nil); err == nil {
		again.CloseWithError(0, "")
	}
	start := time.Now()
	second, err := quic.DialAddr(ctx, addr, tc, nil)
	if err != nil {
		return err
	}
	second.CloseWithError(0, "measured")
	fmt.Fprintf(stdout, "client: a full handshake with the warm wasm server takes %v (%s)\n",
		time.Since(start).Round(time.Microsecond), tls.CipherSuiteName(second.ConnectionState().TLS.CipherSuite))

	for _, msg := range []string{"hello from the host", "QUIC inside WebAssembly"} {
		reply, err := demoEcho(ctx, conn, []byte(msg))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "echo: sent %q, got %q\n", msg, reply)
	}

	payload := make([]byte, size)
	rand.Read(payload)
	start = time.Now()
	reply, err := demoEcho(ctx, conn, payload)
	if err != nil {
		return err
	}
	if !bytes.Equal(reply, payload) {
		return errors.New("bulk echo differs from what was sent")
	}
	el := time.Since(start)
	fmt.Fprintf(stdout, "bulk: %d KiB echoed byte-exact in %v (%.1f MB/s each way)\n",
		size>>10, el.Round(time.Millisecond), float64(size)/el.Seconds()/1e6)

	start = time.Now()
	errs := make(chan error, streams)
	for i := range streams {
		go func() {
			msg := fmt.Appendf(nil, "stream %d", i)
			got, err := demoEcho(ctx, conn, msg)
			if err == nil && !bytes.Equal(got, msg) {
				err = fmt.Errorf("stream %d: got %q", i, got)
			}
			errs <- err
		}()
	}
	for range streams {
		if err := <-errs; err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "streams: %d parallel echoes in %v\n", streams, time.Since(start).Round(time.Millisecond))
	cancel()
	<-proc.Done()
	fmt.Fprintln(stdout, "done: the module was stopped and its sockets closed")
	return nil
}

// dialWhenUp dials until the server answers, the module exits, or 30 s pass, and
// returns how long it waited.
func dialWhenUp(ctx context.Context, proc *wasihost.Process, addr string, tc *tls.Config) (*quic.Conn, time.Duration, error) {
	begin := time.Now()
	deadline := begin.Add(30 * time.Second)
	for {
		dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := quic.DialAddr(dctx, addr, tc, &quic.Config{MaxIdleTimeout: 30 * time.Second})
		cancel()
		if err == nil {
			return conn, time.Since(begin), nil
		}
		select {
		case <-proc.Done():
			code, werr := proc.Wait()
			return nil, 0, fmt.Errorf("the wasm server exited (status %d, %v) before answering", code, werr)
		default:
		}
		if time.Now().After(deadline) {
			return nil, 0, fmt.Errorf("dialing the wasm server at %s: %w", addr, err)
		}
	}
}

// demoEcho sends msg on a new stream, closes its write side and reads the echo.
func demoEcho(ctx context.Context, conn *quic.Conn, msg []byte) ([]byte, error) {
	s, err := conn.OpenStreamSync(ctx)
	if err != nil {
		return nil, err
	}
	errc := make(chan error, 1)
	go func() {
		_, err := s.Write(msg)
		if err == nil {
			err = s.Close()
		}
		errc <- err
	}()
	got, err := io.ReadAll(s)
	if werr := <-errc; err == nil {
		err = werr
	}
	return got, err
}

// writeDemoCert writes a fresh self-signed certificate for localhost and 127.0.0.1
// into dir (cert.pem, key.pem) and returns a pool that trusts it.
func writeDemoCert(dir string) (*x509.CertPool, error) {
	cert, pool, err := selfsigned.Fresh("h3 demo")
	if err != nil {
		return nil, err
	}
	certPEM, keyPEM, err := selfsigned.PEM(cert)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), certPEM, 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), keyPEM, 0o600); err != nil {
		return nil, err
	}
	return pool, nil
}

// freeUDPAddr returns a loopback UDP address that was free a moment ago.
func freeUDPAddr() (string, error) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer c.Close()
	return c.LocalAddr().String(), nil
}

// lockedWriter serializes writes from the module's stdout and stderr.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
