package quic

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/internal/memconn"
)

// BenchmarkTransfer moves 64 KiB chunks on one stream between two transports joined by an
// in-memory pipe (no kernel), natively or under WebAssembly:
//
//	go test -run '^$' -bench Transfer -benchmem ./quic
//	GOOS=wasip1 GOARCH=wasm go test -exec /tmp/wasmexec -run '^$' -bench Transfer ./quic
func BenchmarkTransfer(b *testing.B) {
	spc, cpc := memconn.Pair()
	st, ct := &Transport{Conn: spc}, &Transport{Conn: cpc}
	defer st.Close()
	defer ct.Close()
	ln, err := st.Listen(serverTLS(), nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c, err := ct.Dial(ctx, spc.LocalAddr(), clientTLS(), nil)
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan int64, 1)
	go func() {
		sc, err := ln.Accept(ctx)
		if err != nil {
			done <- -1
			return
		}
		s, err := sc.AcceptStream(ctx)
		if err != nil {
			done <- -1
			return
		}
		n, _ := io.Copy(io.Discard, s)
		done <- n
	}()
	s, err := c.OpenStream()
	if err != nil {
		b.Fatal(err)
	}
	const chunk = 64 << 10
	buf := testData(chunk)
	b.SetBytes(chunk)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := s.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	s.Close()
	if n := <-done; n != int64(b.N)*chunk {
		b.Fatalf("server read %d bytes, want %d", n, b.N*chunk)
	}
}

// BenchmarkHandshake measures full handshakes over an in-memory pipe.
func BenchmarkHandshake(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		spc, cpc := memconn.Pair()
		st, ct := &Transport{Conn: spc}, &Transport{Conn: cpc}
		if _, err := st.Listen(serverTLS(), nil); err != nil {
			b.Fatal(err)
		}
		c, err := ct.Dial(context.Background(), spc.LocalAddr(), clientTLS(), nil)
		if err != nil {
			b.Fatal(err)
		}
		c.CloseWithError(0, "")
		ct.Close()
		st.Close()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "handshakes/s")
}
