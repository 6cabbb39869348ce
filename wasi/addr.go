package wasi

import (
	"net"
	"net/netip"
	"strconv"
)

// parseAddr resolves a "host:port" UDP address as ListenPacket and
// ResolveUDPAddr do in WebAssembly: literals and "localhost" here, other
// names through lookup. passive (listening) makes an empty host the
// unspecified address of the network's family.
func parseAddr(network, address string, passive bool, lookup func(host, network string) ([]netip.Addr, error)) (netip.AddrPort, error) {
	switch network {
	case "udp", "udp4", "udp6":
	default:
		return netip.AddrPort{}, net.UnknownNetworkError(network)
	}
	host, service, err := net.SplitHostPort(address)
	if err != nil {
		return netip.AddrPort{}, err
	}
	port := uint64(0)
	if service != "" {
		if port, err = strconv.ParseUint(service, 10, 16); err != nil {
			return netip.AddrPort{}, &net.AddrError{Err: "invalid port", Addr: address}
		}
	}
	p := uint16(port)
	switch {
	case host == "" && passive:
		if network == "udp6" {
			return netip.AddrPortFrom(netip.IPv6Unspecified(), p), nil
		}
		return netip.AddrPortFrom(netip.IPv4Unspecified(), p), nil
	case host == "localhost":
		if network == "udp6" {
			return netip.AddrPortFrom(netip.IPv6Loopback(), p), nil
		}
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), p), nil
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.Zone() != "" {
			return netip.AddrPort{}, &net.AddrError{Err: "zones are not supported", Addr: address}
		}
		if network == "udp4" && !ip.Unmap().Is4() || network == "udp6" && ip.Is4() {
			return netip.AddrPort{}, &net.AddrError{Err: "address family mismatch", Addr: address}
		}
		return netip.AddrPortFrom(ip, p), nil
	}
	if host == "" {
		return netip.AddrPort{}, &net.AddrError{Err: "missing host", Addr: address}
	}
	ips, err := lookup(host, network)
	if err != nil {
		return netip.AddrPort{}, err
	}
	return netip.AddrPortFrom(ips[0], p), nil
}
