package quic

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
)

// TestConcurrentExchangesSharePackets: many goroutines exchanging small requests and
// responses on one connection, as HTTP/3 clients and handlers do, share packets: the
// writes made while another writer waits for its turn leave with its packet
// (flushSmall), and the acknowledgements ride on the answers (releaseAcks). Sent one
// by one, with an ACK-only packet for every two received, the exchanges would take
// about three datagrams each.
func TestConcurrentExchangesSharePackets(t *testing.T) {
	const workers, rounds = 16, 20
	var datagrams atomic.Int64
	count := func(ev TraceEvent) {
		if ev.Kind == TraceDatagramSent {
			datagrams.Add(1)
		}
	}
	forEachNetwork(t, func(t *testing.T, nw network) {
		p := newTestPair(t, nw, &Config{Tracer: count}, &Config{Tracer: count})
		ctx := testCtx(t)
		go func() {
			for {
				s, err := p.server.AcceptStream(ctx)
				if err != nil {
					return
				}
				go func() {
					req, err := io.ReadAll(s)
					if err != nil {
						return
					}
					s.WriteAndClose(append(bytes.Repeat([]byte("r"), 100), req...))
				}()
			}
		}()
		datagrams.Store(0)
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			wg.Go(func() {
				for r := range rounds {
					req := []byte(fmt.Sprintf("request %d/%d", w, r))
					s, err := p.client.OpenStreamSync(ctx)
					if err != nil {
						errs <- err
						return
					}
					if _, err := s.WriteAndClose(req); err != nil {
						errs <- err
						return
					}
					resp, err := io.ReadAll(s)
					if err != nil || len(resp) != 100+len(req) || !bytes.Equal(resp[100:], req) {
						errs <- fmt.Errorf("response %q, %v", resp, err)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		n := datagrams.Load()
		per := float64(n) / (workers * rounds)
		t.Logf("%d datagrams for %d exchanges: %.2f each", n, workers*rounds, per)
		if per > 1.5 {
			t.Errorf("%.2f datagrams per exchange, want at most 1.5", per)
		}
	})
}

// TestLoneWriteLeavesAtOnce: a small write with no other writer around is in a
// packet by the time Write returns: coalescing adds no delay to it.
func TestLoneWriteLeavesAtOnce(t *testing.T) {
	var mu sync.Mutex
	var sent []uint64 // stream IDs of the STREAM frames sent
	tracer := func(ev TraceEvent) {
		if ev.Kind != TracePacketSent || ev.PacketType != "1-RTT" {
			return
		}
		fs, _ := streamFramesIn(ev.Payload)
		mu.Lock()
		defer mu.Unlock()
		for _, f := range fs {
			sent = append(sent, f.StreamID)
		}
	}
	p := newTestPair(t, networks[0], nil, &Config{Tracer: tracer})
	go echoServer(p.server)
	for i := range 3 {
		s, err := p.client.OpenStream()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		ok := len(sent) > 0 && sent[len(sent)-1] == uint64(s.StreamID())
		mu.Unlock()
		if !ok {
			t.Fatalf("write %d: no packet with its STREAM frame when Write returned (frames sent: %v)", i, sent)
		}
		s.Close()
		if got, err := io.ReadAll(s); err != nil || string(got) != "ping" {
			t.Fatalf("echo %q, %v", got, err)
		}
	}
}
