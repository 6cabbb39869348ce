package netsim

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"runtime"
	"testing"
	"time"
)

// These tests use real time but assert no timing: every wait is bounded by
// a generous deadline that is only reached on failure.

func realPair(t *testing.T, cfg LinkConfig) (*Network, *Endpoint, *Endpoint) {
	t.Helper()
	n := NewRealtime(1)
	t.Cleanup(func() { n.Close() })
	n.SetDefaultLink(cfg)
	return n, n.MustListen("10.0.0.1:443"), n.MustListen("10.0.0.2:5000")
}

func TestConnEcho(t *testing.T) {
	_, server, client := realPair(t, LinkConfig{Delay: 2 * time.Millisecond, Jitter: time.Millisecond})
	var pc net.PacketConn = server
	go func() {
		buf := make([]byte, 1500)
		for {
			k, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(buf[:k], from)
		}
	}()
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 1500)
	for i := range 20 {
		msg := []byte{byte(i), 'x', 'y'}
		if _, err := client.WriteTo(msg, server.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		k, from, err := client.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		if string(buf[:k]) != string(msg) || from.String() != "10.0.0.1:443" {
			t.Fatalf("echo %d: %q from %v", i, buf[:k], from)
		}
		if _, ok := from.(*net.UDPAddr); !ok {
			t.Fatalf("address type %T", from)
		}
	}
	server.Close()
}

func TestConnReadDeadline(t *testing.T) {
	_, _, client := realPair(t, LinkConfig{})
	client.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	_, _, err := client.ReadFrom(make([]byte, 10))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read after deadline: %v", err)
	}
	// A deadline in the past fails at once; clearing it lets reads block.
	client.SetDeadline(time.Now().Add(-time.Second))
	if _, err := client.WriteTo([]byte("x"), client.LocalAddr()); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("write after deadline: %v", err)
	}
	client.SetDeadline(time.Time{})
	if _, err := client.WriteTo([]byte("x"), client.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := client.ReadFrom(make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
}

// TestConnWakeups checks that Close and a new deadline wake a blocked reader.
func TestConnWakeups(t *testing.T) {
	for _, tc := range []struct {
		name    string
		act     func(e *Endpoint)
		wantErr error
	}{
		{"close", func(e *Endpoint) { e.Close() }, net.ErrClosed},
		{"deadline", func(e *Endpoint) { e.SetReadDeadline(time.Now()) }, os.ErrDeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, client := realPair(t, LinkConfig{})
			errc := make(chan error, 1)
			go func() {
				_, _, err := client.ReadFrom(make([]byte, 10))
				errc <- err
			}()
			// Whether the reader is already blocked or not, it must end.
			tc.act(client)
			select {
			case err := <-errc:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("got %v, want %v", err, tc.wantErr)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("reader not woken")
			}
		})
	}
}

func TestConnImpairments(t *testing.T) {
	// Realtime uses the same model: a blackhole from 0 to forever drops all,
	// MTU drops big ones, and the delivery goroutine handles many timers.
	n, server, client := realPair(t, LinkConfig{MTU: 100, Delay: time.Millisecond, Jitter: 5 * time.Millisecond})
	for i := range 200 {
		size := 50
		if i%2 == 1 {
			size = 200
		}
		client.WriteTo(make([]byte, size), server.LocalAddr())
	}
	server.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 300)
	for range 100 {
		k, _, err := server.ReadFrom(buf)
		if err != nil || k != 50 {
			t.Fatalf("read %d bytes: %v", k, err)
		}
	}
	s := n.Link(client, server).Stats()
	if s.Delivered != 100 || s.Dropped[DropMTU] != 100 {
		t.Errorf("stats %+v", s)
	}
	n.Link(client, server).SetConfig(LinkConfig{Blackholes: []Window{{0, maxTime}}})
	client.WriteTo([]byte("gone"), server.LocalAddr())
	if s := n.Link(client, server).Stats(); s.Dropped[DropBlackhole] != 1 {
		t.Errorf("blackhole: %+v", s)
	}
}

func TestConnHandlerRealtime(t *testing.T) {
	_, server, client := realPair(t, LinkConfig{Delay: time.Millisecond})
	got := make(chan string, 1)
	server.SetHandler(func(now time.Duration, from netip.AddrPort, b []byte) { got <- string(b) })
	client.WriteTo([]byte("hello"), server.LocalAddr())
	select {
	case s := <-got:
		if s != "hello" {
			t.Fatalf("handler got %q", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("handler not called")
	}
}

func TestWriteToBadAddr(t *testing.T) {
	_, _, client := realPair(t, LinkConfig{})
	if _, err := client.WriteTo(nil, &net.TCPAddr{}); err == nil {
		t.Error("TCP address accepted")
	}
}

func TestAdvanceRealtimePanics(t *testing.T) {
	n, _, _ := realPair(t, LinkConfig{})
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	n.AdvanceTo(time.Second)
}

// TestConnConcurrentReaders checks that no wake-up is lost when several
// readers share an endpoint, with and without deadlines.
func TestConnConcurrentReaders(t *testing.T) {
	const readers, count = 4, 2000
	_, server, client := realPair(t, LinkConfig{Jitter: 200 * time.Microsecond})
	got := make(chan struct{}, count)
	ended := make(chan struct{}, readers)
	for i := range readers {
		go func() {
			buf := make([]byte, 16)
			for {
				if i%2 == 0 { // half use (far) deadlines, exercising the timers
					server.SetReadDeadline(time.Now().Add(time.Minute))
				}
				if _, _, err := server.ReadFromUDPAddrPort(buf); err != nil {
					ended <- struct{}{}
					return
				}
				got <- struct{}{}
			}
		}()
	}
	msg := []byte("x")
	for i := range count {
		client.WriteToUDPAddrPort(msg, server.AddrPort())
		if i%100 == 0 {
			runtime.Gosched() // let readers block between bursts
		}
	}
	timeout := time.After(10 * time.Second)
	for i := range count {
		select {
		case <-got:
		case <-timeout:
			t.Fatalf("stuck after %d of %d datagrams (pending %d)", i, count, server.Pending())
		}
	}
	server.Close()
	for range readers {
		select {
		case <-ended:
		case <-timeout:
			t.Fatal("a reader was not woken by Close")
		}
	}
}

func TestConnRebindRealtime(t *testing.T) {
	n, server, client := realPair(t, LinkConfig{})
	newAddr := netip.MustParseAddrPort("10.9.9.9:7777")
	client.RebindAt(n.Now(), newAddr) // runs on the delivery goroutine
	client.WriteTo([]byte("hi"), server.LocalAddr())
	server.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 8)
	// Events run in time order, so the rebind has happened once the first
	// datagram is delivered; that datagram may carry either source, as it
	// may have been sent before the rebind ran.
	if _, _, err := server.ReadFrom(buf); err != nil {
		t.Fatal(err)
	}
	if client.ExternalAddr() != newAddr {
		t.Fatalf("not rebound: %v", client.ExternalAddr())
	}
	client.WriteTo([]byte("hi"), server.LocalAddr())
	_, from, err := server.ReadFrom(buf)
	if err != nil || from.String() != newAddr.String() {
		t.Fatalf("server saw %v, %v", from, err)
	}
	server.WriteTo([]byte("re"), from)
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	if k, _, err := client.ReadFrom(buf); err != nil || string(buf[:k]) != "re" {
		t.Fatalf("client got %q, %v", buf[:k], err)
	}
}
