package interop

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/wasi"

	"github.com/h3wasi/h3wasi/internal/memconn"
)

// The benchmarks run h3wasi against itself and quic-go against itself in one process, in
// the same run, so their figures compare directly (see docs/BENCHMARKS.md):
//
//	go test -run '^$' -bench . -benchmem -count 6 . | tee bench.txt
//	benchstat -col /stack bench.txt

var stacks = []stack{h3wasiStack{}, quicGoStack{}}

var socketKinds = []struct {
	name  string
	socks sockets
}{{"udp", udpSockets}, {"mem", memSockets}}

// BenchmarkTransfer sends b.N chunks of 64 KiB on one stream from the client to the
// server, which discards them. cpu-ns/MB is the CPU time of the whole process (client
// and server) per megabyte.
func BenchmarkTransfer(b *testing.B) {
	for _, sk := range socketKinds {
		for _, st := range stacks {
			b.Run(fmt.Sprintf("net=%s/stack=%s", sk.name, st.name()), func(b *testing.B) {
				benchTransfer(b, st, sk.socks)
			})
		}
	}
}

func benchTransfer(b *testing.B, st stack, socks sockets) {
	const chunk = 64 << 10
	s := connect(b, st, st, socks, nil, nil, 10*time.Minute)
	str, err := s.client.OpenStreamSync(s.ctx)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := str.Write(request(opSink, 0)); err != nil {
		b.Fatal(err)
	}
	buf := pattern(chunk)
	b.SetBytes(chunk)
	b.ReportAllocs()
	runtime.GC()
	b.ResetTimer()
	cpu0 := cpuTime()
	for range b.N {
		if _, err := str.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	str.Close()
	reply, err := io.ReadAll(str) // the server's count: everything arrived
	b.StopTimer()
	cpu := cpuTime() - cpu0
	if err != nil || len(reply) != 8 || binary.BigEndian.Uint64(reply) != uint64(b.N*chunk) {
		b.Fatalf("server reply %x, %v", reply, err)
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/(float64(b.N*chunk)/1e6), "cpu-ns/MB")
}

// BenchmarkHandshake measures full handshakes (no resumption). Over loopback UDP each
// iteration dials the same server from a fresh socket; over memory each iteration makes
// a fresh pipe, server and client. The connection is closed after its handshake.
func BenchmarkHandshake(b *testing.B) {
	for _, st := range stacks {
		b.Run("net=udp/stack="+st.name(), func(b *testing.B) {
			spc, _ := udpSockets(b)
			srv := st.transport(spc)
			defer srv.Close()
			ln, err := srv.listen(serverTLS(), nil)
			if err != nil {
				b.Fatal(err)
			}
			go serve(ln)
			benchHandshakes(b, func() (tport, net.Addr) {
				pc, err := wasi.ListenPacket("udp", "127.0.0.1:0")
				if err != nil {
					b.Fatal(err)
				}
				return st.transport(pc), spc.LocalAddr()
			}, func() {})
		})
	}
	for _, st := range stacks {
		b.Run("net=mem/stack="+st.name(), func(b *testing.B) {
			var srv tport
			benchHandshakes(b, func() (tport, net.Addr) {
				spc, cpc := memconn.Pair()
				srv = st.transport(spc)
				ln, err := srv.listen(serverTLS(), nil)
				if err != nil {
					b.Fatal(err)
				}
				go serve(ln)
				return st.transport(cpc), spc.LocalAddr()
			}, func() { srv.Close() })
		})
	}
}

// benchHandshakes dials b.N times with the transports client returns, calling done
// after each connection was closed.
func benchHandshakes(b *testing.B, client func() (tport, net.Addr), done func()) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	tc := clientTLS()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		tr, addr := client()
		c, err := tr.dial(ctx, addr, tc, nil)
		if err != nil {
			b.Fatal(err)
		}
		c.CloseWithError(0, "")
		tr.Close()
		done()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "handshakes/s")
}

// BenchmarkIdleConnMemory opens idleConns connections from one client transport to one
// server transport and reports the memory (heap and goroutine stacks) they hold (client and server side together) per
// connection, and the goroutines each one costs. It measures one batch whatever b.N is;
// run it with -benchtime 1x.
func BenchmarkIdleConnMemory(b *testing.B) {
	const idleConns = 200
	for _, st := range stacks {
		b.Run("stack="+st.name(), func(b *testing.B) {
			spc, cpc := udpSockets(b)
			srv, cli := st.transport(spc), st.transport(cpc)
			defer srv.Close()
			defer cli.Close()
			ln, err := srv.listen(serverTLS(), &cfg{idle: 5 * time.Minute})
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			tc, cc := clientTLS(), &cfg{idle: 5 * time.Minute}
			// One connection first, so lazily created per-transport state is not counted.
			if _, err := cli.dial(ctx, spc.LocalAddr(), tc, cc); err != nil {
				b.Fatal(err)
			}
			if _, err := ln.Accept(ctx); err != nil {
				b.Fatal(err)
			}
			var conns []conn
			before, g0 := heapInUse(), runtime.NumGoroutine()
			for range idleConns {
				c, err := cli.dial(ctx, spc.LocalAddr(), tc, cc)
				if err != nil {
					b.Fatal(err)
				}
				sc, err := ln.Accept(ctx)
				if err != nil {
					b.Fatal(err)
				}
				conns = append(conns, c, sc)
			}
			time.Sleep(500 * time.Millisecond) // let handshake leftovers (ACKs, tickets) settle
			after, g1 := heapInUse(), runtime.NumGoroutine()
			if f := os.Getenv("IDLE_HEAP_PROFILE"); f != "" {
				writeHeapProfile(b, f+"."+st.name())
			}
			b.ReportMetric(float64(after-before)/idleConns, "B/conn-pair")
			b.ReportMetric(float64(g1-g0)/idleConns, "goroutines/conn-pair")
			runtime.KeepAlive(conns)
		})
	}
}

// heapInUse returns the live heap plus the goroutine stacks after a full collection
// (stacks count: a design with goroutines per connection pays for them there).
func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc + ms.StackInuse)
}

// writeHeapProfile writes the live heap to file (for finding what idle connections hold).
func writeHeapProfile(b *testing.B, file string) {
	f, err := os.Create(file)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		b.Fatal(err)
	}
}
