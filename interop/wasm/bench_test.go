package wasm_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/interop/wasm/internal/app"
)

// The benchmarks put the same servers side by side in one run: h3wasi's and quic-go's
// in a wasm guest (both over package wasi's host sockets) and both natively, each
// dialed over loopback UDP by a native client of its own stack.
//
//	go test -run '^$' -bench . -benchmem .

// benchServer is a server under benchmark: a guest program or a native server.
type benchServer struct {
	name   string
	guest  string // testdata program; "" for native
	native func() (string, func(), error)
	dialer dialer
}

var benchServers = []benchServer{
	{"h3wasi-wasm", "ourserver", nil, ourDialer},
	{"h3wasi-wasm-hostcrypto", "ourserver@offload", nil, ourDialer},
	{"quic-go-wasm", "quicgoserver", nil, quicGoDialer},
	{"h3wasi-native", "", serveOurs, ourDialer},
	{"quic-go-native", "", serveQuicGo, quicGoDialer},
}

// crossServers pair each wasm server with the other stack's native client, to show how
// much of a transfer figure is the client's.
var crossServers = []benchServer{
	{"h3wasi-wasm,quic-go-client", "ourserver", nil, quicGoDialer},
	{"quic-go-wasm,h3wasi-client", "quicgoserver", nil, ourDialer},
}

// start starts the server for the rest of the benchmark and returns its address.
func (s benchServer) start(b *testing.B) string {
	if s.guest != "" {
		_, addr := startServer(b, s.guest)
		return addr
	}
	addr, stop, err := s.native()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(stop)
	return addr
}

// BenchmarkTransfer downloads 16 MiB per operation on one stream, from the server to a
// native client of the same stack (and, for the wasm servers, of the other stack).
func BenchmarkTransfer(b *testing.B) {
	const size = 16 << 20
	for _, s := range append(benchServers, crossServers...) {
		b.Run(s.name, func(b *testing.B) {
			addr := s.start(b)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			c, err := s.dialer.dial(ctx, addr, 30*time.Second)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			stop := context.AfterFunc(ctx, func() { c.Close() })
			defer stop()
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				if err := download(ctx, c, size); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// download fetches n bytes on a new stream; it counts them rather than comparing them,
// so that the client's checking does not weigh on native figures (the tests compare).
func download(ctx context.Context, c conn, n int) error {
	s, err := c.OpenStreamSync(ctx)
	if err != nil {
		return err
	}
	if _, err := s.Write(app.Request(app.OpDownload, n)); err != nil {
		return err
	}
	s.Close()
	got, err := io.Copy(io.Discard, s)
	if err != nil {
		return err
	}
	if got != int64(n) {
		return fmt.Errorf("download: got %d bytes, want %d", got, n)
	}
	return nil
}

// BenchmarkHandshake makes one full handshake (fresh socket, no session ticket, no
// Retry) per operation, one after the other, and closes the connection.
func BenchmarkHandshake(b *testing.B) {
	for _, s := range benchServers {
		b.Run(s.name, func(b *testing.B) {
			addr := s.start(b)
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				c, err := s.dialer.dial(ctx, addr, 30*time.Second)
				cancel()
				if err != nil {
					b.Fatal(err)
				}
				c.Close()
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "handshakes/s")
		})
	}
}

// BenchmarkWasmSize reports the size of each stack's minimal wasm server (built with
// -trimpath, not stripped) and its gzip size; the loop itself measures nothing.
func BenchmarkWasmSize(b *testing.B) {
	for _, name := range []string{"ourserver", "ourserver@offload", "quicgoserver"} {
		b.Run(name, func(b *testing.B) {
			wasm := guestWasm(b, name)
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
