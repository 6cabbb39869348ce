//go:build wasip1

package wasi

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"structs"
	"syscall"

	"github.com/h3wasi/h3wasi/internal/wasiabi"
)

// ListenPacket announces on the local network address through the host's
// sockets. network must be "udp", "udp4" or "udp6". An empty or unspecified
// host with "udp" opens an IPv4 socket (see the package comment); a host
// such as wasihost may narrow an unspecified address to loopback.
func ListenPacket(network, address string) (net.PacketConn, error) {
	c, err := listenUDP(network, address)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func listenUDP(network, address string) (*udpConn, error) {
	la, err := resolve(network, address, true)
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	family := int32(wasiabi.AFInet4)
	if network == "udp6" || (network == "udp" && la.Addr().Is6()) {
		family = wasiabi.AFInet6
	}
	var fd int32
	if errno := sock_open(family, wasiabi.SockDgram, &fd); errno != 0 {
		return nil, &net.OpError{Op: "listen", Net: network, Addr: net.UDPAddrFromAddrPort(la), Err: os.NewSyscallError("sock_open", errno)}
	}
	c := newUDPConn(fd, family)
	if err := c.bind(la); err != nil {
		c.Close()
		return nil, &net.OpError{Op: "listen", Net: network, Addr: net.UDPAddrFromAddrPort(la), Err: err}
	}
	return c, nil
}

func (c *udpConn) bind(la netip.AddrPort) error {
	var raw [16]byte
	wa := wasiAddr{buf: ptr(&raw[0]), bufLen: c.addrLen()}
	if c.family == wasiabi.AFInet6 {
		raw = la.Addr().As16()
	} else {
		if !la.Addr().Unmap().Is4() {
			return syscall.EAFNOSUPPORT
		}
		raw4 := la.Addr().Unmap().As4()
		copy(raw[:], raw4[:])
	}
	if errno := sock_bind(c.fd, &wa, uint32(la.Port())); errno != 0 {
		return sysErr("sock_bind", errno)
	}
	raw = [16]byte{}
	wa = wasiAddr{buf: ptr(&raw[0]), bufLen: c.addrLen()}
	var port uint32
	if errno := sock_getlocaladdr(c.fd, &wa, &port); errno != 0 {
		return os.NewSyscallError("sock_getlocaladdr", errno)
	}
	ip := netip.AddrFrom16(raw)
	if wa.bufLen == 4 {
		ip = netip.AddrFrom4([4]byte(raw[:4]))
	}
	c.laddr = netip.AddrPortFrom(ip, uint16(port))
	return nil
}

// ResolveUDPAddr returns the address of a UDP end point. Literal addresses
// and "localhost" resolve in the guest; other names are resolved by the
// host through sock_getaddrinfo (which its policy may refuse).
func ResolveUDPAddr(network, address string) (*net.UDPAddr, error) {
	ap, err := resolve(network, address, false)
	if err != nil {
		return nil, err
	}
	return net.UDPAddrFromAddrPort(ap), nil
}

func resolve(network, address string, passive bool) (netip.AddrPort, error) {
	return parseAddr(network, address, passive, lookupHost)
}

// The getaddrinfo records the host fills in (see internal/wasiabi); their Go
// layout is the host's layout (TestABILayout checks it).
type addrinfo struct {
	_           structs.HostLayout
	flags       uint16
	family      uint8
	socktype    uint8
	protocol    uint32
	addrlen     uint32
	addr        uint32
	canonname   uint32
	canonameLen uint32
	next        uint32
}

type sockaddr struct {
	_       structs.HostLayout
	family  uint16
	_       uint16
	dataLen uint32
	data    uint32
}

const maxAddrinfo = 8

type addrinfoBuf struct {
	infos [maxAddrinfo]addrinfo
	addrs [maxAddrinfo]sockaddr
	data  [maxAddrinfo][wasiabi.SockaddrDataCap]byte
}

// lookupHost asks the host for the addresses of name.
func lookupHost(name, network string) ([]netip.Addr, error) {
	if name == "" {
		return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	}
	buf := new(addrinfoBuf)
	for i := range buf.infos {
		buf.addrs[i].dataLen = wasiabi.SockaddrDataCap
		buf.addrs[i].data = ptr(&buf.data[i][0])
		buf.infos[i].addr = ptr(&buf.addrs[i])
		if i+1 < maxAddrinfo {
			buf.infos[i].next = ptr(&buf.infos[i+1])
		}
	}
	hints := addrinfo{socktype: wasiabi.SockDgram}
	switch network {
	case "udp4":
		hints.family = wasiabi.AFInet4
	case "udp6":
		hints.family = wasiabi.AFInet6
	}
	nodeBytes := []byte(name)
	res := ptr(&buf.infos[0])
	var n uint32
	errno := sock_getaddrinfo(&nodeBytes[0], uint32(len(nodeBytes)), nil, 0, &hints, &res, maxAddrinfo, &n)
	if errno != 0 {
		e := &net.DNSError{Err: sysErr("sock_getaddrinfo", errno).Error(), Name: name}
		e.IsNotFound = errno == syscall.ENOENT
		return nil, e
	}
	var ips []netip.Addr
	for i := 0; i < int(n) && i < maxAddrinfo; i++ {
		d := buf.data[i][2:]
		switch buf.infos[i].family {
		case wasiabi.AFInet4:
			ips = append(ips, netip.AddrFrom4([4]byte(d[:4])))
		case wasiabi.AFInet6:
			ips = append(ips, netip.AddrFrom16([16]byte(d[:16])).Unmap())
		}
	}
	if len(ips) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	}
	return ips, nil
}

// addrPortOf converts the net.Addr of a WriteTo without allocating for
// *net.UDPAddr.
func addrPortOf(addr net.Addr) (netip.AddrPort, error) {
	switch a := addr.(type) {
	case *net.UDPAddr:
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			return netip.AddrPort{}, errors.New("wasi: invalid IP address")
		}
		return netip.AddrPortFrom(ip, uint16(a.Port)), nil
	case nil:
		return netip.AddrPort{}, errors.New("wasi: missing address")
	default:
		return netip.ParseAddrPort(a.String())
	}
}
