//go:build !linux

package main

import "net"

// reportICMPErrors would make ICMP errors fail the socket's reads; elsewhere
// than on Linux an unconnected UDP socket does not learn of them, and dialing a
// closed port ends with the handshake timeout.
func reportICMPErrors(net.PacketConn, bool, bool) {}
