package wasihost

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/h3wasi/h3wasi/internal/wasiabi"
)

// maxDatagram is the largest UDP payload; it bounds the host's scratch
// buffer whatever iovecs a module passes.
const maxDatagram = 65535

// sock_open(af, socktype, *fd)
func (t *table) sockOpen(mod api.Module, p []uint32) uint32 {
	af, typ, fdOut := p[0], p[1], p[2]
	if typ != wasiabi.SockDgram && typ != wasiabi.SockAny {
		return wasiabi.ErrnoProtonosupport
	}
	if af != wasiabi.AFInet4 && af != wasiabi.AFInet6 {
		return wasiabi.ErrnoAfnosupport
	}
	if _, ok := mod.Memory().Read(fdOut, 4); !ok {
		return wasiabi.ErrnoFault
	}
	s, errno := t.open(af == wasiabi.AFInet6)
	if errno != wasiabi.ErrnoSuccess {
		return errno
	}
	return writeU32(mod.Memory(), fdOut, uint32(s.fd))
}

// sock_bind(fd, *addr, port)
func (t *table) sockBind(mod api.Module, p []uint32) uint32 {
	s := t.get(int32(p[0]))
	if s == nil {
		return wasiabi.ErrnoBadf
	}
	ap, errno := readAddr(mod.Memory(), p[1], p[2])
	if errno != wasiabi.ErrnoSuccess {
		return errno
	}
	return t.bind(s, ap)
}

// sock_send_to(fd, iovs, iovs_len, *addr, port, siflags, *nwritten)
func (t *table) sockSendTo(mod api.Module, p []uint32) uint32 {
	s := t.get(int32(p[0]))
	if s == nil {
		return wasiabi.ErrnoBadf
	}
	mem := mod.Memory()
	to, errno := t.sendTarget(s, mem, p[3], p[4])
	if errno != wasiabi.ErrnoSuccess {
		return errno
	}
	bufs, errno := iovecs(mem, p[1], p[2], t.iovs[:0])
	if errno != wasiabi.ErrnoSuccess {
		return errno
	}
	t.iovs = bufs[:0]
	var b []byte
	if len(bufs) == 1 {
		b = bufs[0] // straight from guest memory: no copy
	} else {
		size := 0
		for _, x := range bufs {
			size += len(x)
		}
		if size > maxDatagram {
			return wasiabi.ErrnoMsgsize
		}
		b = t.scratch[:0]
		for _, x := range bufs {
			b = append(b, x...)
		}
		t.scratch = b[:0]
	}
	n, err := s.h.sendTo(b, to)
	if err != nil {
		return toErrno(err)
	}
	return writeU32(mem, p[6], uint32(n))
}

// sendTarget reads a send's destination (address record rec, port) and checks it
// against the socket's family and the policy (once per new destination); it
// binds the socket first if the guest has not.
func (t *table) sendTarget(s *socket, mem api.Memory, rec, port uint32) (netip.AddrPort, uint32) {
	to, errno := readAddr(mem, rec, port)
	if errno != wasiabi.ErrnoSuccess {
		return to, errno
	}
	if s.v6 != to.Addr().Is6() {
		return to, wasiabi.ErrnoAfnosupport
	}
	if to != s.lastDst {
		if !t.policy.sendAllowed(to) {
			return to, wasiabi.ErrnoNotcapable
		}
		s.lastDst = to
	}
	return to, t.autobind(s)
}

// sock_recv_from(fd, iovs, iovs_len, *addr, riflags, *port(u16), *nread, *roflags)
func (t *table) sockRecvFrom(mod api.Module, p []uint32) uint32 {
	s := t.get(int32(p[0]))
	if s == nil {
		return wasiabi.ErrnoBadf
	}
	mem := mod.Memory()
	bufs, errno := iovecs(mem, p[1], p[2], t.iovs[:0])
	if errno != wasiabi.ErrnoSuccess {
		return errno
	}
	t.iovs = bufs[:0]
	if !s.bound {
		return wasiabi.ErrnoAgain // nothing can arrive before a bind
	}
	var b []byte
	if len(bufs) == 1 {
		b = bufs[0] // straight into guest memory: no copy
	} else {
		size := 0
		for _, x := range bufs {
			size += len(x)
		}
		size = min(size, maxDatagram) // the rest could never be filled
		if cap(t.scratch) < size {
			t.scratch = make([]byte, size)
		}
		b = t.scratch[:size]
	}
	n, from, err := s.h.recvFrom(b)
	if err != nil {
		errno := toErrno(err)
		if errno == wasiabi.ErrnoAgain {
			s.wanted = true
			select {
			case s.want <- struct{}{}: // the watcher rings when data comes
			default:
			}
		}
		return errno
	}
	if len(bufs) > 1 {
		rest := b[:n]
		for _, x := range bufs {
			rest = rest[copy(x, rest):]
		}
	}
	if errno := writeAddr(mem, p[3], from.Addr()); errno != wasiabi.ErrnoSuccess {
		return errno
	}
	if errno := writeU16(mem, p[5], from.Port()); errno != wasiabi.ErrnoSuccess {
		return errno
	}
	if errno := writeU16(mem, p[7], 0); errno != wasiabi.ErrnoSuccess {
		return errno
	}
	return writeU32(mem, p[6], uint32(n))
}

// sock_getlocaladdr(fd, *addr, *port(u32))
func (t *table) sockGetlocaladdr(mod api.Module, p []uint32) uint32 {
	s := t.get(int32(p[0]))
	if s == nil {
		return wasiabi.ErrnoBadf
	}
	var la netip.AddrPort
	if s.bound {
		var err error
		if la, err = s.h.localAddr(); err != nil {
			return toErrno(err)
		}
	} else if s.v6 {
		la = netip.AddrPortFrom(netip.IPv6Unspecified(), 0)
	} else {
		la = netip.AddrPortFrom(netip.IPv4Unspecified(), 0)
	}
	if errno := writeAddr(mod.Memory(), p[1], la.Addr()); errno != wasiabi.ErrnoSuccess {
		return errno
	}
	return writeU32(mod.Memory(), p[2], uint32(la.Port()))
}

// sock_setsockopt(fd, level, name, *value, value_len)
func (t *table) sockSetsockopt(mod api.Module, p []uint32) uint32 {
	s := t.get(int32(p[0]))
	if s == nil {
		return wasiabi.ErrnoBadf
	}
	if p[1] != wasiabi.SolSocket || p[4] != 4 {
		return wasiabi.ErrnoNoprotoopt
	}
	v, ok := mod.Memory().ReadUint32Le(p[3])
	if !ok {
		return wasiabi.ErrnoFault
	}
	var err error
	switch p[2] {
	case wasiabi.SoRcvbuf, wasiabi.SoSndbuf:
		err = s.h.setBuffer(int(p[2]), int(int32(v)))
	case wasiabi.SoReuseaddr:
		err = s.h.setReuseAddr(int(int32(v)))
	default:
		return wasiabi.ErrnoNoprotoopt
	}
	if err != nil {
		return toErrno(err)
	}
	return wasiabi.ErrnoSuccess
}

// sock_getsockopt(fd, level, name, *value, *value_len)
func (t *table) sockGetsockopt(mod api.Module, p []uint32) uint32 {
	if t.get(int32(p[0])) == nil {
		return wasiabi.ErrnoBadf
	}
	if p[1] != wasiabi.SolSocket {
		return wasiabi.ErrnoNoprotoopt
	}
	var v uint32
	switch p[2] {
	case wasiabi.SoType:
		v = wasiabi.SockDgram
	case wasiabi.SoError:
		v = 0
	default:
		return wasiabi.ErrnoNoprotoopt
	}
	if errno := writeU32(mod.Memory(), p[3], v); errno != wasiabi.ErrnoSuccess {
		return errno
	}
	return writeU32(mod.Memory(), p[4], 4)
}

// sock_shutdown(fd, how): a UDP socket has nothing to shut down, so under
// this host it closes the socket (package wasi closes this way; wazero's
// fd_close does not know sockets).
func (t *table) sockShutdown(_ api.Module, p []uint32) uint32 {
	return t.close(int32(p[0]))
}

func (t *table) sockNotconn(api.Module, []uint32) uint32 { return wasiabi.ErrnoNotconn }
func (t *table) sockNotsup(api.Module, []uint32) uint32  { return wasiabi.ErrnoNotsup }

// sock_getaddrinfo(*node, node_len, *service, service_len, *hints, *res, max_res, *res_len)
//
// *res holds a pointer to the first of a chain of max_res guest-allocated
// addrinfo records (linked by their next fields), each pointing to a
// sockaddr whose data buffer receives a big-endian port and the address.
func (t *table) sockGetaddrinfo(mod api.Module, p []uint32) uint32 {
	mem := mod.Memory()
	node, ok := mem.Read(p[0], p[1])
	if !ok || p[1] > wasiabi.MaxNodeLen {
		return wasiabi.ErrnoFault
	}
	service, ok := mem.Read(p[2], p[3])
	if !ok || p[3] > wasiabi.MaxServiceLen {
		return wasiabi.ErrnoFault
	}
	family := uint8(wasiabi.AFUnspec)
	if p[4] != 0 {
		f, ok := mem.ReadByte(p[4] + wasiabi.AddrinfoFamily)
		if !ok {
			return wasiabi.ErrnoFault
		}
		family = f
	}
	port := uint64(0)
	if len(service) > 0 {
		var err error
		if port, err = strconv.ParseUint(string(service), 10, 16); err != nil {
			return wasiabi.ErrnoInval
		}
	}
	ips, errno := t.lookup(string(node), family)
	if errno != wasiabi.ErrnoSuccess {
		return errno
	}
	cur, ok := mem.ReadUint32Le(p[5])
	if !ok {
		return wasiabi.ErrnoFault
	}
	n := uint32(0)
	for _, ip := range ips {
		if n >= p[6] || cur == 0 {
			break
		}
		if errno := writeAddrinfo(mem, cur, ip, uint16(port)); errno != wasiabi.ErrnoSuccess {
			return errno
		}
		n++
		if cur, ok = mem.ReadUint32Le(cur + wasiabi.AddrinfoNext); !ok {
			return wasiabi.ErrnoFault
		}
	}
	return writeU32(mem, p[7], n)
}

// lookup resolves a name for sock_getaddrinfo under the policy.
func (t *table) lookup(name string, family uint8) ([]netip.Addr, uint32) {
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(name); err == nil {
		ips = []netip.Addr{ip}
	} else if name == "localhost" {
		ips = []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1}), netip.IPv6Loopback()}
	} else {
		if !t.policy.Lookup {
			return nil, wasiabi.ErrnoNotcapable
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var err error
		if ips, err = net.DefaultResolver.LookupNetIP(ctx, "ip", name); err != nil {
			return nil, wasiabi.ErrnoNoent
		}
	}
	out := ips[:0]
	for _, ip := range ips {
		ip = ip.Unmap()
		if family == wasiabi.AFInet4 && !ip.Is4() || family == wasiabi.AFInet6 && !ip.Is6() {
			continue
		}
		out = append(out, ip)
	}
	if len(out) == 0 {
		return nil, wasiabi.ErrnoNoent
	}
	return out, wasiabi.ErrnoSuccess
}

func writeAddrinfo(mem api.Memory, ai uint32, ip netip.Addr, port uint16) uint32 {
	rec, ok := mem.Read(ai, wasiabi.AddrinfoSize)
	if !ok {
		return wasiabi.ErrnoFault
	}
	family := uint8(wasiabi.AFInet4)
	if ip.Is6() {
		family = wasiabi.AFInet6
	}
	rec[wasiabi.AddrinfoFamily] = family
	rec[wasiabi.AddrinfoSocktype] = wasiabi.SockDgram
	binary.LittleEndian.PutUint32(rec[wasiabi.AddrinfoProtocol:], wasiabi.IPProtoUDP)
	binary.LittleEndian.PutUint32(rec[wasiabi.AddrinfoAddrlen:], wasiabi.SockaddrSize)
	sa, ok := mem.Read(binary.LittleEndian.Uint32(rec[wasiabi.AddrinfoAddr:]), wasiabi.SockaddrSize)
	if !ok {
		return wasiabi.ErrnoFault
	}
	sa[wasiabi.SockaddrFamily] = family
	data, ok := mem.Read(binary.LittleEndian.Uint32(sa[wasiabi.SockaddrData:]), binary.LittleEndian.Uint32(sa[wasiabi.SockaddrDataLen:]))
	if !ok || len(data) < 2+ip.BitLen()/8 {
		return wasiabi.ErrnoFault
	}
	binary.BigEndian.PutUint16(data, port)
	copy(data[2:], ip.AsSlice())
	return wasiabi.ErrnoSuccess
}
