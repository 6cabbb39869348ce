//go:build wasip1 && (h3wasi_offload || h3wasi_hostcrypto)

package wasi_test

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/internal/wasiabi"
)

// segmentWriter is the method quic.Transport looks for (quic.SegmentWriter).
type segmentWriter interface {
	WriteSegments(b []byte, segSize int, addr netip.AddrPort) (int, error)
}

// TestWriteSegments sends runs of equal-sized datagrams in one call each and
// checks that every datagram arrives whole, in its own read. Under wasihost
// a run leaves as one segmented send (see the wasihost tests).
func TestWriteSegments(t *testing.T) {
	if os.Getenv(wasiabi.SegmentsEnv) != wasiabi.SegmentsVersion {
		t.Skip("the host offers no segmented sends: run under wasmexec (wasihost)")
	}
	for _, tc := range []struct {
		name      string
		seg, size int
	}{
		{"one datagram", 1200, 1200},
		{"even run", 1000, 10 * 1000},
		{"short last", 1350, 20*1350 + 17},
		{"over 64 segments", 100, 150*100 + 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tx := listen(t, "udp4", "127.0.0.1:0")
			rx := listen(t, "udp4", "127.0.0.1:0")
			sw, ok := tx.(segmentWriter)
			if !ok {
				t.Fatalf("%T has no WriteSegments", tx)
			}
			run := make([]byte, tc.size)
			for i := range run {
				run[i] = byte(i/tc.seg*7 + i)
			}
			n, err := sw.WriteSegments(run, tc.seg, addrPort(t, rx))
			if err != nil || n != len(run) {
				t.Fatalf("WriteSegments = %d, %v; want %d", n, err, len(run))
			}
			buf := make([]byte, 2048)
			for off := 0; off < len(run); off += tc.seg {
				want := run[off:min(off+tc.seg, len(run))]
				rx.SetReadDeadline(time.Now().Add(5 * time.Second))
				m, from, err := rx.ReadFromUDPAddrPort(buf)
				if err != nil {
					t.Fatalf("datagram at %d: %v", off, err)
				}
				if from != addrPort(t, tx) || !bytes.Equal(buf[:m], want) {
					t.Fatalf("datagram at %d: %d bytes from %v, want %d bytes from %v", off, m, from, len(want), addrPort(t, tx))
				}
			}
		})
	}
}

// TestWriteSegmentsDeadline: as WriteTo, WriteSegments fails at once once the
// write deadline has passed, and after Close.
func TestWriteSegmentsDeadline(t *testing.T) {
	if os.Getenv(wasiabi.SegmentsEnv) != wasiabi.SegmentsVersion {
		t.Skip("the host offers no segmented sends: run under wasmexec (wasihost)")
	}
	tx := listen(t, "udp4", "127.0.0.1:0")
	rx := listen(t, "udp4", "127.0.0.1:0")
	sw := tx.(segmentWriter)
	run := make([]byte, 4*1000)
	tx.SetWriteDeadline(time.Now().Add(-time.Second))
	if n, err := sw.WriteSegments(run, 1000, addrPort(t, rx)); n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("past deadline: WriteSegments = %d, %v", n, err)
	}
	tx.SetWriteDeadline(time.Time{})
	tx.Close()
	if n, err := sw.WriteSegments(run, 1000, addrPort(t, rx)); n != 0 || !errors.Is(err, net.ErrClosed) {
		t.Fatalf("closed: WriteSegments = %d, %v", n, err)
	}
}
