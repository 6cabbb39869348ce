// Package wasihost runs WebAssembly modules (wasip1 commands, such as Go
// programs built with GOOS=wasip1 GOARCH=wasm) on wazero and gives them UDP
// sockets backed by real host sockets, scoped by a capability policy, so
// that a Go program can run untrusted network plugins.
//
// # Sockets
//
// The module imports the WasmEdge socket extension ABI from
// wasi_snapshot_preview1 (sock_open, sock_bind, sock_send_to,
// sock_recv_from, sock_getlocaladdr, sock_setsockopt, sock_getsockopt,
// sock_getaddrinfo, sock_shutdown); package wasi is a net.PacketConn over
// it. Each module instance has its own socket table: at most
// Config.MaxSockets UDP sockets, IPv4 or IPv6 (dual stack), all of them
// closed when the module exits, traps or is cancelled. Policy decides
// which addresses a module may bind and send to (loopback only by
// default); a refusal is the WASI errno ENOTCAPABLE, which package wasi
// reports as a *net.OpError naming the address. Bad guest pointers give
// EFAULT; nothing a module passes can crash the host.
//
// The socket functions never block: a module runs on one thread, and a
// blocking host call would freeze all its goroutines. Instead the module
// sleeps in Go's scheduler, in poll_oneoff, on its stdin, which the host
// makes a pipe (the doorbell) and writes a byte to when a socket the module
// found empty becomes readable. On Linux the host replaces wazero's
// poll_oneoff with one that sleeps in ppoll(2) on those sockets and the
// pipe, with nanosecond timeouts; elsewhere a goroutine per socket watches
// it. The environment variable H3WASI_SOCKET_WAKE=stdin tells the module
// that it has the doorbell.
//
// # Host crypto
//
// Every module also gets the host module "h3wasi_crypto", with which a guest
// built with -tags h3wasi_offload (package wasi/hostcrypto) seals and
// opens its QUIC packets and computes header-protection masks natively: one
// host call per packet instead of tens of microseconds of pure-Go AEAD in
// the guest. Keys live in a bounded per-module table, cleared when the module
// exits; every pointer and length is checked. The host sets
// H3WASI_HOSTCRYPTO=1 in the module's environment, and refuses, before it
// starts, a module that imports an h3wasi_crypto function it does not offer.
//
// # Segmented sends
//
// Every module also gets the host module "h3wasi_sock" with
// send_segments: a run of up to 64 equal-sized datagrams to one
// address in one host call, which leaves as one UDP_SEGMENT sendmsg on
// Linux (one sendto per datagram elsewhere). Package wasi uses it when built
// with -tags h3wasi_offload, and quic.Transport hands it whole runs: a
// host call and a system call per datagram were about a fifth of a QUIC
// sender's time in WebAssembly. The host sets H3WASI_SEGMENTS=1.
//
// # Offload build tag
//
// Guests opt into both offloads with the build tag h3wasi_offload (for
// example GOOS=wasip1 GOARCH=wasm go build -tags h3wasi_offload). The
// older tag name h3wasi_hostcrypto is an alias for it and keeps working.
// A module built with the tag runs only under wasihost; one built without
// it runs on any wasip1 host with the WasmEdge socket extension.
//
// The functions, numbers and record layouts of the ABI are defined once,
// for the guest packages and this one, in internal/wasiabi.
//
// # Trusted modules
//
// By default wazero checks the context at every function entry and loop
// (wazero.RuntimeConfig.WithCloseOnContextDone), so that even a module that
// computes forever stops when its context ends. Go's wasm code enters a loop
// in every function, and the check halves a Go guest's speed. A module run
// with Config.Trusted skips it and stops at its next host call instead
// (clock, poll, socket or crypto; a Go guest makes one whenever it reads
// the time, sleeps, or waits for I/O or a timer). One that only computes,
// even across goroutines that yield to each other, cannot be stopped, and
// holds up the host's garbage collector while it runs. Use it for modules
// you built.
//
// # Limits
//
// The module's stdin is reserved for the doorbell. sock_shutdown closes a
// socket (a UDP socket has nothing else to shut down; wazero's fd_close
// does not know host sockets). Only UDP is offered: sock_connect and
// sock_listen answer ENOTSUP. Host name resolution (Policy.Lookup) blocks
// the module while it runs. Memory is capped by Config.MemoryLimit; CPU
// time is not capped, but ending the context stops the module, also while
// it sleeps (for a Trusted module, at its next host call).
package wasihost
