package quic

import (
	"errors"
	"io"
	"net"
	"net/netip"
)

// SegmentWriter is implemented by packet connections that can send a run of
// datagrams of one size to one address in a single call, as Linux's UDP
// segmentation offload does for *net.UDPConn. When a Transport's Conn has it,
// the driver hands it runs of up to 64 datagrams instead of writing them one
// by one. Package wasi's connections have it when built with
// -tags h3wasi_offload, so that a WebAssembly guest under wasihost pays
// one host call per run rather than per datagram.
type SegmentWriter interface {
	// WriteSegments sends b as datagrams of segSize bytes each (the last may
	// be shorter) to addr, and returns how many bytes it sent: all of b,
	// unless err is set.
	WriteSegments(b []byte, segSize int, addr netip.AddrPort) (int, error)
}

// A run is at most maxGSOSegs datagrams of at most maxGSOSize bytes in all.
const (
	maxGSOSegs = 64 // Linux's UDP_MAX_SEGMENTS
	maxGSOSize = 65000
)

// segmentWriter sends runs of equal-sized datagrams and returns the bytes it
// sent (whole datagrams); errGSOUnsupported tells the driver to send one by
// one from now on.
type segmentWriter interface {
	write(b []byte, seg int, to netip.AddrPort) (int, error)
}

var errGSOUnsupported = errors.New("quic: UDP segmentation offload unavailable")

// newSegmentWriter returns how pc sends runs of datagrams, or nil if it
// cannot.
func newSegmentWriter(pc net.PacketConn) segmentWriter {
	if sw, ok := pc.(SegmentWriter); ok {
		return connSegments{sw}
	}
	if g := newGSO(pc); g != nil {
		return g
	}
	return nil
}

// connSegments adapts a SegmentWriter.
type connSegments struct{ w SegmentWriter }

func (c connSegments) write(b []byte, seg int, to netip.AddrPort) (int, error) {
	n, err := c.w.WriteSegments(b, seg, to)
	if n >= len(b) {
		return len(b), nil
	}
	n = max(n, 0) / seg * seg // whole datagrams, whatever the writer says
	if err == nil {
		err = io.ErrShortWrite
	}
	return n, err
}

// NonblockingReader is implemented by packet connections that can hand over a
// datagram already queued without waiting for one. After each datagram it
// reads, the driver takes up to maxBatch-1 more this way and handles them
// together, so that a connection answers the batch at once (one ACK, one run
// of datagrams), as it does with Linux's receive offload. Package wasi's
// connections implement it: in WebAssembly, where there is no receive
// offload, answering every datagram on its own was a large part of a
// sender's time.
type NonblockingReader interface {
	// TryReadFromUDPAddrPort reads a queued datagram into b. ok is false if
	// none is queued, and on any error, which the next blocking read reports.
	TryReadFromUDPAddrPort(b []byte) (n int, addr netip.AddrPort, ok bool)
}

// Limits of a batch read through a NonblockingReader: datagrams, and the
// room left in the buffer below which the driver stops (a datagram larger than
// the room would be truncated; we advertise a max_udp_payload_size of at most
// 1452 bytes).
const (
	maxBatch     = 64
	minBatchRoom = 2048
)

// received is one read: n bytes at off in the read buffer, datagrams of seg
// bytes (the last may be shorter), from one source.
type received struct {
	off, n, seg int
	from        netip.AddrPort
}

// drainQueued appends to batch the datagrams the socket already has queued,
// read into buf after the first n bytes.
func (t *Transport) drainQueued(buf []byte, n int, batch []received) []received {
	off := n
	for len(batch) < maxBatch && len(buf)-off >= minBatchRoom {
		m, from, ok := t.nbr.TryReadFromUDPAddrPort(buf[off:])
		if !ok {
			break
		}
		batch = append(batch, received{off, m, max(m, 1), netip.AddrPortFrom(from.Addr().Unmap(), from.Port())})
		off += m
	}
	return batch
}
