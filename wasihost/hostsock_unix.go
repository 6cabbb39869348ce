//go:build unix

package wasihost

import (
	"net/netip"
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/h3wasi/h3wasi/internal/wasiabi"
)

// doorbellSupported says whether this platform gives modules sockets and
// the stdin doorbell.
const doorbellSupported = true

// hostSocket is a non-blocking host UDP socket. Its methods are called
// from the module's goroutine (serialized by the guest's single thread),
// except watch, which runs on the socket's watcher goroutine.
type hostSocket struct {
	fd   int
	file *os.File // registers fd with Go's netpoller, for watch
	raw  syscall.RawConn
	v6   bool
	sa4  unix.SockaddrInet4 // reused destination: sendto allocates nothing
	sa6  unix.SockaddrInet6
	// noGSO is set once the kernel refused a segmented send; gsoCmsg is
	// the UDP_SEGMENT control message, rewritten for each run (Linux).
	noGSO bool
	//lint:ignore U1000 used by the Linux sendSegmented only
	gsoCmsg []byte
}

func openHostSocket(v6 bool) (*hostSocket, error) {
	af := unix.AF_INET
	if v6 {
		af = unix.AF_INET6
	}
	syscall.ForkLock.RLock()
	fd, err := unix.Socket(af, unix.SOCK_DGRAM, 0)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, err
	}
	if v6 {
		// Dual stack, as Go's net does, so that a module bound to "::"
		// reaches IPv4 peers too; the policy narrows what it may reach.
		unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0)
	}
	f := os.NewFile(uintptr(fd), "udp")
	raw, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &hostSocket{fd: fd, file: f, raw: raw, v6: v6}, nil
}

func (s *hostSocket) sockaddr(ap netip.AddrPort) (unix.Sockaddr, error) {
	a := ap.Addr()
	if s.v6 {
		s.sa6.Addr = a.As16()
		s.sa6.Port = int(ap.Port())
		return &s.sa6, nil
	}
	a = a.Unmap()
	if !a.Is4() {
		return nil, unix.EAFNOSUPPORT
	}
	s.sa4.Addr = a.As4()
	s.sa4.Port = int(ap.Port())
	return &s.sa4, nil
}

func (s *hostSocket) bind(ap netip.AddrPort) error {
	sa, err := s.sockaddr(ap)
	if err != nil {
		return err
	}
	return unix.Bind(s.fd, sa)
}

func (s *hostSocket) localAddr() (netip.AddrPort, error) {
	sa, err := unix.Getsockname(s.fd)
	if err != nil {
		return netip.AddrPort{}, err
	}
	return fromSockaddr(sa), nil
}

func fromSockaddr(sa unix.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port))
	}
	return netip.AddrPort{}
}

func (s *hostSocket) sendTo(b []byte, to netip.AddrPort) (int, error) {
	sa, err := s.sockaddr(to)
	if err != nil {
		return 0, err
	}
	if err := unix.Sendto(s.fd, b, 0, sa); err != nil {
		return 0, err
	}
	return len(b), nil
}

func (s *hostSocket) setBuffer(name int, v int) error {
	opt := unix.SO_RCVBUF
	if name == wasiabi.SoSndbuf {
		opt = unix.SO_SNDBUF
	}
	return unix.SetsockoptInt(s.fd, unix.SOL_SOCKET, opt, v)
}

func (s *hostSocket) setReuseAddr(v int) error {
	return unix.SetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, v)
}

// watch waits until the socket is readable (or has an error queued) and
// returns nil, or returns an error once the socket is closed.
func (s *hostSocket) watch() error {
	fds := []unix.PollFd{{Fd: int32(s.fd), Events: unix.POLLIN}}
	return s.raw.Read(func(uintptr) bool {
		fds[0].Revents = 0
		n, err := unix.Poll(fds, 0)
		return err != nil || n > 0
	})
}

func (s *hostSocket) close() error {
	return s.file.Close()
}

// toErrno translates a host error into a WASI errno.
func toErrno(err error) uint32 {
	errno, ok := err.(syscall.Errno)
	if !ok {
		return wasiabi.ErrnoIO
	}
	switch errno {
	case syscall.EAGAIN:
		return wasiabi.ErrnoAgain
	case syscall.EACCES:
		return wasiabi.ErrnoAcces
	case syscall.EPERM:
		return wasiabi.ErrnoPerm
	case syscall.EADDRINUSE:
		return wasiabi.ErrnoAddrinuse
	case syscall.EADDRNOTAVAIL:
		return wasiabi.ErrnoAddrnotavail
	case syscall.EAFNOSUPPORT:
		return wasiabi.ErrnoAfnosupport
	case syscall.ECONNREFUSED:
		return wasiabi.ErrnoConnrefused
	case syscall.EHOSTUNREACH:
		return wasiabi.ErrnoHostunreach
	case syscall.ENETUNREACH:
		return wasiabi.ErrnoNetunreach
	case syscall.ENETDOWN:
		return wasiabi.ErrnoNetdown
	case syscall.EMSGSIZE:
		return wasiabi.ErrnoMsgsize
	case syscall.ENOBUFS:
		return wasiabi.ErrnoNobufs
	case syscall.ENOMEM:
		return wasiabi.ErrnoNomem
	case syscall.EINVAL:
		return wasiabi.ErrnoInval
	case syscall.EMFILE, syscall.ENFILE:
		return wasiabi.ErrnoMfile
	case syscall.EINTR:
		return wasiabi.ErrnoIntr
	case syscall.ENOPROTOOPT:
		return wasiabi.ErrnoNoprotoopt
	}
	return wasiabi.ErrnoIO
}

// rawNonblock returns f's descriptor in non-blocking mode, for writeByte.
func rawNonblock(f *os.File) (int, error) {
	fd := int(f.Fd()) // Fd makes f blocking; the next line undoes that
	return fd, unix.SetNonblock(fd, true)
}

// writeByte writes b to fd, dropping it if the pipe is full.
func writeByte(fd int, b byte) {
	buf := [1]byte{b}
	unix.Write(fd, buf[:])
}
