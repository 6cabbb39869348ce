package wasihost

import (
	"context"
	"encoding/binary"
	"net/netip"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/h3wasi/h3wasi/internal/wasiabi"
)

// The WasmEdge socket extension functions, added to wazero's
// wasi_snapshot_preview1 module. Every parameter is an i32 and every
// function returns a WASI errno; pointers are offsets in the guest's
// memory. A bad pointer gives EFAULT, never a host panic.

// hostFunc is the shape of the socket functions: i32 parameters in, errno
// out.
type hostFunc func(mod api.Module, p []uint32) uint32

// hostExport is a socket function of the ABI and its implementation.
type hostExport struct {
	wasiabi.Func
	fn hostFunc
}

// export adds the WasmEdge socket functions to b (wasi_snapshot_preview1).
func (t *table) export(b wazero.HostModuleBuilder) {
	t.exportFuncs(b, []hostExport{
		{wasiabi.SockOpen, t.sockOpen},
		{wasiabi.SockBind, t.sockBind},
		{wasiabi.SockSendTo, t.sockSendTo},
		{wasiabi.SockRecvFrom, t.sockRecvFrom},
		{wasiabi.SockGetlocaladdr, t.sockGetlocaladdr},
		{wasiabi.SockGetpeeraddr, t.sockNotconn},
		{wasiabi.SockSetsockopt, t.sockSetsockopt},
		{wasiabi.SockGetsockopt, t.sockGetsockopt},
		{wasiabi.SockGetaddrinfo, t.sockGetaddrinfo},
		{wasiabi.SockShutdown, t.sockShutdown},
		{wasiabi.SockConnect, t.sockNotsup},
		{wasiabi.SockListen, t.sockNotsup},
	})
}

// exportFuncs adds fns to b; each call first stops the module if its
// context has ended, then passes the (at most 8) parameters as uint32s.
func (t *table) exportFuncs(b wazero.HostModuleBuilder, fns []hostExport) {
	for _, f := range fns {
		params := make([]api.ValueType, f.Params)
		for i := range params {
			params[i] = api.ValueTypeI32
		}
		fn := f.fn
		n := f.Params
		b.NewFunctionBuilder().
			WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
				t.stop.checkStop(ctx, mod)
				var p [8]uint32
				for i := 0; i < n; i++ {
					p[i] = uint32(stack[i])
				}
				stack[0] = uint64(fn(mod, p[:n]))
			}), params, []api.ValueType{api.ValueTypeI32}).
			Export(f.Name)
	}
}

// readAddr reads a WasmEdge address record {u32 buf; u32 len}
// (wasiabi.AddrRecordSize bytes) whose buffer holds 4 (IPv4) or 16 (IPv6)
// bytes.
func readAddr(mem api.Memory, rec uint32, port uint32) (netip.AddrPort, uint32) {
	buf, ok1 := mem.ReadUint32Le(rec)
	n, ok2 := mem.ReadUint32Le(rec + 4)
	if !ok1 || !ok2 {
		return netip.AddrPort{}, wasiabi.ErrnoFault
	}
	if n != 4 && n != 16 {
		return netip.AddrPort{}, wasiabi.ErrnoInval
	}
	b, ok := mem.Read(buf, n)
	if !ok {
		return netip.AddrPort{}, wasiabi.ErrnoFault
	}
	ip, _ := netip.AddrFromSlice(b)
	if port > 0xffff {
		return netip.AddrPort{}, wasiabi.ErrnoInval
	}
	return netip.AddrPortFrom(ip, uint16(port)), wasiabi.ErrnoSuccess
}

// writeAddr writes ip into the buffer of the address record rec, in the
// buffer's size: 4 bytes for IPv4, 16 for IPv6 (IPv4-mapped if need be).
func writeAddr(mem api.Memory, rec uint32, ip netip.Addr) uint32 {
	buf, ok1 := mem.ReadUint32Le(rec)
	n, ok2 := mem.ReadUint32Le(rec + 4)
	if !ok1 || !ok2 {
		return wasiabi.ErrnoFault
	}
	b, ok := mem.Read(buf, n)
	if !ok {
		return wasiabi.ErrnoFault
	}
	switch n {
	case 4:
		ip = ip.Unmap()
		if !ip.Is4() {
			return wasiabi.ErrnoAfnosupport
		}
		a := ip.As4()
		copy(b, a[:])
	case 16:
		a := ip.As16()
		copy(b, a[:])
	default:
		return wasiabi.ErrnoInval
	}
	return wasiabi.ErrnoSuccess
}

// iovecs returns the guest buffers of an iovec array.
func iovecs(mem api.Memory, iovs, n uint32, dst [][]byte) ([][]byte, uint32) {
	if n > 1024 {
		return nil, wasiabi.ErrnoInval
	}
	raw, ok := mem.Read(iovs, n*wasiabi.IovecSize)
	if !ok {
		return nil, wasiabi.ErrnoFault
	}
	for i := uint32(0); i < n; i++ {
		p := binary.LittleEndian.Uint32(raw[i*wasiabi.IovecSize:])
		l := binary.LittleEndian.Uint32(raw[i*wasiabi.IovecSize+4:])
		b, ok := mem.Read(p, l)
		if !ok {
			return nil, wasiabi.ErrnoFault
		}
		dst = append(dst, b)
	}
	return dst, wasiabi.ErrnoSuccess
}

func writeU32(mem api.Memory, off, v uint32) uint32 {
	if !mem.WriteUint32Le(off, v) {
		return wasiabi.ErrnoFault
	}
	return wasiabi.ErrnoSuccess
}

func writeU16(mem api.Memory, off uint32, v uint16) uint32 {
	if !mem.WriteUint16Le(off, v) {
		return wasiabi.ErrnoFault
	}
	return wasiabi.ErrnoSuccess
}
