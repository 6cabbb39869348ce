//go:build !wasip1

package wasi

import "net"

// ListenPacket announces on the local network address; outside WebAssembly
// it is net.ListenPacket.
func ListenPacket(network, address string) (net.PacketConn, error) {
	return net.ListenPacket(network, address)
}

// ResolveUDPAddr returns the address of a UDP end point; outside
// WebAssembly it is net.ResolveUDPAddr.
func ResolveUDPAddr(network, address string) (*net.UDPAddr, error) {
	return net.ResolveUDPAddr(network, address)
}
