//go:build linux

package wasihost

import (
	"errors"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// recvFrom reads one datagram without blocking and without allocating
// (unix.Recvfrom would allocate the sender's address).
func (s *hostSocket) recvFrom(b []byte) (int, netip.AddrPort, error) {
	var rsa unix.RawSockaddrAny
	l := uint32(unix.SizeofSockaddrAny)
	var p unsafe.Pointer
	if len(b) > 0 {
		p = unsafe.Pointer(&b[0])
	} else {
		var one byte // a zero-length read still consumes the datagram
		p = unsafe.Pointer(&one)
	}
	n, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(s.fd), uintptr(p), uintptr(len(b)),
		unix.MSG_DONTWAIT, uintptr(unsafe.Pointer(&rsa)), uintptr(unsafe.Pointer(&l)))
	if e != 0 {
		return 0, netip.AddrPort{}, syscall.Errno(e)
	}
	var from netip.AddrPort
	switch rsa.Addr.Family {
	case unix.AF_INET:
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(&rsa))
		from = netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), netPort(&sa.Port))
	case unix.AF_INET6:
		sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(&rsa))
		from = netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), netPort(&sa.Port))
	}
	return int(n), from, nil
}

// netPort reads a port stored in network byte order.
func netPort(p *uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(p))
	return uint16(b[0])<<8 | uint16(b[1])
}

// sendSegmented sends b, datagrams of seg bytes (the last may be shorter),
// with one UDP_SEGMENT sendmsg; errNoGSO if the kernel cannot segment.
func (s *hostSocket) sendSegmented(b []byte, seg int, to netip.AddrPort) error {
	sa, err := s.sockaddr(to)
	if err != nil {
		return err
	}
	if s.gsoCmsg == nil {
		s.gsoCmsg = make([]byte, unix.CmsgSpace(2))
		h := (*unix.Cmsghdr)(unsafe.Pointer(&s.gsoCmsg[0]))
		h.Level, h.Type = unix.SOL_UDP, unix.UDP_SEGMENT
		h.SetLen(unix.CmsgLen(2))
	}
	*(*uint16)(unsafe.Pointer(&s.gsoCmsg[unix.CmsgLen(0)])) = uint16(seg)
	_, err = unix.SendmsgN(s.fd, b, s.gsoCmsg, sa, 0)
	if err != nil && isNoGSO(err) {
		return errNoGSO
	}
	return err
}

// isNoGSO tells a refusal to segment from other send errors.
func isNoGSO(err error) bool {
	return errors.Is(err, syscall.EIO) || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.EOPNOTSUPP)
}
