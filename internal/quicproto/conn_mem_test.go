package quicproto

import (
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"
)

// idlePairBytes establishes n connections between one client and one server endpoint over
// a simulated LAN, lets them go idle (handshake confirmed, session ticket and NEW_TOKEN
// delivered, ACKs exchanged), and returns the heap bytes retained per client+server pair:
// runtime.MemStats.HeapAlloc after a GC, minus the same figure before dialing.
func idlePairBytes(t testing.TB, n int) float64 {
	p := newPair(t, pairOpts{seed: 40, link: lan, clientCfg: func(c *Config) { c.MaxIdleTimeout = time.Hour },
		serverCfg: func(c *Config) { c.MaxIdleTimeout = time.Hour }})
	p.handshake()
	p.run(time.Second, func() bool { return false })
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	clients := make([]*Conn, 0, n)
	servers := make([]*Conn, 0, n)
	accept := func() {
		for c, ok := p.server.Accept(); ok; c, ok = p.server.Accept() {
			servers = append(servers, c)
		}
	}
	// Dial in batches, so that the simulated network's packet pool stays small.
	const batch = 10
	for len(clients) < n {
		first := len(clients)
		for range min(batch, n-first) {
			c, err := p.client.Dial(int64(p.net.Now()), p.sep.AddrPort())
			if err != nil {
				t.Fatal(err)
			}
			clients = append(clients, c)
		}
		p.run(10*time.Second, func() bool {
			accept()
			if len(servers) < len(clients) {
				return false
			}
			for _, c := range clients[first:] {
				if !c.handshakeConfirmed {
					return false
				}
			}
			return true
		})
	}
	p.run(2*time.Second, func() bool { accept(); return false }) // settle: tickets, ACKs
	for _, c := range clients {
		if !c.handshakeConfirmed || c.Err() != nil {
			t.Fatalf("connection not established: %v", c.Err())
		}
		for ev, ok := c.NextEvent(); ok; ev, ok = c.NextEvent() {
			_ = ev
		}
	}
	for _, c := range servers {
		for ev, ok := c.NextEvent(); ok; ev, ok = c.NextEvent() {
			_ = ev
		}
	}
	if len(servers) != n {
		t.Fatalf("server accepted %d of %d", len(servers), n)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if path := os.Getenv("QUICPROTO_IDLE_HEAP_PROFILE"); path != "" {
		// A heap profile taken while the pairs are alive shows what they retain.
		if f, err := os.Create(path); err == nil {
			_ = pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
	runtime.KeepAlive(clients)
	runtime.KeepAlive(servers)
	runtime.KeepAlive(p)
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(n)
}

// BenchmarkIdleConnMemory reports the heap retained per idle, established client+server
// connection pair (B/pair), over 200 pairs.
func BenchmarkIdleConnMemory(b *testing.B) {
	b.ReportAllocs()
	var per float64
	for range b.N {
		per = idlePairBytes(b, 200)
	}
	b.ReportMetric(per, "B/pair")
}
