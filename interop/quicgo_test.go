package interop

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	_ "unsafe" // for go:linkname
)

// pairs are the interop directions: our client against a quic-go server, and a quic-go
// client against our server.
var pairs = []struct{ client, server stack }{
	{h3wasiStack{}, quicGoStack{}},
	{quicGoStack{}, h3wasiStack{}},
}

// forEachPair runs f for each direction as a subtest.
func forEachPair(t *testing.T, f func(t *testing.T, client, server stack)) {
	for _, p := range pairs {
		t.Run(p.client.name()+"-client/"+p.server.name()+"-server", func(t *testing.T) {
			f(t, p.client, p.server)
		})
	}
}

func TestQuicGoHandshake(t *testing.T) {
	forEachPair(t, func(t *testing.T, client, server stack) {
		s := connect(t, client, server, udpSockets, nil, nil, 30*time.Second)
		st := s.client.TLS()
		if st.NegotiatedProtocol != alpn || st.Version != tls.VersionTLS13 {
			t.Errorf("ALPN %q, version %x", st.NegotiatedProtocol, st.Version)
		}
		if err := echo(s.ctx, s.client, []byte("hello")); err != nil {
			t.Fatal(err)
		}
	})
}

func TestQuicGoTransfer10MiB(t *testing.T) {
	size := 10 << 20
	if testing.Short() {
		size = 2 << 20
	}
	forEachPair(t, func(t *testing.T, client, server stack) {
		s := connect(t, client, server, udpSockets, nil, nil, 60*time.Second)
		start := time.Now()
		if err := download(s.ctx, s.client, size); err != nil {
			t.Fatalf("download: %v", err)
		}
		down := time.Since(start)
		start = time.Now()
		if err := upload(s.ctx, s.client, pattern(size)); err != nil {
			t.Fatalf("upload: %v", err)
		}
		t.Logf("%d bytes: download %v (%.0f MB/s), upload %v (%.0f MB/s)", size,
			down, float64(size)/down.Seconds()/1e6, time.Since(start), float64(size)/time.Since(start).Seconds()/1e6)
	})
}

func TestQuicGoMultiplexing1999(t *testing.T) {
	const streams, workers = 1999, 64
	forEachPair(t, func(t *testing.T, client, server stack) {
		s := connect(t, client, server, udpSockets, nil, nil, 60*time.Second)
		var next atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := next.Add(1); i <= streams; i = next.Add(1) {
					if err := echo(s.ctx, s.client, []byte(fmt.Sprintf("stream %d", i))); err != nil {
						errs <- fmt.Errorf("stream %d: %w", i, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

// crypto/tls ignores tls.Config.CipherSuites for TLS 1.3 and offers no other switch; the
// only way to restrict both stacks (they share crypto/tls) to one suite is its preference
// lists, which crypto/tls exports for linkname (go.dev/issue/67401), as
// internal/handshake's tests do.
//
//go:linkname defaultCipherSuitesTLS13 crypto/tls.defaultCipherSuitesTLS13
var defaultCipherSuitesTLS13 []uint16

//go:linkname defaultCipherSuitesTLS13NoAES crypto/tls.defaultCipherSuitesTLS13NoAES
var defaultCipherSuitesTLS13NoAES []uint16

// Suite lists are process-wide: tests that force one must not run in parallel.
func forceSuite(t *testing.T, suite uint16) {
	saved, savedNoAES := defaultCipherSuitesTLS13, defaultCipherSuitesTLS13NoAES
	defaultCipherSuitesTLS13 = []uint16{suite}
	defaultCipherSuitesTLS13NoAES = []uint16{suite}
	t.Cleanup(func() { defaultCipherSuitesTLS13, defaultCipherSuitesTLS13NoAES = saved, savedNoAES })
}

func TestQuicGoChaCha20(t *testing.T) {
	forceSuite(t, tls.TLS_CHACHA20_POLY1305_SHA256)
	forEachPair(t, func(t *testing.T, client, server stack) {
		s := connect(t, client, server, udpSockets, nil, nil, 30*time.Second)
		if got := s.client.TLS().CipherSuite; got != tls.TLS_CHACHA20_POLY1305_SHA256 {
			t.Fatalf("cipher suite %s", tls.CipherSuiteName(got))
		}
		if err := download(s.ctx, s.client, 1<<20); err != nil {
			t.Fatal(err)
		}
		if err := upload(s.ctx, s.client, pattern(256<<10)); err != nil {
			t.Fatal(err)
		}
	})
}

func TestQuicGoLoss5(t *testing.T) {
	size := 2 << 20
	if testing.Short() {
		size = 512 << 10
	}
	forEachPair(t, func(t *testing.T, client, server stack) {
		s := connect(t, client, server, lossySockets(5*time.Millisecond, 0.05), nil, nil, 90*time.Second)
		start := time.Now()
		if err := download(s.ctx, s.client, size); err != nil {
			t.Fatalf("download: %v", err)
		}
		if err := upload(s.ctx, s.client, pattern(size/2)); err != nil {
			t.Fatalf("upload: %v", err)
		}
		t.Logf("%d + %d bytes through 5%% loss in %v", size, size/2, time.Since(start))
	})
}

func TestQuicGoCloseWithError(t *testing.T) {
	forEachPair(t, func(t *testing.T, client, server stack) {
		s := connect(t, client, server, udpSockets, nil, nil, 30*time.Second)
		// The server closes the connection the client opened a stream on.
		str, err := s.client.OpenStreamSync(s.ctx)
		if err != nil {
			t.Fatal(err)
		}
		str.Write(request(opEcho, 0))
		s.client.CloseWithError(0x42, "bye")
		select {
		case <-s.client.Done():
		case <-s.ctx.Done():
			t.Fatal("client connection not done")
		}
		if _, err := str.Write([]byte("x")); err == nil {
			t.Error("write after CloseWithError succeeded")
		}
	})
}

func TestQuicGoIdleTimeout(t *testing.T) {
	forEachPair(t, func(t *testing.T, client, server stack) {
		c := &cfg{idle: 300 * time.Millisecond}
		s := connect(t, client, server, udpSockets, c, c, 30*time.Second)
		select {
		case <-s.client.Done():
		case <-s.ctx.Done():
			t.Fatal("no idle timeout")
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if _, err := s.client.OpenStreamSync(ctx); err == nil || errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("OpenStreamSync after idle timeout = %v", err)
		}
	})
}

// TestQuicGoRetry: a quic-go client follows our server's Retry.
func TestQuicGoRetry(t *testing.T) {
	s := connect(t, quicGoStack{}, h3wasiStack{}, udpSockets, &cfg{retry: true}, nil, 30*time.Second)
	if err := download(s.ctx, s.client, 100<<10); err != nil {
		t.Fatal(err)
	}
}

func TestQuicGoDatagrams(t *testing.T) {
	forEachPair(t, func(t *testing.T, client, server stack) {
		on := &cfg{datagrams: true}
		s := connect(t, client, server, udpSockets, on, on, 30*time.Second)
		// Datagrams may be lost, even on loopback: send until 5 distinct echoes came back.
		got := map[byte]bool{}
		for i := 0; len(got) < 5 && i < 200; i++ {
			if err := s.client.SendDatagram([]byte{byte(i), 'd'}); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(s.ctx, 200*time.Millisecond)
			d, err := s.client.ReceiveDatagram(ctx)
			cancel()
			if err == nil && len(d) == 2 && d[1] == 'd' {
				got[d[0]] = true
			}
		}
		if len(got) < 5 {
			t.Fatalf("%d datagrams echoed", len(got))
		}
	})
}
