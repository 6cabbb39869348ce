//go:build linux

package main

import (
	"net"
	"syscall"
)

// reportICMPErrors (on) asks the kernel to fail the socket's next read when an
// ICMP error (port unreachable: nobody listens) comes back for a datagram it sent,
// as a connected socket's do, so that dialing a closed port fails at once rather
// than after the handshake timeout (curl tells the two apart: exit 7 and 28). It
// is turned off once the handshake is done: an ICMP "fragmentation needed" for a
// path MTU probe must not end the connection.
func reportICMPErrors(pc net.PacketConn, ipv6, on bool) {
	uc, ok := pc.(*net.UDPConn)
	if !ok {
		return
	}
	rc, err := uc.SyscallConn()
	if err != nil {
		return
	}
	v := 0
	if on {
		v = 1
	}
	rc.Control(func(fd uintptr) {
		if ipv6 {
			syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IPV6, syscall.IPV6_RECVERR, v)
		} else {
			syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_RECVERR, v)
		}
	})
}
