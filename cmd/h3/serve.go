package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/h3wasi/h3wasi/http3"
	"github.com/h3wasi/h3wasi/internal/selfsigned"
	"github.com/h3wasi/h3wasi/quic"
	"github.com/h3wasi/h3wasi/wasi"
)

// serveOptions are h3 serve's flags.
type serveOptions struct {
	dir             string
	addr            string
	certFile        string
	keyFile         string
	tcp             bool
	logFormat       string // "text" or "json"
	metrics         bool
	zeroRTT         bool
	shutdownTimeout time.Duration
}

// serveInfo is what runServe tells its ready callback once it listens.
type serveInfo struct {
	Addr    *net.UDPAddr // the HTTP/3 socket
	TCPAddr net.Addr     // the HTTP/1.1 and HTTP/2 listener, nil without --tcp
	// Pool trusts the server's certificate when it is self-signed (nil with --cert).
	Pool        *x509.CertPool
	Fingerprint string // SHA-256 of the certificate, colon-separated hex
}

func serveMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("h3 serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: h3 serve [flags] [DIR]\n\nServes the files of DIR (default .) over HTTP/3.\n\nflags:")
		fs.PrintDefaults()
	}
	var o serveOptions
	fs.StringVar(&o.addr, "addr", ":4433", "UDP `address` to listen on (and TCP, with --tcp)")
	fs.StringVar(&o.certFile, "cert", "", "PEM certificate `file` (default: a fresh self-signed one for localhost and 127.0.0.1)")
	fs.StringVar(&o.keyFile, "key", "", "PEM private key `file` for --cert")
	fs.BoolVar(&o.tcp, "tcp", false, "also serve HTTP/1.1 and HTTP/2 over TLS on the same TCP port, advertising HTTP/3 with Alt-Svc")
	fs.StringVar(&o.logFormat, "log-format", "text", "access log `format` on stdout: text or json")
	fs.BoolVar(&o.metrics, "metrics", true, "serve Prometheus metrics at /metrics")
	fs.BoolVar(&o.zeroRTT, "0rtt", true, "accept 0-RTT requests from resuming clients (unsafe methods are answered 425 Too Early)")
	fs.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 10*time.Second, "how long SIGINT or SIGTERM waits for requests in flight")
	// Flags may come after DIR too (h3 serve DIR --addr :443), as with get and
	// bench; package flag stops at the first argument that is not one, so parse
	// what follows each such argument again, up to a "--".
	var dirs []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		if used := len(rest) - fs.NArg(); used > 0 && rest[used-1] == "--" {
			dirs = append(dirs, fs.Args()...)
			break
		}
		dirs = append(dirs, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	switch len(dirs) {
	case 0:
		o.dir = "."
	case 1:
		o.dir = dirs[0]
	default:
		fs.Usage()
		return 2
	}
	if o.logFormat != "text" && o.logFormat != "json" {
		fmt.Fprintf(stderr, "h3 serve: --log-format must be text or json, not %q\n", o.logFormat)
		return 2
	}
	if (o.certFile == "") != (o.keyFile == "") {
		fmt.Fprintln(stderr, "h3 serve: --cert and --key go together")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runServe(ctx, o, stdout, stderr, nil); err != nil {
		fmt.Fprintln(stderr, "h3 serve:", err)
		return 1
	}
	return 0
}

// runServe serves o.dir until ctx ends, then shuts down gracefully (at most
// o.shutdownTimeout) and prints a summary line to stderr. The access log goes to
// stdout. ready, if set, is called once the sockets listen.
func runServe(ctx context.Context, o serveOptions, stdout, stderr io.Writer, ready func(serveInfo)) error {
	if o.shutdownTimeout <= 0 {
		o.shutdownTimeout = 10 * time.Second
	}
	start := time.Now()
	root, err := os.OpenRoot(o.dir)
	if err != nil {
		return err
	}
	defer root.Close()
	var info serveInfo
	var cert tls.Certificate
	if o.certFile != "" {
		cert, err = tls.LoadX509KeyPair(o.certFile, o.keyFile)
	} else {
		cert, info.Pool, err = selfsigned.Fresh("h3 serve")
	}
	if err != nil {
		return err
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return err
	}
	info.Fingerprint = fingerprint(leaf.Raw)

	pc, tcpLn, err := listenServe(o.addr, o.tcp)
	if err != nil {
		return err
	}
	info.Addr = pc.LocalAddr().(*net.UDPAddr)
	if tcpLn != nil {
		info.TCPAddr = tcpLn.Addr()
	}

	var logHandler slog.Handler
	if o.logFormat == "json" {
		logHandler = slog.NewJSONHandler(stdout, nil)
	} else {
		logHandler = slog.NewTextHandler(stdout, nil)
	}
	m := newServeMetrics(start)
	mux := http.NewServeMux()
	if o.metrics {
		mux.Handle("GET /metrics", m)
	}
	files := forbidEscapes{root.FS()}
	mux.Handle("/", withETag(files, http.FileServerFS(files)))
	logged := accessLog(slog.New(logHandler), m, mux)

	errLog := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	srv := &http3.Server{
		Handler:     http3.TooEarly(logged),
		TLSConfig:   &tls.Config{Certificates: []tls.Certificate{cert}},
		QUICConfig:  &quic.Config{Allow0RTT: o.zeroRTT, Tracer: m.trace},
		ConnContext: m.connContext,
		Logger:      errLog,
	}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(pc) }()
	var hs *http.Server
	if tcpLn != nil {
		hs = &http.Server{
			Handler:           http3.AdvertiseHTTP3(logged, info.Addr.Port),
			TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}},
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          log.New(io.Discard, "", 0), // TLS handshake noise from browsers
		}
		go func() { errc <- hs.ServeTLS(tcpLn, "", "") }()
	}

	abs := o.dir
	if a, err := filepath.Abs(o.dir); err == nil {
		abs = a
	}
	what := "HTTP/3 on UDP"
	if tcpLn != nil {
		what += ", HTTP/1.1 and HTTP/2 on TCP (Alt-Svc: " + http3.AltSvc(info.Addr.Port, 0) + ")"
	}
	fmt.Fprintf(stderr, "h3 serve: serving %s at https://%s/ (%s)\n", abs, displayAddr(info.Addr), what)
	if info.Pool != nil {
		fmt.Fprintf(stderr, "h3 serve: self-signed certificate for localhost and 127.0.0.1, SHA-256 fingerprint %s\n", info.Fingerprint)
		spki := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
		fmt.Fprintf(stderr, "h3 serve: e.g. chrome --origin-to-force-quic-on=localhost:%d --ignore-certificate-errors-spki-list=%s https://localhost:%d/\n",
			info.Addr.Port, base64.StdEncoding.EncodeToString(spki[:]), info.Addr.Port)
	} else {
		fmt.Fprintf(stderr, "h3 serve: certificate SHA-256 fingerprint %s\n", info.Fingerprint)
	}
	if o.metrics {
		fmt.Fprintf(stderr, "h3 serve: metrics at https://%s/metrics\n", displayAddr(info.Addr))
	}
	if ready != nil {
		ready(info)
	}

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.Background(), o.shutdownTimeout)
	defer cancel()
	var wg sync.WaitGroup
	var h3Err, tcpErr error
	wg.Add(1)
	go func() { defer wg.Done(); h3Err = srv.Shutdown(sctx) }()
	if hs != nil {
		wg.Add(1)
		go func() { defer wg.Done(); tcpErr = hs.Shutdown(sctx) }()
	}
	wg.Wait()
	if h3Err != nil {
		srv.Close()
	}
	if tcpErr != nil {
		hs.Close()
	}
	n, in, out := m.totals()
	fmt.Fprintf(stderr, "h3 serve: served %d requests, %s out, %s in, up %v\n",
		n, formatBytes(out), formatBytes(in), time.Since(start).Round(time.Millisecond))
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	if errors.Is(h3Err, context.DeadlineExceeded) || errors.Is(tcpErr, context.DeadlineExceeded) {
		return fmt.Errorf("requests still in flight after %v were cut off", o.shutdownTimeout)
	}
	return nil
}

// listenServe opens the UDP socket and, with tcp, a TCP listener on the same
// port; with port 0 it tries a few ports until both are free.
func listenServe(addr string, tcp bool) (net.PacketConn, net.Listener, error) {
	for attempt := 0; ; attempt++ {
		pc, err := wasi.ListenPacket("udp", addr)
		if err != nil || !tcp {
			return pc, nil, err
		}
		host, port, _ := net.SplitHostPort(addr)
		udpPort := pc.LocalAddr().(*net.UDPAddr).Port
		ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(udpPort)))
		if err == nil {
			return pc, ln, nil
		}
		pc.Close()
		if port != "0" || attempt == 10 {
			return nil, nil, err
		}
	}
}

// withETag gives regular files (and the index.html of directories) a strong
// ETag made of their size and modification time, so that http.FileServer
// answers If-None-Match and If-Range by it (it does not make ETags itself).
func withETag(fsys fs.FS, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		if name == "" {
			name = "."
		}
		fi, err := fs.Stat(fsys, name)
		if err == nil && fi.IsDir() && strings.HasSuffix(r.URL.Path, "/") {
			fi, err = fs.Stat(fsys, path.Join(name, "index.html"))
		}
		if err == nil && fi.Mode().IsRegular() {
			w.Header().Set("ETag", fmt.Sprintf(`"%x-%x"`, fi.ModTime().UnixNano(), fi.Size()))
		}
		next.ServeHTTP(w, r)
	})
}

// forbidEscapes turns the errors of opening a file, other than its absence,
// into fs.ErrPermission, so that http.FileServer answers 403 rather than 500
// when os.Root refuses a symbolic link that leads out of DIR.
type forbidEscapes struct{ fs.FS }

func (f forbidEscapes) Open(name string) (fs.File, error) {
	file, err := f.FS.Open(name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrPermission) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return file, err
}

// accessLog logs each request to log and counts it in m.
func accessLog(logger *slog.Logger, m *serveMetrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &responseRecorder{ResponseWriter: w}
		var body *countingBody
		if r.Body != nil && r.Body != http.NoBody {
			body = &countingBody{ReadCloser: r.Body}
			r.Body = body
		}
		defer func() {
			d := time.Since(start)
			p := recover()
			status := rec.status
			if status == 0 {
				status = http.StatusOK
				if p != nil {
					status = http.StatusInternalServerError
				}
			}
			if p != nil {
				// Log the request, then let the server handle the panic.
				defer panic(p)
			}
			var in int64
			if body != nil {
				in = body.n.Load()
			}
			m.request(r.Method, status, in, rec.bytes, d)
			logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("remote", r.RemoteAddr),
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("protocol", r.Proto),
				slog.Int("status", status),
				slog.Int64("bytes", rec.bytes),
				slog.Duration("duration", d),
				slog.Bool("0rtt", http3.IsEarlyData(r)),
			)
		}()
		next.ServeHTTP(rec, r)
	})
}

// responseRecorder remembers a response's status and counts its body bytes.
type responseRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *responseRecorder) WriteHeader(code int) {
	if r.status == 0 && code >= 200 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *responseRecorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

func (r *responseRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		if r.status == 0 {
			r.status = http.StatusOK
		}
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the server's writer.
func (r *responseRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// countingBody counts the request body bytes a handler reads.
type countingBody struct {
	io.ReadCloser
	n atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// fingerprint formats the SHA-256 of a DER certificate as openssl does.
func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	var b strings.Builder
	for i, c := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", c)
	}
	return b.String()
}

// displayAddr names a listening address as a URL host: localhost for an
// unspecified or loopback IP (the self-signed certificate's name).
func displayAddr(a *net.UDPAddr) string {
	if a.IP == nil || a.IP.IsUnspecified() || a.IP.IsLoopback() {
		return net.JoinHostPort("localhost", strconv.Itoa(a.Port))
	}
	return a.String()
}

func formatBytes(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
