//go:build wasip1

package wasi

import (
	"fmt"
	"os"
	"structs"
	"syscall"
	"unsafe"
)

// iovec is a WASI scatter/gather element: a guest pointer and a length.
type iovec struct {
	_      structs.HostLayout
	buf    uint32
	bufLen uint32
}

// wasiAddr is the WasmEdge address record: a guest pointer to 4 (IPv4) or
// 16 (IPv6) address bytes and their length.
type wasiAddr struct {
	_      structs.HostLayout
	buf    uint32
	bufLen uint32
}

//go:wasmimport wasi_snapshot_preview1 sock_open
//go:noescape
func sock_open(af int32, socktype int32, fd *int32) syscall.Errno

//go:wasmimport wasi_snapshot_preview1 sock_bind
//go:noescape
func sock_bind(fd int32, addr *wasiAddr, port uint32) syscall.Errno

//go:wasmimport wasi_snapshot_preview1 sock_send_to
//go:noescape
func sock_send_to(fd int32, iovs *iovec, iovsLen uint32, addr *wasiAddr, port uint32, flags uint32, nwritten *uint32) syscall.Errno

//go:wasmimport wasi_snapshot_preview1 sock_recv_from
//go:noescape
func sock_recv_from(fd int32, iovs *iovec, iovsLen uint32, addr *wasiAddr, flags uint32, port *uint32, nread *uint32, oflags *uint32) syscall.Errno

//go:wasmimport wasi_snapshot_preview1 sock_getlocaladdr
//go:noescape
func sock_getlocaladdr(fd int32, addr *wasiAddr, port *uint32) syscall.Errno

//go:wasmimport wasi_snapshot_preview1 sock_setsockopt
//go:noescape
func sock_setsockopt(fd int32, level uint32, name uint32, value *int32, valueLen uint32) syscall.Errno

//go:wasmimport wasi_snapshot_preview1 sock_getaddrinfo
//go:noescape
func sock_getaddrinfo(node *byte, nodeLen uint32, service *byte, serviceLen uint32, hints *addrinfo, res *uint32, maxRes uint32, resLen *uint32) syscall.Errno

//go:wasmimport wasi_snapshot_preview1 sock_shutdown
//go:noescape
func sock_shutdown(fd int32, how int32) syscall.Errno

//go:wasmimport wasi_snapshot_preview1 fd_close
//go:noescape
func fd_close(fd int32) syscall.Errno

// ptr returns the guest address of p as a 32-bit WASI pointer. The caller
// keeps the referent alive across the host call (wasm memory never moves).
func ptr[T any](p *T) uint32 {
	return uint32(uintptr(unsafe.Pointer(p)))
}

// sysErr wraps a failed socket call's errno. A refusal by the host's
// policy (ENOTCAPABLE) also matches ErrNotPermitted, with a message that
// says so.
func sysErr(call string, errno syscall.Errno) error {
	err := os.NewSyscallError(call, errno)
	if errno == syscall.ENOTCAPABLE {
		return fmt.Errorf("%w (%w)", ErrNotPermitted, err)
	}
	return err
}
