//go:build !linux

package quic

import (
	"net"
	"net/netip"
)

// gso is Linux's UDP segmentation offload; elsewhere datagrams go out one by one
// (unless the PacketConn is a SegmentWriter).
type gso struct{}

func newGSO(net.PacketConn) *gso { return nil }

func (*gso) write([]byte, int, netip.AddrPort) (int, error) { return 0, errGSOUnsupported }

// gro is Linux's UDP receive offload; elsewhere datagrams are read one by one.
type gro struct{}

func newGRO(net.PacketConn) *gro { return nil }

func (*gro) read([]byte) (int, int, netip.AddrPort, error) {
	return 0, 0, netip.AddrPort{}, errGSOUnsupported
}
