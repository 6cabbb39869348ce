package interop

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"
	qghttp3 "github.com/quic-go/quic-go/http3"

	"github.com/h3wasi/h3wasi/http3"
	"github.com/h3wasi/h3wasi/quic"
)

// HTTP/3 benchmarks: h3wasi's http3 (on its quic) against quic-go's http3 (on quic-go),
// each talking to itself, in one process and one run (see docs/BENCHMARKS.md, "HTTP/3"):
//
//	go test -run '^$' -bench HTTP3 -benchmem -count 6 . | tee h3bench.txt
//	benchstat -col /stack h3bench.txt
//
// Every client connection gets its own http3.Transport (both packages keep one
// connection per authority), and all of them dial through one QUIC transport over one
// client socket; the server serves one socket. Connections are dialed, and each makes
// one request, before the timer starts.

const (
	h3bSmallSize = 1 << 10   // the GET benchmarks' response body
	h3bLargeSize = 100 << 20 // the download benchmark's response body
)

// h3bClient is one client connection's transport: an *http3.Transport of either package.
type h3bClient interface {
	http.RoundTripper
	Close() error
}

// h3bStack starts an HTTP/3 server of one package on spc serving h, and returns a
// function that makes a new client transport of the same package dialing it over the
// shared client socket cpc. Everything is closed when the benchmark ends.
type h3bStack struct {
	name  string
	start func(b testing.TB, spc, cpc net.PacketConn, h http.Handler) func() h3bClient
}

var h3bStacks = []h3bStack{
	{"h3wasi", h3bStartH3wasi},
	{"quic-go", h3bStartQuicGo},
}

// h3bServerTLS and h3bClientTLS leave NextProtos to the HTTP/3 packages ("h3").
func h3bServerTLS() *tls.Config {
	cert, _ := testCert()
	return &tls.Config{Certificates: []tls.Certificate{cert}}
}

func h3bClientTLS() *tls.Config {
	_, pool := testCert()
	return &tls.Config{RootCAs: pool, ServerName: "localhost"}
}

// h3bClients records the client transports made, to close them at the end.
type h3bClients struct {
	mu  sync.Mutex
	all []h3bClient
}

func (c *h3bClients) add(t h3bClient) h3bClient {
	c.mu.Lock()
	c.all = append(c.all, t)
	c.mu.Unlock()
	return t
}

func (c *h3bClients) closeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range c.all {
		t.Close()
	}
	c.all = nil
}

func h3bStartH3wasi(b testing.TB, spc, cpc net.PacketConn, h http.Handler) func() h3bClient {
	srv := &http3.Server{Handler: h, TLSConfig: h3bServerTLS()}
	qpackOff := os.Getenv("H3_BENCH_QPACK_STATIC") != "" // no dynamic table, as quic-go's http3
	if qpackOff {
		srv.QPACKMaxTableCapacity = -1
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(spc) }() // Serve closes spc
	qt := &quic.Transport{Conn: cpc}         // closing it closes cpc
	target := spc.LocalAddr()
	var clients h3bClients
	b.Cleanup(func() {
		clients.closeAll()
		qt.Close()
		srv.Close()
		<-served
	})
	dial := func(ctx context.Context, _ string, tc *tls.Config, conf *quic.Config) (*quic.Conn, error) {
		return qt.Dial(ctx, target, tc, conf)
	}
	return func() h3bClient {
		tr := &http3.Transport{TLSClientConfig: h3bClientTLS(), Dial: dial}
		if qpackOff {
			tr.QPACKMaxTableCapacity = -1
		}
		return clients.add(tr)
	}
}

func h3bStartQuicGo(b testing.TB, spc, cpc net.PacketConn, h http.Handler) func() h3bClient {
	srv := &qghttp3.Server{Handler: h, TLSConfig: h3bServerTLS()}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(spc) }() // quic-go leaves spc open
	qt := &quicgo.Transport{Conn: cpc}       // and cpc
	target := spc.LocalAddr()
	var clients h3bClients
	b.Cleanup(func() {
		clients.closeAll()
		qt.Close()
		cpc.Close()
		srv.Close()
		<-served
		spc.Close()
	})
	dial := func(ctx context.Context, _ string, tc *tls.Config, conf *quicgo.Config) (*quicgo.Conn, error) {
		return qt.Dial(ctx, target, tc, conf)
	}
	return func() h3bClient {
		return clients.add(&qghttp3.Transport{TLSClientConfig: h3bClientTLS(), Dial: dial})
	}
}

// h3bHandler answers /small with h3bSmallSize bytes and /large with h3bLargeSize bytes.
func h3bHandler() http.Handler {
	ctype := []string{"application/octet-stream"}
	small := pattern(h3bSmallSize)
	chunk := pattern(1 << 20)
	mux := http.NewServeMux()
	mux.HandleFunc("/small", func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = ctype
		w.Write(small)
	})
	mux.HandleFunc("/large", func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = ctype
		for sent := 0; sent < h3bLargeSize; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	return mux
}

// h3bGet sends req with rt and checks that the response is 200 with want body bytes.
func h3bGet(rt http.RoundTripper, req *http.Request, want int64) error {
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("GET %s: reading the body after %d bytes: %w", req.URL.Path, n, err)
	}
	if resp.StatusCode != http.StatusOK || n != want {
		return fmt.Errorf("GET %s: status %d, %d bytes, want 200 and %d", req.URL.Path, resp.StatusCode, n, want)
	}
	return nil
}

// h3bSetup starts st's server on fresh sockets of kind socks and returns the URL of
// path on it and a function that makes client transports.
func h3bSetup(b testing.TB, st h3bStack, socks sockets, path string) (string, func() h3bClient) {
	spc, cpc := socks(b)
	newClient := st.start(b, spc, cpc, h3bHandler())
	port := spc.LocalAddr().(*net.UDPAddr).Port
	return "https://localhost:" + strconv.Itoa(port) + path, newClient
}

func h3bRequest(b testing.TB, ctx context.Context, url string) *http.Request {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		b.Fatal(err)
	}
	return req
}

// BenchmarkHTTP3Get1K: GETs of a 1 KiB body, 16 in flight at a time on one connection.
// One op is one request (client and server work together, so allocs/op is per request).
func BenchmarkHTTP3Get1K(b *testing.B) {
	for _, sk := range socketKinds {
		for _, st := range h3bStacks {
			b.Run(fmt.Sprintf("net=%s/stack=%s", sk.name, st.name), func(b *testing.B) {
				h3bBenchGets(b, st, sk.socks, 1, 16)
			})
		}
	}
}

// BenchmarkHTTP3Get1KConns: GETs of a 1 KiB body on 64 connections with 8 requests in
// flight on each. One op is one request.
func BenchmarkHTTP3Get1KConns(b *testing.B) {
	for _, st := range h3bStacks {
		b.Run("net=udp/stack="+st.name, func(b *testing.B) {
			h3bBenchGets(b, st, udpSockets, 64, 8)
		})
	}
}

// h3bBenchGets runs b.N GETs of /small from conns connections with streams requests in
// flight on each, and reports requests per second.
func h3bBenchGets(b *testing.B, st h3bStack, socks sockets, conns, streams int) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	url, newClient := h3bSetup(b, st, socks, "/small")
	clients := make([]h3bClient, conns)
	for i := range clients { // dial, and warm each connection up with one request
		clients[i] = newClient()
		if err := h3bGet(clients[i], h3bRequest(b, ctx, url), h3bSmallSize); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	errs := make(chan error, conns*streams)
	var wg sync.WaitGroup
	b.ReportAllocs()
	runtime.GC()
	b.ResetTimer()
	for w := range conns * streams {
		rt := clients[w/streams]
		req := h3bRequest(b, ctx, url) // each worker reuses its request (a GET has no body)
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				if err := h3bGet(rt, req, h3bSmallSize); err != nil {
					errs <- err
					cancel()
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkHTTP3Download: one op is one GET of a 100 MiB body on a warm connection.
func BenchmarkHTTP3Download(b *testing.B) {
	for _, st := range h3bStacks {
		b.Run("net=udp/stack="+st.name, func(b *testing.B) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			url, newClient := h3bSetup(b, st, udpSockets, "/large")
			c := newClient()
			if err := h3bGet(c, h3bRequest(b, ctx, url), h3bLargeSize); err != nil {
				b.Fatal(err)
			}
			req := h3bRequest(b, ctx, url)
			b.SetBytes(h3bLargeSize)
			b.ReportAllocs()
			runtime.GC()
			b.ResetTimer()
			for range b.N {
				if err := h3bGet(c, req, h3bLargeSize); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHTTP3IdleConnMemory establishes h3bIdleConns HTTP/3 connections between one
// server and as many client transports, each having made one 1 KiB GET, and reports the
// live heap plus goroutine stacks they hold (client and server side together) per
// connection (B/conn, and its two parts heap-B/conn and stack-B/conn), and the goroutines
// each costs, as BenchmarkIdleConnMemory does for QUIC. Each op is a whole round on fresh
// sockets (best run with -benchtime 1x); the metrics are the means over the rounds.
func BenchmarkHTTP3IdleConnMemory(b *testing.B) {
	const h3bIdleConns = 200
	for _, st := range h3bStacks {
		b.Run("net=udp/stack="+st.name, func(b *testing.B) {
			var sum h3bMem
			for range b.N {
				m := h3bIdleRound(b, st, h3bIdleConns)
				sum.heap += m.heap
				sum.stack += m.stack
				sum.goroutines += m.goroutines
			}
			per := float64(b.N * h3bIdleConns)
			b.ReportMetric(float64(sum.heap+sum.stack)/per, "B/conn")
			b.ReportMetric(float64(sum.heap)/per, "heap-B/conn")
			b.ReportMetric(float64(sum.stack)/per, "stack-B/conn")
			b.ReportMetric(float64(sum.goroutines)/per, "goroutines/conn")
		})
	}
}

// h3bMem is live heap, goroutine stacks and goroutines.
type h3bMem struct{ heap, stack, goroutines int64 }

// h3bMemInUse measures after a full collection, as heapInUse does.
func h3bMemInUse() h3bMem {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return h3bMem{int64(ms.HeapAlloc), int64(ms.StackInuse), int64(runtime.NumGoroutine())}
}

// h3bIdleRound runs one round of BenchmarkHTTP3IdleConnMemory and returns what the n
// connections added.
func h3bIdleRound(b *testing.B, st h3bStack, n int) h3bMem {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var cleanups []func()
	tb := &h3bScope{TB: b, cleanups: &cleanups}
	defer func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}()
	url, newClient := h3bSetup(tb, st, udpSockets, "/small")
	// One connection first, so that per-server and per-socket state is not counted.
	if err := h3bGet(newClient(), h3bRequest(b, ctx, url), h3bSmallSize); err != nil {
		b.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	before := h3bMemInUse()
	clients := make([]h3bClient, n)
	for i := range clients {
		clients[i] = newClient()
		if err := h3bGet(clients[i], h3bRequest(b, ctx, url), h3bSmallSize); err != nil {
			b.Fatal(err)
		}
	}
	time.Sleep(500 * time.Millisecond) // let handshake leftovers (ACKs, tickets) settle
	after := h3bMemInUse()
	if f := os.Getenv("H3_IDLE_HEAP_PROFILE"); f != "" { // what the idle connections hold
		writeHeapProfile(b, f+"."+st.name)
	}
	runtime.KeepAlive(clients)
	return h3bMem{after.heap - before.heap, after.stack - before.stack, after.goroutines - before.goroutines}
}

// h3bScope is a testing.TB whose Cleanup functions run when the caller says, not at the
// end of the benchmark.
type h3bScope struct {
	testing.TB
	cleanups *[]func()
}

func (s *h3bScope) Cleanup(f func()) { *s.cleanups = append(*s.cleanups, f) }
