// Package wasi gives WebAssembly modules (GOOS=wasip1) UDP sockets: a
// net.PacketConn over the WasmEdge socket extension ABI (sock_open,
// sock_bind, sock_send_to, sock_recv_from, ...), which wasihost and WasmEdge
// implement. On every other platform ListenPacket and ResolveUDPAddr are the
// net package's, so a program (or a QUIC library) written against this
// package builds and runs unchanged natively and in WebAssembly.
//
// A wasip1 module runs on one thread: a host call that blocked would freeze
// every goroutine and timer. The sockets therefore never block in the host.
// A reader that finds its socket empty sleeps in the Go scheduler until the
// host rings a doorbell, a read deadline passes, or the socket closes;
// other goroutines run meanwhile. A host that rings the doorbell (writes a
// byte to the module's stdin when a socket the module found empty becomes
// readable, as wasihost does) sets the environment variable
// H3WASI_SOCKET_WAKE=stdin. Without it (or with H3WASI_SOCKET_WAKE=poll)
// readers poll, with a 50µs to 2ms backoff.
//
// The returned connections also implement AddrPortConn, whose methods
// allocate nothing per datagram, as *net.UDPConn does natively. Built with
// -tags h3wasi_offload (wasihost's native offloads; h3wasi_hostcrypto is an
// older name for the same tag), they also have WriteSegments(b, segSize,
// addr), which sends a run of equal-sized datagrams in one host call
// (h3wasi_sock.send_segments, used when the host sets H3WASI_SEGMENTS=1,
// one datagram at a time otherwise); quic.Transport uses it through
// quic.SegmentWriter. Such a module runs only under wasihost.
//
// Differences from the net package on wasip1: "udp" with an empty or
// unspecified host opens an IPv4 socket (use "udp6" or an IPv6 address for
// IPv6); names other than "localhost" are resolved by the host; a module
// using this package must not read its stdin under wasihost (the doorbell
// owns it).
//
// The ABI's names and numbers, shared with wasihost, are defined in
// internal/wasiabi.
package wasi

import (
	"errors"
	"net"
	"net/netip"
)

// ErrNotPermitted is matched (errors.Is) by the errors of binds, sends and
// name lookups that the host's network policy refuses (WASI errno
// ENOTCAPABLE, which they match too).
var ErrNotPermitted = errors.New("not permitted by the host's network policy")

// AddrPortConn is a datagram socket with allocation-free reads and writes.
// *net.UDPConn implements it, and so do the sockets of this package.
type AddrPortConn interface {
	net.PacketConn
	ReadFromUDPAddrPort(b []byte) (n int, addr netip.AddrPort, err error)
	WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error)
}
