//go:build linux

package quic

import (
	"errors"
	"net"
	"net/netip"
	"syscall"
	"unsafe"
)

// Generic segmentation offload (Linux UDP_SEGMENT): one sendmsg carries up to 64
// datagrams of equal size (the last may be shorter) and the kernel splits them. The
// system call per datagram is most of a sender's cost otherwise.

const (
	solUDP     = 17  // SOL_UDP
	udpSegment = 103 // UDP_SEGMENT
)

// gso sends batches of datagrams through one *net.UDPConn.
type gso struct {
	conn *net.UDPConn
	oob  []byte // one UDP_SEGMENT control message, rewritten for each batch
}

// newGSO returns a batch sender for pc, or nil when pc is not a UDP socket of a kernel
// that supports UDP_SEGMENT.
func newGSO(pc net.PacketConn) *gso {
	uc, ok := pc.(*net.UDPConn)
	if !ok {
		return nil
	}
	rc, err := uc.SyscallConn()
	if err != nil {
		return nil
	}
	supported := false
	rc.Control(func(fd uintptr) {
		_, err := syscall.GetsockoptInt(int(fd), solUDP, udpSegment)
		supported = err == nil
	})
	if !supported {
		return nil
	}
	g := &gso{conn: uc, oob: make([]byte, syscall.CmsgSpace(2))}
	h := (*syscall.Cmsghdr)(unsafe.Pointer(&g.oob[0]))
	h.Level, h.Type = solUDP, udpSegment
	h.SetLen(syscall.CmsgLen(2))
	return g
}

// write sends b, a run of datagrams of seg bytes (the last may be shorter), to to, and
// returns the bytes sent. It reports errGSOUnsupported when the path cannot segment
// (e.g. no checksum offload).
func (g *gso) write(b []byte, seg int, to netip.AddrPort) (int, error) {
	*(*uint16)(unsafe.Pointer(&g.oob[syscall.CmsgLen(0)])) = uint16(seg)
	_, _, err := g.conn.WriteMsgUDPAddrPort(b, g.oob, to)
	if errors.Is(err, syscall.EIO) || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.EOPNOTSUPP) {
		return 0, errGSOUnsupported
	}
	if err != nil {
		return 0, err // a segmented send is all or nothing
	}
	return len(b), nil
}

// Generic receive offload (Linux UDP_GRO): the kernel hands over a run of datagrams of
// one flow in a single read, with their segment size in a control message, so the
// driver pays one system call per run and answers the whole run at once.

const udpGRO = 104 // UDP_GRO

// gro reads runs of datagrams from one *net.UDPConn.
type gro struct {
	conn *net.UDPConn
	oob  []byte
}

// newGRO enables receive offload on pc, or returns nil.
func newGRO(pc net.PacketConn) *gro {
	uc, ok := pc.(*net.UDPConn)
	if !ok {
		return nil
	}
	rc, err := uc.SyscallConn()
	if err != nil {
		return nil
	}
	enabled := false
	rc.Control(func(fd uintptr) {
		enabled = syscall.SetsockoptInt(int(fd), solUDP, udpGRO, 1) == nil
	})
	if !enabled {
		return nil
	}
	return &gro{conn: uc, oob: make([]byte, 2*syscall.CmsgSpace(4))}
}

// read reads a run of datagrams into b; seg is their size (the last may be shorter), or
// 0 when the read holds one datagram.
func (g *gro) read(b []byte) (n, seg int, from netip.AddrPort, err error) {
	n, oobn, _, from, err := g.conn.ReadMsgUDPAddrPort(b, g.oob)
	if err != nil {
		return 0, 0, from, err
	}
	oob := g.oob[:oobn]
	hdr := syscall.CmsgLen(0)
	for len(oob) >= hdr {
		h := (*syscall.Cmsghdr)(unsafe.Pointer(&oob[0]))
		l := int(h.Len)
		if l < hdr || l > len(oob) {
			break
		}
		if h.Level == solUDP && h.Type == udpGRO && l >= hdr+4 {
			seg = int(*(*int32)(unsafe.Pointer(&oob[hdr])))
		}
		oob = oob[min(cmsgAlign(l), len(oob)):]
	}
	return n, seg, from, nil
}

// cmsgAlign rounds a control message length up to the platform's alignment.
func cmsgAlign(l int) int {
	const a = int(unsafe.Sizeof(uintptr(0)))
	return (l + a - 1) &^ (a - 1)
}
