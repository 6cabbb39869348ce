//go:build wasip1 && (h3wasi_offload || h3wasi_hostcrypto)

package wasi

import (
	"net/netip"
	"os"
	"runtime"
	"syscall"
	"unsafe"

	"github.com/h3wasi/h3wasi/internal/wasiabi"
)

// Segmented sends: with the build tag h3wasi_offload (which opts into
// wasihost's native offloads; h3wasi_hostcrypto is its older alias), a
// socket also sends a run of equal-sized datagrams in one host call, which
// wasihost passes to the kernel as one UDP_SEGMENT send on Linux. A host call and a system call per datagram were
// about a fifth of a QUIC sender's time in WebAssembly.

//go:wasmimport h3wasi_sock send_segments
//go:noescape
func sock_send_segments(fd int32, buf unsafe.Pointer, bufLen uint32, segSize uint32, addr *wasiAddr, port uint32, nwritten *uint32) syscall.Errno

// segmentsOffered says whether the host advertises send_segments.
var segmentsOffered = os.Getenv(wasiabi.SegmentsEnv) == wasiabi.SegmentsVersion

// WriteSegments sends b as datagrams of segSize bytes (the last may be
// shorter) to addr, in one host call when the host offers segmented sends,
// otherwise one datagram at a time. It returns the bytes sent; on error,
// the datagrams before that count were sent. quic.Transport uses it.
func (c *udpConn) WriteSegments(b []byte, segSize int, addr netip.AddrPort) (int, error) {
	if segSize <= 0 || !addr.IsValid() {
		return 0, c.opErr("write", addr, syscall.EINVAL)
	}
	if !segmentsOffered || len(b) <= segSize {
		return c.writeEach(b, segSize, addr)
	}
	var raw [16]byte
	wa, errno := c.wasiAddrOf(&raw, addr)
	if errno != 0 {
		return 0, c.opErr("write", addr, errno)
	}
	sent := 0
	err := c.writeRetry("send_segments", addr, func() (bool, syscall.Errno) {
		rest := b[sent:]
		var n uint32
		errno := sock_send_segments(c.fd, unsafe.Pointer(&rest[0]), uint32(len(rest)), uint32(segSize), &wa, uint32(addr.Port()), &n)
		runtime.KeepAlive(b)
		if n > uint32(len(rest)) || (errno == 0 && n == 0) {
			return false, syscall.EIO // a broken host
		}
		sent += int(n)
		if n > 0 && errno != 0 {
			errno = 0 // progress: try the rest at once
		}
		return sent == len(b), errno
	})
	return sent, err
}

// writeEach sends b as datagrams of segSize bytes one by one.
func (c *udpConn) writeEach(b []byte, segSize int, addr netip.AddrPort) (int, error) {
	sent := 0
	for sent < len(b) {
		n := min(segSize, len(b)-sent)
		if _, err := c.WriteToUDPAddrPort(b[sent:sent+n], addr); err != nil {
			return sent, err
		}
		sent += n
	}
	return sent, nil
}
