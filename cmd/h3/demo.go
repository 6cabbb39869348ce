package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/h3wasi/h3wasi/internal/selfsigned"

	"github.com/h3wasi/h3wasi/quic"
	"github.com/h3wasi/h3wasi/wasihost"
)

// demoPackage is the guest the demo compiles to WebAssembly: the QUIC echo
// server of examples/quicecho, whose source builds unchanged for wasip1.
const demoPackage = "github.com/h3wasi/h3wasi/examples/quicecho"

// demoALPN must match examples/quicecho.
const demoALPN = "quicecho"

// demoMain compiles the QUIC echo server for GOOS=wasip1, runs it inside
// WebAssembly under wasihost with loopback-only sockets, and talks to it from a
// native QUIC client: a few echoes, a bulk transfer and parallel streams.
func demoMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("h3 demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	size := fs.Int("size", 4<<20, "bytes to echo in the bulk transfer")
	streams := fs.Int("streams", 100, "parallel streams")
	hostCrypto := fs.Bool("hostcrypto", true, "build the guest with the h3wasi_hostcrypto tag, so that the host seals and opens its packets natively")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := runDemo(context.Background(), stdout, stderr, *size, *streams, *hostCrypto); err != nil {
		fmt.Fprintln(stderr, "h3 demo:", err)
		return 1
	}
	return 0
}

func runDemo(ctx context.Context, stdout, stderr io.Writer, size, streams int, hostCrypto bool) error {
	dir, err := os.MkdirTemp("", "h3demo")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	wasmPath := filepath.Join(dir, "quicecho.wasm")
	buildArgs := []string{"build", "-trimpath", "-o", wasmPath}
	offload := "packet crypto in the guest (pure Go), one host call per datagram"
	if hostCrypto {
		buildArgs = append(buildArgs, "-tags", "h3wasi_hostcrypto")
		offload = "packet crypto and segmented sends by the host (h3wasi_hostcrypto)"
	}
	fmt.Fprintf(stdout, "building the QUIC echo server for GOOS=wasip1 GOARCH=wasm, %s ...\n", offload)
	build := exec.CommandContext(ctx, "go", append(buildArgs, demoPackage)...)
	build.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	build.Stdout, build.Stderr = stderr, stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building %s for wasip1: %w", demoPackage, err)
	}
	wasm, err := os.ReadFile(wasmPath)
	if err != nil {
		return err
	}
	pool, err := writeDemoCert(dir)
	if err != nil {
		return err
	}
	addr, err := freeUDPAddr()
	if err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var guestOut bytes.Buffer
	var outMu sync.Mutex
	proc, err := wasihost.Start(ctx, wasm, wasihost.Config{
		Args:   []string{"quicecho", "serve", "-addr", addr, "-cert", "/demo/cert.pem", "-key", "/demo/key.pem"},
		Stdout: lockedWriter{&outMu, &guestOut},
		Stderr: lockedWriter{&outMu, &guestOut},
		Dirs:   []wasihost.Dir{{Host: dir, Guest: "/demo", ReadOnly: true}},
		// Our own example, built just now: skip wazero's per-loop checks.
		Trusted: true,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "server: %d KiB of WebAssembly running under wazero, listening on %s (loopback-only sockets)\n",
		len(wasm)>>10, addr)

	tc := &tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: []string{demoALPN}}
	conn, took, err := dialWhenUp(ctx, proc, addr, tc)
	if err != nil {
		outMu.Lock()
		defer outMu.Unlock()
		return fmt.Errorf("%w\nserver output:\n%s", err, guestOut.String())
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
