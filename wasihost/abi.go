package wasihost

import (
	"context"
	"encoding/binary"
	"net/netip"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// The WasmEdge socket extension functions, added to wazero's
// wasi_snapshot_preview1 module. Every parameter is an i32 and every
// function returns a WASI errno; pointers are offsets in the guest's
// memory. A bad pointer gives EFAULT, never a host panic.

// hostFunc is the shape of the socket functions: i32 parameters in, errno
// out.
type hostFunc func(mod api.Module, p []uint32) uint32

// hostExport names a socket function and its number of parameters.
type hostExport struct {
	name   string
	params int
	fn     hostFunc
}

// export adds the WasmEdge socket functions to b (wasi_snapshot_preview1).
func (t *table) export(b wazero.HostModuleBuilder) {
	t.exportFuncs(b, []hostExport{
		{"sock_open", 3, t.sockOpen},
		{"sock_bind", 3, t.sockBind},
		{"sock_send_to", 7, t.sockSendTo},
		{"sock_recv_from", 8, t.sockRecvFrom},
		{"sock_getlocaladdr", 3, t.sockGetlocaladdr},
		{"sock_getpeeraddr", 3, t.sockNotconn},
		{"sock_setsockopt", 5, t.sockSetsockopt},
		{"sock_getsockopt", 5, t.sockGetsockopt},
		{"sock_getaddrinfo", 8, t.sockGetaddrinfo},
		{"sock_shutdown", 2, t.sockShutdown},
		{"sock_connect", 3, t.sockNotsup},
		{"sock_listen", 2, t.sockNotsup},
	})
}

// exportFuncs adds fns to b; each call first stops the module if its
// context has ended, then passes the (at most 8) parameters as uint32s.
func (t *table) exportFuncs(b wazero.HostModuleBuilder, fns []hostExport) {
	for _, f := range fns {
		params := make([]api.ValueType, f.params)
		for i := range params {
			params[i] = api.ValueTypeI32
		}
		fn := f.fn
		n := f.params
		b.NewFunctionBuilder().
			WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
				t.stop.checkStop(ctx, mod)
				var p [8]uint32
				for i := 0; i < n; i++ {
					p[i] = uint32(stack[i])
				}
				stack[0] = uint64(fn(mod, p[:n]))
			}), params, []api.ValueType{api.ValueTypeI32}).
			Export(f.name)
	}
}

// readAddr reads a WasmEdge address record {u32 buf; u32 len} whose buffer
// holds 4 (IPv4) or 16 (IPv6) bytes.
func readAddr(mem api.Memory, rec uint32, port uint32) (netip.AddrPort, uint32) {
	buf, ok1 := mem.ReadUint32Le(rec)
	n, ok2 := mem.ReadUint32Le(rec + 4)
	if !ok1 || !ok2 {
		return netip.AddrPort{}, errnoFault
	}
	if n != 4 && n != 16 {
		return netip.AddrPort{}, errnoInval
	}
	b, ok := mem.Read(buf, n)
	if !ok {
		return netip.AddrPort{}, errnoFault
	}
	ip, _ := netip.AddrFromSlice(b)
	if port > 0xffff {
		return netip.AddrPort{}, errnoInval
	}
	return netip.AddrPortFrom(ip, uint16(port)), errnoSuccess
}

// writeAddr writes ip into the buffer of the address record rec, in the
// buffer's size: 4 bytes for IPv4, 16 for IPv6 (IPv4-mapped if need be).
func writeAddr(mem api.Memory, rec uint32, ip netip.Addr) uint32 {
	buf, ok1 := mem.ReadUint32Le(rec)
	n, ok2 := mem.ReadUint32Le(rec + 4)
	if !ok1 || !ok2 {
		return errnoFault
	}
	b, ok := mem.Read(buf, n)
	if !ok {
		return errnoFault
	}
	switch n {
	case 4:
		ip = ip.Unmap()
		if !ip.Is4() {
			return errnoAfnosupport
		}
		a := ip.As4()
		copy(b, a[:])
	case 16:
		a := ip.As16()
		copy(b, a[:])
	default:
		return errnoInval
	}
	return errnoSuccess
}

// iovecs returns the guest buffers of an iovec array.
func iovecs(mem api.Memory, iovs, n uint32, dst [][]byte) ([][]byte, uint32) {
	if n > 1024 {
		return nil, errnoInval
	}
	raw, ok := mem.Read(iovs, n*8)
	if !ok {
		return nil, errnoFault
	}
	for i := uint32(0); i < n; i++ {
		p := binary.LittleEndian.Uint32(raw[i*8:])
		l := binary.LittleEndian.Uint32(raw[i*8+4:])
		b, ok := mem.Read(p, l)
		if !ok {
			return nil, errnoFault
		}
		dst = append(dst, b)
	}
	return dst, errnoSuccess
}

func writeU32(mem api.Memory, off, v uint32) uint32 {
	if !mem.WriteUint32Le(off, v) {
		return errnoFault
	}
	return errnoSuccess
}

func writeU16(mem api.Memory, off uint32, v uint16) uint32 {
	if !mem.WriteUint16Le(off, v) {
		return errnoFault
	}
	return errnoSuccess
}
