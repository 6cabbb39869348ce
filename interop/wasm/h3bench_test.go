package wasm_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The HTTP/3 benchmarks put three wasm HTTP/3 servers side by side in one run: h3wasi's
// http3.Server built with wasihost's offloads (-tags h3wasi_offload) and portable,
// and quic-go's http3.Server, all over package wasi's host sockets and serving
// h3app.Handler; each is driven by a native client of each Go stack, with one connection
// per sub-benchmark, dialed and warmed by one request before the timer starts.
//
//	go test -run '^$' -bench 'HTTP3Wasm' -benchmem .

var h3BenchServers = []struct{ name, guest string }{
	{"h3wasi-offload", "h3server@offload"},
	{"h3wasi-portable", "h3server"},
	{"quic-go", "quicgoh3server"},
}

var h3BenchClients = []struct {
	name string
	new  func() (http.RoundTripper, func())
}{
	{"h3wasi", newOurH3Transport},
	{"quic-go", newQuicGoH3Transport},
}

// h3BenchGet fetches r and counts its bytes, without checking them (the tests do).
func h3BenchGet(ctx context.Context, client *http.Client, base string, r h3Request) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+r.path(), nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || n != r.n {
		return fmt.Errorf("GET %s: %s, %d bytes", r.path(), resp.Status, n)
	}
	return nil
}

// BenchmarkHTTP3Wasm: per wasm server and native client, GET1K (one op is one GET of a
// 1 KiB body, 16 in flight on one connection; req/s) and Download16M (one op is one GET
// of a 16 MiB body; MB/s from SetBytes).
func BenchmarkHTTP3Wasm(b *testing.B) {
	for _, s := range h3BenchServers {
		for _, c := range h3BenchClients {
			b.Run("server="+s.name+"/client="+c.name, func(b *testing.B) {
				_, addr := startServer(b, s.guest)
				base := "https://" + addr
				rt, closeRT := c.new()
				defer closeRT()
				client := &http.Client{Transport: rt}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
				defer cancel()
				if err := h3BenchGet(ctx, client, base, h3Request{0, 1 << 10}); err != nil {
					b.Fatal(err)
				}
				b.Run("GET1K", func(b *testing.B) {
					const inflight = 16
					b.ReportAllocs()
					var next atomic.Int64
					errs := make([]error, inflight)
					b.ResetTimer()
					start := time.Now()
					var wg sync.WaitGroup
					for w := range inflight {
						wg.Go(func() {
							for i := next.Add(1); i <= int64(b.N) && errs[w] == nil; i = next.Add(1) {
								errs[w] = h3BenchGet(ctx, client, base, h3Request{i % 4096, 1 << 10})
							}
						})
					}
					wg.Wait()
					elapsed := time.Since(start)
					b.StopTimer()
					for _, err := range errs {
						if err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
				})
				b.Run("Download16M", func(b *testing.B) {
					const size = 16 << 20
					b.SetBytes(size)
					b.ReportAllocs()
					for b.Loop() {
						if err := h3BenchGet(ctx, client, base, h3Request{0, size}); err != nil {
							b.Fatal(err)
						}
					}
				})
			})
		}
	}
}

// BenchmarkHTTP3WasmSize reports the size of minimal HTTP/3 programs built for wasip1
// with -trimpath -ldflags='-s -w', raw and gzip -9: h3wasi's server-only and
// client-only programs (those of http3's TestWasmSizeSplit), the server built with
// the offloads too, and quic-go's minimal http3.Server. The loop measures nothing.
func BenchmarkHTTP3WasmSize(b *testing.B) {
	for _, name := range []string{"h3minserver", "h3minserver@offload", "h3minclient", "h3minroundtrip", "quicgoh3minserver"} {
		b.Run(name, func(b *testing.B) {
			wasm, err := buildStripped(name)
			if err != nil {
				b.Fatal(err)
			}
			var z bytes.Buffer
			w, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
			w.Write(wasm)
			w.Close()
			for b.Loop() {
			}
			b.ReportMetric(float64(len(wasm)), "wasm-bytes")
			b.ReportMetric(float64(z.Len()), "gzip-bytes")
		})
	}
}

// buildStripped builds testdata/prog (name "prog" or "prog@tag", as guestWasm) for
// wasip1 with -trimpath -ldflags='-s -w'.
func buildStripped(name string) ([]byte, error) {
	dir, err := buildDir()
	if err != nil {
		return nil, err
	}
	prog, tag, _ := strings.Cut(name, "@")
	out := filepath.Join(dir, prog+"-"+tag+"-stripped.wasm")
	args := []string{"build", "-trimpath", "-ldflags=-s -w", "-o", out}
	if tag != "" {
		args = append(args, "-tags", "h3wasi_"+tag)
	}
	cmd := exec.Command("go", append(args, "./testdata/"+prog)...)
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, &buildError{err, string(msg)}
	}
	return os.ReadFile(out)
}
