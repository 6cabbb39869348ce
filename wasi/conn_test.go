package wasi_test

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/wasi"
)

// These tests run natively (where package wasi is package net) and, more
// to the point, under WebAssembly through wasmexec, which gives the module
// wasihost's sockets: the same behaviour is expected of both.

func listen(t testing.TB, network, addr string) wasi.AddrPortConn {
	t.Helper()
	c, err := wasi.ListenPacket(network, addr)
	if err != nil {
		if network == "udp6" {
			t.Skipf("no IPv6 loopback: %v", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ac, ok := c.(wasi.AddrPortConn)
	if !ok {
		t.Fatalf("%T does not implement AddrPortConn", c)
	}
	return ac
}

func addrPort(t testing.TB, c net.PacketConn) netip.AddrPort {
	ap, err := netip.ParseAddrPort(c.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

func payload(i int) []byte {
	b := make([]byte, 1+i*131%1452)
	for j := range b {
		b[j] = byte(i*31 + j)
	}
	return b
}

// echo serves c until it is closed.
func echo(c wasi.AddrPortConn) {
	buf := make([]byte, 2048)
	for {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		c.WriteToUDPAddrPort(buf[:n], from)
	}
}

func TestEcho(t *testing.T) {
	for _, tc := range []struct{ network, addr string }{
		{"udp", "127.0.0.1:0"},
		{"udp6", "[::1]:0"},
	} {
		t.Run(tc.network, func(t *testing.T) {
			srv := listen(t, tc.network, tc.addr)
			cli := listen(t, tc.network, tc.addr)
			go echo(srv)
			to := addrPort(t, srv)
			buf := make([]byte, 2048)
			for i := range 300 {
				want := payload(i)
				if _, err := cli.WriteTo(want, net.UDPAddrFromAddrPort(to)); err != nil {
					t.Fatal(err)
				}
				cli.SetReadDeadline(time.Now().Add(5 * time.Second))
				n, from, err := cli.ReadFrom(buf)
				if err != nil {
					t.Fatalf("datagram %d: %v", i, err)
				}
				if !bytes.Equal(buf[:n], want) || from.String() != to.String() {
					t.Fatalf("datagram %d: %d bytes from %v; want %d from %v", i, n, from, len(want), to)
				}
			}
		})
	}
}

func TestReadDeadline(t *testing.T) {
	c := listen(t, "udp", "127.0.0.1:0")
	start := time.Now()
	c.SetReadDeadline(start.Add(50 * time.Millisecond))
	_, _, err := c.ReadFrom(make([]byte, 8))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("err = %v; want deadline exceeded", err)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("err = %v is not a net.Error timeout", err)
	}
	if el := time.Since(start); el < 50*time.Millisecond {
		t.Errorf("deadline fired early, after %v", el)
	}
	// A past deadline fails at once; clearing it lets data through.
	_, _, err = c.ReadFrom(make([]byte, 8))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("past deadline: err = %v", err)
	}
	c.SetReadDeadline(time.Time{})
	other := listen(t, "udp", "127.0.0.1:0")
	go func() {
		time.Sleep(10 * time.Millisecond)
		other.WriteTo([]byte("hi"), c.LocalAddr())
	}()
	n, _, err := c.ReadFrom(make([]byte, 8))
	if err != nil || n != 2 {
		t.Fatalf("after clearing the deadline: %d, %v", n, err)
	}
}

// TestWaitingReaderDoesNotFreeze: while a reader waits, a ticker goroutine
// must run (in WebAssembly a blocking host call would freeze it); after a
// few ticks it sends the datagram the reader waits for.
func TestWaitingReaderDoesNotFreeze(t *testing.T) {
	c := listen(t, "udp", "127.0.0.1:0")
	other := listen(t, "udp", "127.0.0.1:0")
	var ticks atomic.Int32
	go func() {
		tk := time.NewTicker(2 * time.Millisecond)
		defer tk.Stop()
		for range tk.C {
			if ticks.Add(1) == 5 {
				other.WriteTo([]byte("tick"), c.LocalAddr())
				return
			}
		}
	}()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, _, err := c.ReadFrom(make([]byte, 8)); err != nil {
		t.Fatalf("reader: %v after %d ticks", err, ticks.Load())
	}
}

func TestCloseUnblocksReader(t *testing.T) {
	c, err := wasi.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		_, _, err := c.ReadFrom(make([]byte, 8))
		done <- err
	}()
	time.Sleep(10 * time.Millisecond)
	c.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("err = %v; want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not unblock ReadFrom")
	}
	if _, err := c.WriteTo([]byte("x"), c.LocalAddr()); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
}

func TestResolveUDPAddr(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"127.0.0.1:443", "127.0.0.1:443"},
		{"[::1]:53", "[::1]:53"},
		{"localhost:80", "127.0.0.1:80"},
	} {
		a, err := wasi.ResolveUDPAddr("udp", tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if a.String() != tc.want {
			t.Errorf("%s: got %v, want %s", tc.in, a, tc.want)
		}
	}
	if _, err := wasi.ResolveUDPAddr("tcp", "127.0.0.1:1"); err == nil {
		t.Error("tcp resolved")
	}
}

func TestNoAllocsPerDatagram(t *testing.T) {
	a := listen(t, "udp", "127.0.0.1:0")
	b := listen(t, "udp", "127.0.0.1:0")
	to := addrPort(t, b)
	msg := make([]byte, 1200)
	buf := make([]byte, 2048)
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := a.WriteToUDPAddrPort(msg, to); err != nil {
			t.Fatal(err)
		}
		if _, _, err := b.ReadFromUDPAddrPort(buf); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0 {
		t.Errorf("%.1f allocations per datagram; want 0", allocs)
	}
}

// BenchmarkPingPong measures one round trip between two sockets of this
// module, including two wake-ups of a waiting reader.
func BenchmarkPingPong(b *testing.B) {
	srv := listen(b, "udp", "127.0.0.1:0")
	cli := listen(b, "udp", "127.0.0.1:0")
	go echo(srv)
	to := addrPort(b, srv)
	msg := make([]byte, 1200)
	buf := make([]byte, 2048)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, err := cli.WriteToUDPAddrPort(msg, to); err != nil {
			b.Fatal(err)
		}
		if _, _, err := cli.ReadFromUDPAddrPort(buf); err != nil {
			b.Fatal(err)
		}
	}
}

// TestManyWaitingReaders has readers of several sockets wait at once (in
// WebAssembly: one leads the doorbell, the others follow) while datagrams
// arrive in a scrambled order, and one reader times out meanwhile.
func TestManyWaitingReaders(t *testing.T) {
	const socks, per = 4, 100
	var conns []wasi.AddrPortConn
	for range socks {
		conns = append(conns, listen(t, "udp", "127.0.0.1:0"))
	}
	timeoutDone := make(chan error, 1)
	idle := listen(t, "udp", "127.0.0.1:0")
	go func() {
		idle.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
		_, _, err := idle.ReadFrom(make([]byte, 8))
		timeoutDone <- err
	}()
	got := make(chan int, socks*per)
	for i, c := range conns {
		go func() {
			buf := make([]byte, 64)
			for range per {
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				n, _, err := c.ReadFromUDPAddrPort(buf)
				if err != nil || n != 1 || int(buf[0]) != i {
					got <- -1
					return
				}
				got <- i
			}
		}()
	}
	src := listen(t, "udp", "127.0.0.1:0")
	for k := range socks * per {
		i := (k*7 + k/socks) % socks
		if _, err := src.WriteToUDPAddrPort([]byte{byte(i)}, addrPort(t, conns[i])); err != nil {
			t.Fatal(err)
		}
		if k%8 == 0 {
			time.Sleep(time.Millisecond) // let readers fall asleep again
		}
	}
	counts := make([]int, socks)
	for range socks * per {
		i := <-got
		if i < 0 {
			t.Fatal("a reader failed or read a datagram of another socket")
		}
		counts[i]++
	}
	if err := <-timeoutDone; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("idle reader: %v; want a deadline error", err)
	}
	t.Logf("datagrams per socket: %v", counts)
}

// BenchmarkBurst measures the per-datagram cost without wake-ups: 32
// datagrams of 1200 bytes sent, then read, between two sockets.
func BenchmarkBurst(b *testing.B) {
	src := listen(b, "udp", "127.0.0.1:0")
	dst := listen(b, "udp", "127.0.0.1:0")
	if err := dst.(interface{ SetReadBuffer(int) error }).SetReadBuffer(1 << 20); err != nil {
		b.Logf("SetReadBuffer: %v", err)
	}
	to := addrPort(b, dst)
	msg := make([]byte, 1200)
	buf := make([]byte, 2048)
	b.ReportAllocs()
	b.SetBytes(32 * int64(len(msg)))
	for b.Loop() {
		for range 32 {
			if _, err := src.WriteToUDPAddrPort(msg, to); err != nil {
				b.Fatal(err)
			}
		}
		for range 32 {
			if _, _, err := dst.ReadFromUDPAddrPort(buf); err != nil {
				b.Fatal(err)
			}
		}
	}
}
