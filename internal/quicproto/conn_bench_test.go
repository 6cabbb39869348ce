package quicproto

import (
	"testing"
	"time"
)

// BenchmarkBulkTransfer moves data on one stream between two connections in memory, under
// a virtual clock that advances 2 µs per datagram. One op is 1 MiB; packets/op says how
// many datagrams that took, so allocs/op divided by it is the allocations per packet.
func BenchmarkBulkTransfer(b *testing.B) {
	tc := newTestConn(b)
	client, server := tc.peer, tc.c
	client.cfg.MaxIdleTimeout = time.Hour
	s, ok := client.OpenStream(false)
	if !ok {
		b.Fatal("OpenStream")
	}
	chunk := testData(64 << 10)
	cbuf, sbuf := make([]byte, 1500), make([]byte, 1500)
	rbuf := make([]byte, 64<<10)
	var rs *Stream
	now := tc.now
	packets := 0
	pump := func(target int) {
		read := 0
		for read < target {
			s.Write(chunk)
			sent := 0
			for {
				n, _, ok := client.Send(now, cbuf)
				if !ok {
					break
				}
				packets++
				sent++
				now += 2000
				server.Receive(now, testClientAddr, cbuf[:n])
			}
			for {
				n, _, ok := server.Send(now, sbuf)
				if !ok {
					break
				}
				sent++
				now += 2000
				client.Receive(now, testServerAddr, sbuf[:n])
			}
			if sent == 0 {
				// Nothing could leave (pacer, delayed ACK): jump to the next timer.
				if d := min(nonZero(client.Deadline()), nonZero(server.Deadline())); d > now {
					now = d
				}
			}
			if rs == nil {
				for {
					ev, ok := server.NextEvent()
					if !ok {
						break
					}
					if ev.Kind == EventStreamOpened {
						rs = server.Stream(ev.Stream)
					}
				}
			}
			for rs != nil {
				n, _ := rs.Read(rbuf)
				read += n
				if n == 0 {
					break
				}
			}
			if d := client.Deadline(); d > 0 && d <= now {
				client.HandleTimeout(now)
			}
			if d := server.Deadline(); d > 0 && d <= now {
				server.HandleTimeout(now)
			}
			if client.Err() != nil || server.Err() != nil {
				b.Fatalf("connection closed: %v / %v", client.Err(), server.Err())
			}
		}
	}
	pump(4 << 20) // warm up: windows and buffers reach their steady size
	packets = 0
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		pump(1 << 20)
	}
	b.StopTimer()
	b.ReportMetric(float64(packets)/float64(b.N), "packets/op")
}

// BenchmarkHandshake runs complete client-server handshakes (Ed25519 certificate, X25519,
// AES-128-GCM) in memory, including the confirmation round trip.
func BenchmarkHandshake(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		tc := newTestConn(b)
		tc.c.enterClosed(ErrConnClosed)
		tc.peer.enterClosed(ErrConnClosed)
	}
}

func nonZero(t int64) int64 {
	if t == 0 {
		return 1<<63 - 1
	}
	return t
}

// BenchmarkRequestResponse runs request/response exchanges on fresh bidirectional streams,
// 16 at a time, between two connections in memory: one op is one exchange (a 100-byte
// request, a 1 KiB response), like HTTP/3 GETs.
func BenchmarkRequestResponse(b *testing.B) {
	tc := newTestConn(b)
	client, server := tc.peer, tc.c
	client.cfg.MaxIdleTimeout = time.Hour
	req, resp := testData(100), testData(1024)
	cbuf, sbuf, rbuf := make([]byte, 1500), make([]byte, 1500), make([]byte, 4096)
	now := tc.now
	var inflight []*Stream
	done := 0
	exchange := func(target int) {
		for done < target {
			for len(inflight) < 16 {
				s, ok := client.OpenStream(false)
				if !ok {
					break
				}
				s.Write(req)
				s.Close()
				inflight = append(inflight, s)
			}
			sent := 0
			for n, _, ok := client.Send(now, cbuf); ok; n, _, ok = client.Send(now, cbuf) {
				sent++
				now += 2000
				server.Receive(now, testClientAddr, cbuf[:n])
			}
			for ev, ok := server.NextEvent(); ok; ev, ok = server.NextEvent() {
				if ev.Kind != EventStreamReadable {
					continue
				}
				s := server.Stream(ev.Stream)
				if s == nil {
					continue
				}
				for {
					n, err := s.Read(rbuf)
					if err != nil { // the whole request is in
						s.Write(resp)
						s.Close()
						break
					}
					if n == 0 {
						break
					}
				}
			}
			for n, _, ok := server.Send(now, sbuf); ok; n, _, ok = server.Send(now, sbuf) {
				sent++
				now += 2000
				client.Receive(now, testServerAddr, sbuf[:n])
			}
			kept := inflight[:0]
			for _, s := range inflight {
				for {
					n, err := s.Read(rbuf)
					if err != nil {
						done++
						break
					}
					if n == 0 {
						kept = append(kept, s)
						break
					}
				}
			}
			inflight = kept
			for _, ok := client.NextEvent(); ok; _, ok = client.NextEvent() {
			}
			if sent == 0 {
				if d := min(nonZero(client.Deadline()), nonZero(server.Deadline())); d > now {
					now = d
				}
				client.HandleTimeout(now)
				server.HandleTimeout(now)
			}
			if client.Err() != nil || server.Err() != nil {
				b.Fatalf("closed: %v / %v", client.Err(), server.Err())
			}
		}
	}
	exchange(1000) // warm up
	b.ReportAllocs()
	b.ResetTimer()
	start := done
	exchange(start + b.N)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
