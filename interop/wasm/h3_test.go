package wasm_test

// HTTP/3 inside WebAssembly: h3wasi's http3.Server as a wasip1 guest (the portable
// build and the offload build, -tags h3wasi_offload), served to native HTTP/3
// clients of three stacks (h3wasi's http3.Transport, quic-go's http3.Transport and
// ngtcp2's gtlsclient); h3wasi's http3.Transport as a guest fetching from native
// servers of both Go stacks; quic-go's http3.Server as a guest (the benchmarks' anchor)
// over the same guest socket. Every body is checked byte for byte (package h3app).

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"
	quicgohttp3 "github.com/quic-go/quic-go/http3"

	"github.com/h3wasi/h3wasi/http3"
	"github.com/h3wasi/h3wasi/interop/wasm/internal/h3app"
	"github.com/h3wasi/h3wasi/quic"
)

// h3Request is one GET of a case: n bytes of the pattern from offset off.
type h3Request struct{ off, n int64 }

func (r h3Request) path() string { return h3app.Path(r.off, r.n) }

// h3Case is a set of GETs made at once on one connection.
type h3Case struct {
	name string
	reqs []h3Request
}

// h3Parallel is the number of requests of the parallel case, each with its own size and
// content; it stays within the 100 concurrent request streams both Go servers allow.
const h3Parallel = 100

var h3Cases = func() []h3Case {
	par := make([]h3Request, h3Parallel)
	for i := range par {
		par[i] = h3Request{int64(i) * 7919, 1000 + 97*int64(i)}
	}
	return []h3Case{
		{"GET-1KiB", []h3Request{{0, 1 << 10}}},
		{"GET-5MiB", []h3Request{{0, 5 << 20}}},
		{"GET-parallel100", par},
	}
}()

// h3Fetcher runs the GETs of a case against base (https://host:port) and checks them.
type h3Fetcher struct {
	name string
	// fetch runs one case on a new connection.
	fetch func(t *testing.T, ctx context.Context, base string, c h3Case)
}

// goFetcher makes an h3Fetcher of a Go RoundTripper, shared by the cases of one test.
func goFetcher(name string, newRT func() (http.RoundTripper, func())) h3Fetcher {
	return h3Fetcher{name, func(t *testing.T, ctx context.Context, base string, c h3Case) {
		rt, closeRT := newRT()
		defer closeRT()
		client := &http.Client{Transport: rt}
		errs := make([]error, len(c.reqs))
		var wg sync.WaitGroup
		for i, r := range c.reqs {
			wg.Go(func() { errs[i] = h3Get(ctx, client, base, r) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
	}}
}

func h3Get(ctx context.Context, client *http.Client, base string, r h3Request) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+r.path(), nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", r.path(), resp.Status)
	}
	if err := h3app.CheckReader(resp.Body, r.off, r.n); err != nil {
		return fmt.Errorf("GET %s: %w", r.path(), err)
	}
	return nil
}

// newOurH3Transport is h3wasi's native http3.Transport.
func newOurH3Transport() (http.RoundTripper, func()) {
	tr := &http3.Transport{TLSClientConfig: h3app.ClientTLS(), QUICConfig: &quic.Config{MaxIdleTimeout: 30 * time.Second}}
	return tr, func() { tr.Close() }
}

// newQuicGoH3Transport is quic-go's native http3.Transport.
func newQuicGoH3Transport() (http.RoundTripper, func()) {
	tr := &quicgohttp3.Transport{TLSClientConfig: h3app.ClientTLS(), QUICConfig: &quicgo.Config{MaxIdleTimeout: 30 * time.Second}}
	return tr, func() { tr.Close() }
}

var (
	ourH3Fetcher    = goFetcher("h3wasi", newOurH3Transport)
	quicGoH3Fetcher = goFetcher("quic-go", newQuicGoH3Transport)
	ngtcp2Fetcher   = h3Fetcher{"ngtcp2", gtlsclientFetch}
)

// gtlsclientFetch runs ngtcp2's gtlsclient (nghttp3, QPACK dynamic table on) with the
// URLs of the case on one connection; it saves each body under its path's name.
func gtlsclientFetch(t *testing.T, ctx context.Context, base string, c h3Case) {
	bin, err := exec.LookPath("gtlsclient")
	if err != nil {
		t.Skipf("gtlsclient not installed (Debian package ngtcp2-client; .ci/run installs it): %v", err)
	}
	u := strings.TrimPrefix(base, "https://")
	host, port, _ := net.SplitHostPort(u)
	out := t.TempDir()
	args := []string{"-q", "--exit-on-all-streams-close", "--download=" + out, host, port}
	for _, r := range c.reqs {
		args = append(args, base+r.path())
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	log, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("gtlsclient: %v\n%s", err, log)
	}
	for _, r := range c.reqs {
		body, err := os.ReadFile(filepath.Join(out, strings.TrimPrefix(r.path(), "/")))
		if err != nil {
			t.Fatalf("gtlsclient saved no %s: %v\n%s", r.path(), err, log)
		}
		if err := h3app.Check(body, r.off, r.n); err != nil {
			t.Fatalf("gtlsclient, GET %s: %v", r.path(), err)
		}
	}
}

// h3CaseLimit bounds one case: a hang becomes a failure, the figure is not measured.
const h3CaseLimit = 2 * time.Minute

// runH3Cases runs every case with every fetcher against the HTTP/3 server at addr.
func runH3Cases(t *testing.T, addr string, fetchers ...h3Fetcher) {
	base := "https://" + addr
	for _, f := range fetchers {
		t.Run(f.name+" client", func(t *testing.T) {
			for _, c := range h3Cases {
				t.Run(c.name, func(t *testing.T) {
					ctx, cancel := context.WithTimeout(context.Background(), h3CaseLimit)
					defer cancel()
					start := time.Now()
					f.fetch(t, ctx, base, c)
					t.Logf("%d GETs byte-exact in %v", len(c.reqs), time.Since(start).Round(time.Millisecond))
				})
			}
		})
	}
}

// TestHTTP3WasmServer: h3wasi's http3.Server in a wasm guest, portable and offload
// builds, serves native clients of h3wasi, quic-go and ngtcp2 byte-exact; quic-go's
// http3.Server guest, the benchmarks' anchor, serves h3wasi's client.
func TestHTTP3WasmServer(t *testing.T) {
	for _, s := range []struct {
		name, guest string
		fetchers    []h3Fetcher
	}{
		{"h3wasi portable", "h3server", []h3Fetcher{ourH3Fetcher, quicGoH3Fetcher, ngtcp2Fetcher}},
		{"h3wasi offload", "h3server@offload", []h3Fetcher{ourH3Fetcher, quicGoH3Fetcher, ngtcp2Fetcher}},
		{"quic-go", "quicgoh3server", []h3Fetcher{ourH3Fetcher}},
	} {
		t.Run(s.name+" server", func(t *testing.T) {
			_, addr := startServer(t, s.guest)
			runH3Cases(t, addr, s.fetchers...)
		})
	}
}

// TestHTTP3WasmClient: h3wasi's http3.Transport in a wasm guest fetches from native
// HTTP/3 servers of both Go stacks; the guest checks every byte.
func TestHTTP3WasmClient(t *testing.T) {
	for _, srv := range []struct {
		name  string
		serve func(t testing.TB) string
	}{
		{"h3wasi server", serveOurH3},
		{"quic-go server", serveQuicGoH3},
	} {
		t.Run(srv.name, func(t *testing.T) {
			addr := srv.serve(t)
			cases := []string{"get-1k", "get-5m", "parallel-100"}
			g := startGuest(t, "h3client", append([]string{addr}, cases...)...)
			for i, name := range cases {
				timeout := h3CaseLimit
				if i == 0 {
					timeout = listenTimeout
				}
				t.Logf("wasm client, %s: %s", name, g.expect(t, "OK "+name, timeout))
			}
			g.expect(t, "DONE", h3CaseLimit)
			select {
			case <-g.Done():
			case <-time.After(h3CaseLimit):
				t.Fatal("guest did not exit")
			}
			if code, err := g.Wait(); code != 0 || err != nil {
				t.Fatalf("guest exit status %d, %v", code, err)
			}
		})
	}
}

// serveOurH3 runs h3wasi's native http3.Server on loopback until the test ends.
func serveOurH3(t testing.TB) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http3.Server{Handler: h3app.Handler(), TLSConfig: h3app.ServerTLS(),
		QUICConfig: &quic.Config{MaxIdleTimeout: 30 * time.Second}}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(pc) }()
	t.Cleanup(func() {
		srv.Close()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, http3.ErrServerClosed) {
				t.Errorf("h3wasi's Server.Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("h3wasi's Server.Serve did not return after Close")
		}
	})
	return pc.LocalAddr().String()
}

// serveQuicGoH3 runs quic-go's native http3.Server on loopback until the test ends.
func serveQuicGoH3(t testing.TB) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &quicgohttp3.Server{Handler: h3app.Handler(), TLSConfig: h3app.ServerTLS(),
		QUICConfig: &quicgo.Config{MaxIdleTimeout: 30 * time.Second}}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(pc) }()
	t.Cleanup(func() {
		srv.Close()
		pc.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("quic-go's Server.Serve did not return after Close")
		}
	})
	return pc.LocalAddr().String()
}
