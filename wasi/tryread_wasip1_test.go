//go:build wasip1

package wasi_test

import (
	"bytes"
	"net/netip"
	"testing"
	"time"
)

// nonblockingReader is the method quic.Transport looks for (quic.NonblockingReader).
type nonblockingReader interface {
	TryReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, bool)
}

// TestTryRead: a non-blocking read finds nothing on an empty socket, then
// returns the datagrams already queued, in order, whole, with their source.
func TestTryRead(t *testing.T) {
	tx := listen(t, "udp4", "127.0.0.1:0")
	rx := listen(t, "udp4", "127.0.0.1:0")
	tr, ok := rx.(nonblockingReader)
	if !ok {
		t.Fatalf("%T has no TryReadFromUDPAddrPort", rx)
	}
	buf := make([]byte, 2048)
	if n, _, ok := tr.TryReadFromUDPAddrPort(buf); ok {
		t.Fatalf("read %d bytes from an empty socket", n)
	}
	const count = 20
	for i := range count {
		if _, err := tx.WriteToUDPAddrPort(payload(i), addrPort(t, rx)); err != nil {
			t.Fatal(err)
		}
	}
	// The first read waits, as the driver's does; the rest are queued by then
	// (loopback delivers at send time).
	rx.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := rx.ReadFromUDPAddrPort(buf)
	if err != nil || !bytes.Equal(buf[:n], payload(0)) {
		t.Fatalf("first datagram: %d bytes, %v", n, err)
	}
	for i := 1; i < count; i++ {
		n, from, ok := tr.TryReadFromUDPAddrPort(buf)
		if !ok {
			t.Fatalf("datagram %d not queued", i)
		}
		if from != addrPort(t, tx) || !bytes.Equal(buf[:n], payload(i)) {
			t.Fatalf("datagram %d: %d bytes from %v", i, n, from)
		}
	}
	if _, _, ok := tr.TryReadFromUDPAddrPort(buf); ok {
		t.Fatal("read past the queued datagrams")
	}
	rx.Close()
	if _, _, ok := tr.TryReadFromUDPAddrPort(buf); ok {
		t.Fatal("read from a closed socket")
	}
}
