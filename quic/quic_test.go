package quic

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"
)

func TestHandshake(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw network) {
		p := newTestPair(t, nw, nil, nil)
		for _, c := range []*Conn{p.client, p.server} {
			st := c.ConnectionState()
			if st.TLS.NegotiatedProtocol != "test" || !st.TLS.HandshakeComplete {
				t.Errorf("state = %+v", st.TLS)
			}
			if c.Context().Err() != nil {
				t.Errorf("context done after handshake")
			}
		}
		if p.client.RemoteAddr().String() != p.ln.Addr().String() {
			t.Errorf("client RemoteAddr %v, listener %v", p.client.RemoteAddr(), p.ln.Addr())
		}
		if p.server.RemoteAddr().String() != p.client.LocalAddr().String() {
			t.Errorf("server RemoteAddr %v, client %v", p.server.RemoteAddr(), p.client.LocalAddr())
		}
	})
}

// echoServer echoes every bidirectional stream of c until it ends.
func echoServer(c *Conn) {
	for {
		s, err := c.AcceptStream(context.Background())
		if err != nil {
			return
		}
		go func() {
			io.Copy(s, s)
			s.Close()
		}()
	}
}

func TestEchoManyStreams(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw network) {
		p := newTestPair(t, nw, nil, nil)
		go echoServer(p.server)
		const streams = 40
		var wg sync.WaitGroup
		errs := make(chan error, streams)
		for i := range streams {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- echoOnce(testCtx(t), p.client, testData(100+i*977))
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
	})
}

// echoOnce sends data on a new stream and checks that it comes back.
func echoOnce(ctx context.Context, c *Conn, data []byte) error {
	s, err := c.OpenStreamSync(ctx)
	if err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok {
		s.SetDeadline(dl)
	}
	werr := make(chan error, 1)
	go func() {
		_, err := s.Write(data)
		if err == nil {
			err = s.Close()
		}
		werr <- err
	}()
	got, err := io.ReadAll(s)
	if err != nil {
		return fmt.Errorf("stream %d: read: %w", s.StreamID(), err)
	}
	if err := <-werr; err != nil {
		return fmt.Errorf("stream %d: write: %w", s.StreamID(), err)
	}
	if !bytes.Equal(got, data) {
		return fmt.Errorf("stream %d: got %d bytes, want %d", s.StreamID(), len(got), len(data))
	}
	return nil
}

func TestUniStreams(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw network) {
		p := newTestPair(t, nw, nil, nil)
		ctx := testCtx(t)
		for _, dir := range []struct {
			name     string
			from, to *Conn
		}{{"client-to-server", p.client, p.server}, {"server-to-client", p.server, p.client}} {
			data := testData(300 << 10)
			ss, err := dir.from.OpenUniStreamSync(ctx)
			if err != nil {
				t.Fatal(err)
			}
			go func() {
				ss.Write(data)
				ss.Close()
			}()
			rs, err := dir.to.AcceptUniStream(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if rs.StreamID() != ss.StreamID() || ss.StreamID()&2 == 0 {
				t.Errorf("%s: stream IDs %d and %d", dir.name, ss.StreamID(), rs.StreamID())
			}
			got, err := io.ReadAll(rs)
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("%s: read %d bytes, err %v", dir.name, len(got), err)
			}
		}
	})
}

func TestDeadlines(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw network) {
		// A small window so that a peer that never reads blocks the writer quickly.
		small := &Config{InitialStreamReceiveWindow: 16 << 10, MaxStreamReceiveWindow: 16 << 10,
			InitialConnectionReceiveWindow: 64 << 10, MaxConnectionReceiveWindow: 64 << 10}
		p := newTestPair(t, nw, small, nil)
		s, err := p.client.OpenStream()
		if err != nil {
			t.Fatal(err)
		}
		s.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		n, err := s.Read(make([]byte, 10))
		var ne net.Error
		if n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("Read = %d, %v; want deadline exceeded", n, err)
		}
		s.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
		n, err = s.Write(make([]byte, 4<<20))
		if !errors.Is(err, os.ErrDeadlineExceeded) || n >= 4<<20 {
			t.Errorf("Write = %d, %v; want deadline exceeded", n, err)
		}
		// A deadline moved while a Read blocks takes effect.
		s.SetReadDeadline(time.Time{})
		done := make(chan error, 1)
		go func() {
			_, err := s.Read(make([]byte, 10))
			done <- err
		}()
		s.SetReadDeadline(time.Now().Add(-time.Second))
		if err := <-done; !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("blocked Read after deadline change: %v", err)
		}
	})
}

func TestCancelWriteSeenByPeer(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw network) {
		p := newTestPair(t, nw, nil, nil)
		ctx := testCtx(t)
		s, _ := p.client.OpenStream()
		s.Write([]byte("hello"))
		rs, err := p.server.AcceptStream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		s.CancelWrite(7)
		_, err = io.ReadAll(rs)
		var se *StreamError
		if !errors.As(err, &se) || se.ErrorCode != 7 || !se.Remote || se.StreamID != s.StreamID() {
			t.Fatalf("peer Read error = %v, want remote StreamError 7", err)
		}
		if _, err := s.Write([]byte("x")); !errors.Is(err, &StreamError{ErrorCode: 7}) {
			t.Errorf("local Write after CancelWrite = %v", err)
		}
	})
}

func TestCancelReadSeenByPeer(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw network) {
		p := newTestPair(t, nw, nil, nil)
		ctx := testCtx(t)
		s, _ := p.client.OpenStream()
		s.Write([]byte("hello"))
		rs, err := p.server.AcceptStream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rs.CancelRead(42)
		if _, err := rs.Read(make([]byte, 1)); !errors.Is(err, &StreamError{ErrorCode: 42}) {
			t.Errorf("local Read after CancelRead = %v", err)
		}
		s.SetWriteDeadline(time.Now().Add(20 * time.Second))
		buf := make([]byte, 1000)
		for {
			_, err = s.Write(buf)
			if err != nil {
				break
			}
		}
		var se *StreamError
		if !errors.As(err, &se) || se.ErrorCode != 42 || !se.Remote {
			t.Fatalf("Write error = %v, want remote StreamError 42", err)
		}
	})
}

func TestCloseWithErrorSeenByPeer(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw network) {
		p := newTestPair(t, nw, nil, nil)
		ctx := testCtx(t)
		s, _ := p.server.OpenStream()
		s.Write([]byte("x")) // the client accepts it below, then sees the close
		var code ApplicationErrorCode = 0x11
		p.client.CloseWithError(code, "bye")
		select {
		case <-p.server.Context().Done():
		case <-ctx.Done():
			t.Fatal("server connection not closed")
		}
		var ae *ApplicationError
		err := context.Cause(p.server.Context())
		if !errors.As(err, &ae) || ae.Code != code || ae.Reason != "bye" || !ae.Remote {
			t.Fatalf("server sees %v, want remote application error 0x11 bye", err)
		}
		if _, err := p.server.AcceptStream(ctx); !errors.As(err, &ae) {
			t.Errorf("AcceptStream after close = %v", err)
		}
		if _, err := s.Write([]byte("y")); !errors.As(err, &ae) {
			t.Errorf("Write after close = %v", err)
		}
		err = context.Cause(p.client.Context())
		if !errors.As(err, &ae) || ae.Remote || ae.Code != 0x11 {
			t.Errorf("client sees %v, want local application error", err)
		}
		if _, err := p.client.OpenStream(); err == nil {
			t.Errorf("OpenStream on a closed connection succeeded")
		}
	})
}

func TestIdleTimeout(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw network) {
		conf := &Config{MaxIdleTimeout: 300 * time.Millisecond}
		p := newTestPair(t, nw, conf, conf)
		ctx := testCtx(t)
		for _, c := range []*Conn{p.client, p.server} {
			select {
			case <-c.Context().Done():
			case <-ctx.Done():
				t.Fatal("no idle timeout")
			}
			err := context.Cause(c.Context())
			var ne net.Error
			if !errors.Is(err, &IdleTimeoutError{}) || !errors.As(err, &ne) || !ne.Timeout() {
				t.Errorf("closed with %v, want IdleTimeoutError", err)
			}
		}
	})
}

func TestKeepAlive(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw network) {
		// Generous margins: under WebAssembly on a loaded machine timers run late.
		conf := &Config{MaxIdleTimeout: time.Second, KeepAlivePeriod: 100 * time.Millisecond}
		p := newTestPair(t, nw, conf, conf)
		// Wait on a deadline (not a sleep): the connection must outlive 2.5 idle timeouts.
		s, _ := p.client.OpenStream()
		s.SetReadDeadline(time.Now().Add(2500 * time.Millisecond))
		if _, err := s.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("Read = %v, want deadline (connection died?)", err)
		}
		if err := p.client.Context().Err(); err != nil {
			t.Fatalf("connection closed despite keep-alives: %v", context.Cause(p.client.Context()))
		}
	})
}

func TestHandshakeTimeout(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw network) {
		spc, cpc := nw.pair(t) // spc never answers
		defer spc.Close()
		tr := &Transport{Conn: cpc}
		defer tr.Close()
		_, err := tr.Dial(testCtx(t), spc.LocalAddr(), clientTLS(), &Config{HandshakeIdleTimeout: 200 * time.Millisecond})
		if !errors.Is(err, &HandshakeTimeoutError{}) {
			t.Fatalf("Dial = %v, want HandshakeTimeoutError", err)
		}
		// Cancelling the context ends a Dial too.
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if _, err := tr.Dial(ctx, spc.LocalAddr(), clientTLS(), nil); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Dial = %v, want context deadline", err)
		}
	})
}

func TestListenerClose(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw network) {
		p := newTestPair(t, nw, nil, nil)
		ctx := testCtx(t)
		accepted := make(chan error, 1)
		go func() {
			_, err := p.ln.Accept(ctx)
			accepted <- err
		}()
		p.ln.Close()
		if err := <-accepted; !errors.Is(err, ErrServerClosed) {
			t.Fatalf("blocked Accept after Close = %v", err)
		}
		// Accepted connections stay usable.
		go echoServer(p.server)
		if err := echoOnce(ctx, p.client, []byte("still here")); err != nil {
			t.Fatal(err)
		}
		// New connections are refused.
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if c, err := p.ct.Dial(dctx, p.ln.Addr(), clientTLS(), nil); err == nil {
			c.CloseWithError(0, "")
			t.Fatal("Dial to a closed listener succeeded")
		} else {
			t.Logf("Dial to a closed listener: %v", err)
		}
	})
}

func TestTransportClose(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw network) {
		p := newTestPair(t, nw, nil, nil)
		ctx := testCtx(t)
		p.st.Close()
		if err := context.Cause(p.server.Context()); !errors.Is(err, ErrTransportClosed) {
			t.Errorf("server conn after Transport.Close: %v", err)
		}
		select {
		case <-p.client.Context().Done():
		case <-ctx.Done():
			t.Fatal("client not closed")
		}
		var ae *ApplicationError
		if err := context.Cause(p.client.Context()); !errors.As(err, &ae) || !ae.Remote {
			t.Errorf("client sees %v, want the server's application close", err)
		}
		if _, err := p.st.Listen(serverTLS(), nil); !errors.Is(err, ErrTransportClosed) {
			t.Errorf("Listen on closed transport = %v", err)
		}
	})
}

func TestMultipleConnections(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw network) {
		p := newTestPair(t, nw, nil, nil)
		ctx := testCtx(t)
		go echoServer(p.server)
		go func() {
			for {
				c, err := p.ln.Accept(ctx)
				if err != nil {
					return
				}
				go echoServer(c)
			}
		}()
		// More connections from the same client transport, with another Config (so
		// another client endpoint shares the socket).
		for i := range 3 {
			c, err := p.ct.Dial(ctx, p.ln.Addr(), clientTLS(), &Config{})
			if err != nil {
				t.Fatal(err)
			}
			if err := echoOnce(ctx, c, testData(1000*(i+1))); err != nil {
				t.Fatal(err)
			}
			c.CloseWithError(0, "")
		}
		if err := echoOnce(ctx, p.client, []byte("first")); err != nil {
			t.Fatal(err)
		}
	})
}

func TestHandshakeFailures(t *testing.T) {
	nw := networks[1]
	spc, cpc := nw.pair(t)
	st, ct := &Transport{Conn: spc}, &Transport{Conn: cpc}
	defer st.Close()
	defer ct.Close()
	if _, err := st.Listen(serverTLS(), nil); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	cases := []struct {
		name string
		tls  func(*tls.Config)
		code TransportErrorCode
	}{
		// crypto/tls alerts map to CRYPTO_ERROR 0x100+alert (RFC 9001 section 4.8).
		{"alpn", func(c *tls.Config) { c.NextProtos = []string{"other"} }, 0x100 + 120},
		{"unknown-ca", func(c *tls.Config) { c.RootCAs = x509.NewCertPool(); c.ServerName = "localhost" }, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conf := clientTLS()
			tc.tls(conf)
			_, err := ct.Dial(ctx, spc.LocalAddr(), conf, &Config{HandshakeIdleTimeout: 5 * time.Second})
			var te *TransportError
			if !errors.As(err, &te) || te.Code < 0x100 || te.Code > 0x1ff || (tc.code != 0 && te.Code != tc.code) {
				t.Fatalf("Dial = %v, want a CRYPTO_ERROR transport error", err)
			}
		})
	}
	if _, err := ct.Dial(ctx, spc.LocalAddr(), nil, nil); err == nil {
		t.Error("Dial without a tls.Config succeeded")
	}
	if _, err := ct.Dial(ctx, spc.LocalAddr(), &tls.Config{}, nil); !errors.Is(err, errNoALPN) {
		t.Errorf("Dial without ALPN = %v", err)
	}
}

func TestRetry(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw network) {
		p := newTestPair(t, nw, &Config{RequireAddressValidation: true}, nil)
		go echoServer(p.server)
		if err := echoOnce(testCtx(t), p.client, testData(5000)); err != nil {
			t.Fatal(err)
		}
	})
}

func TestDatagrams(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw network) {
		on := &Config{EnableDatagrams: true}
		p := newTestPair(t, nw, on, on)
		ctx := testCtx(t)
		for i := range 5 {
			if err := p.client.SendDatagram([]byte{byte(i), 'x'}); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 5 {
			d, err := p.server.ReceiveDatagram(ctx)
			if err != nil || len(d) != 2 || d[0] != byte(i) {
				t.Fatalf("datagram %d = %q, %v", i, d, err)
			}
		}
		if err := p.client.SendDatagram(make([]byte, 2000)); !errors.Is(err, ErrDatagramTooLarge) {
			t.Errorf("oversized datagram: %v", err)
		}
		p2 := newTestPair(t, nw, nil, on)
		if err := p2.client.SendDatagram([]byte("x")); !errors.Is(err, ErrDatagramsDisabled) {
			t.Errorf("datagram to a peer without datagrams: %v", err)
		}
	})
}

// TestOpenStreamSyncManyWaiters: 50 goroutines wait in OpenStreamSync at the
// peer's limit of 100 streams; one raise of the limit (MAX_STREAMS) admits many
// of them at once and must wake them all, or some wait forever (they did, until
// openSync passed its wake-up on). The client reads in batches, which
// coalesces the raises further.
func TestOpenStreamSyncManyWaiters(t *testing.T) {
	nw := network{"netsim+queue", func(t *testing.T) (net.PacketConn, net.PacketConn) {
		s, c := networks[1].pair(t)
		return s, newQueuedConn(c)
	}}
	p := newTestPair(t, nw, &Config{MaxIncomingStreams: 100}, nil)
	go echoServer(p.server)
	ctx := testCtx(t)
	const openers = 150
	errs := make(chan error, openers)
	for i := range openers {
		go func() {
			s, err := p.client.OpenStreamSync(ctx)
			if err != nil {
				errs <- fmt.Errorf("opener %d: %w", i, err)
				return
			}
			msg := []byte(fmt.Sprintf("stream %d", i))
			s.Write(msg)
			s.Close()
			got, err := io.ReadAll(s)
			if err == nil && !bytes.Equal(got, msg) {
				err = fmt.Errorf("echo %q", got)
			}
			errs <- err
		}()
	}
	for range openers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestConnectionState(t *testing.T) {
	on := &Config{EnableDatagrams: true}
	for _, tc := range []struct {
		name           string
		server, client *Config
		datagrams      bool
	}{
		{"datagrams on both sides", on, on, true},
		{"datagrams on the server only", on, nil, false},
		{"datagrams on the client only", nil, on, false},
		{"no datagrams", nil, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newTestPair(t, networks[1], tc.server, tc.client)
			for _, c := range []*Conn{p.client, p.server} {
				st := c.ConnectionState()
				if st.Version != 1 || st.Used0RTT || st.SupportsDatagrams != tc.datagrams {
					t.Errorf("server %v: Version %#x, Used0RTT %v, SupportsDatagrams %v; want 1, false, %v",
						c.isServer, st.Version, st.Used0RTT, st.SupportsDatagrams, tc.datagrams)
				}
			}
		})
	}
}
