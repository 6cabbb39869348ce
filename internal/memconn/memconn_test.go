package memconn

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

func TestPairDeliversBothWays(t *testing.T) {
	a, b := Pair()
	buf := make([]byte, 2048)
	for _, tc := range []struct {
		from, to *Conn
		msg      string
	}{{a, b, "ping"}, {b, a, "pong"}} {
		if _, err := tc.from.WriteTo([]byte(tc.msg), tc.to.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		n, addr, err := tc.to.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(buf[:n]); got != tc.msg {
			t.Errorf("read %q, want %q", got, tc.msg)
		}
		if addr.String() != tc.from.LocalAddr().String() {
			t.Errorf("from %v, want %v", addr, tc.from.LocalAddr())
		}
	}
}

func TestWriterBufferReuse(t *testing.T) {
	a, b := Pair()
	msg := []byte("first")
	a.WriteTo(msg, nil)
	copy(msg, "XXXXX") // the pipe must have copied the datagram
	buf := make([]byte, 16)
	n, _, err := b.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "first" {
		t.Fatalf("read %q, %v; want \"first\"", buf[:n], err)
	}
}

func TestQueueFullDrops(t *testing.T) {
	a, b := Pair()
	for i := 0; i < 5000; i++ {
		if _, err := a.WriteTo([]byte{byte(i)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	got := 0
	for len(b.in) > 0 {
		memPool.Put(<-b.in)
		got++
	}
	if got != cap(b.in) {
		t.Errorf("%d datagrams queued, want the queue's capacity %d (the rest dropped)", got, cap(b.in))
	}
}

func TestDeadlineAndClose(t *testing.T) {
	a, b := Pair()
	buf := make([]byte, 8)
	b.SetReadDeadline(time.Now().Add(-time.Second))
	if _, _, err := b.ReadFrom(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("read after the deadline: %v, want os.ErrDeadlineExceeded", err)
	}
	// A reader blocked without a deadline is woken by a deadline set meanwhile.
	b.SetReadDeadline(time.Time{})
	done := make(chan error, 1)
	go func() {
		_, _, err := b.ReadFrom(buf)
		done <- err
	}()
	b.SetReadDeadline(time.Now())
	if err := <-done; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("blocked read after SetReadDeadline(now): %v", err)
	}
	b.SetReadDeadline(time.Time{})
	b.Close()
	if _, _, err := b.ReadFrom(buf); !errors.Is(err, net.ErrClosed) {
		t.Errorf("read after Close: %v, want net.ErrClosed", err)
	}
	a.Close()
	if _, err := a.WriteTo([]byte("x"), nil); !errors.Is(err, net.ErrClosed) {
		t.Errorf("write after Close: %v, want net.ErrClosed", err)
	}
}
