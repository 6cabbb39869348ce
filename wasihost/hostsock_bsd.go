//go:build unix && !linux

package wasihost

import (
	"net/netip"

	"golang.org/x/sys/unix"
)

// recvFrom reads one datagram without blocking.
func (s *hostSocket) recvFrom(b []byte) (int, netip.AddrPort, error) {
	n, sa, err := unix.Recvfrom(s.fd, b, unix.MSG_DONTWAIT)
	if err != nil {
		return 0, netip.AddrPort{}, err
	}
	return n, fromSockaddr(sa), nil
}

// sendSegmented: no segmentation offload here; sendRuns sends one by one.
func (s *hostSocket) sendSegmented([]byte, int, netip.AddrPort) error { return errNoGSO }
