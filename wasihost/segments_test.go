//go:build unix

package wasihost

import (
	"bytes"
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"
)

// TestSendRuns: a run of equal-sized datagrams (more than one system call's
// worth, the last shorter) arrives as separate whole datagrams, and on
// Linux it went out as segmented sends.
func TestSendRuns(t *testing.T) {
	rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	rx.SetReadBuffer(4 << 20)
	s, err := openHostSocket(false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if err := s.bind(netip.MustParseAddrPort("127.0.0.1:0")); err != nil {
		t.Fatal(err)
	}
	const seg = 1000
	run := make([]byte, 100*seg+17) // two system calls with segmentation
	for i := range run {
		run[i] = byte(i/seg + i)
	}
	to := rx.LocalAddr().(*net.UDPAddr).AddrPort()
	n, err := s.sendRuns(run, seg, to)
	if err != nil || n != len(run) {
		t.Fatalf("sendRuns = %d, %v; want %d", n, err, len(run))
	}
	if runtime.GOOS == "linux" && s.noGSO {
		t.Log("this kernel refused UDP_SEGMENT; the run went out one datagram at a time")
	}
	buf := make([]byte, 2048)
	for off := 0; off < len(run); off += seg {
		want := run[off:min(off+seg, len(run))]
		rx.SetReadDeadline(time.Now().Add(5 * time.Second))
		m, err := rx.Read(buf)
		if err != nil {
			t.Fatalf("datagram at %d: %v", off, err)
		}
		if !bytes.Equal(buf[:m], want) {
			t.Fatalf("datagram at %d: got %d bytes, want %d", off, m, len(want))
		}
	}
}
