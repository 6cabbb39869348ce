package wasihost

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/h3wasi/h3wasi/internal/wasiabi"
)

// BenchmarkHostSendRecv measures the host side of one datagram: the
// sock_send_to and sock_recv_from calls of a module, with their syscalls,
// from guest memory to guest memory.
func BenchmarkHostSendRecv(b *testing.B) {
	if !doorbellSupported {
		b.Skip("no host sockets on this platform")
	}
	mod := newMemModule(b)
	mem := mod.Memory()
	tb := newTable(Policy{}, 4, nil)
	defer tb.closeAll()
	a, _ := tb.open(false)
	c, _ := tb.open(false)
	lo := netip.MustParseAddrPort("127.0.0.1:0")
	if tb.bind(a, lo) != wasiabi.ErrnoSuccess || tb.bind(c, lo) != wasiabi.ErrnoSuccess {
		b.Fatal("bind")
	}
	to, err := c.h.localAddr()
	if err != nil {
		b.Fatal(err)
	}
	// Guest memory: iovec {4096, 1200} at 0; address record {64, 4} at 16,
	// its 4 bytes at 64; out-parameters at 128..140; payload at 4096.
	buf, _ := mem.Read(0, 8192)
	binary.LittleEndian.PutUint32(buf[0:], 4096)
	binary.LittleEndian.PutUint32(buf[4:], 1200)
	binary.LittleEndian.PutUint32(buf[16:], 64)
	binary.LittleEndian.PutUint32(buf[20:], 4)
	ip := to.Addr().As4()
	copy(buf[64:], ip[:])
	send := []uint32{uint32(a.fd), 0, 1, 16, uint32(to.Port()), 0, 128}
	recv := []uint32{uint32(c.fd), 0, 1, 16, 0, 132, 136, 140}
	b.ReportAllocs()
	b.SetBytes(1200)
	for b.Loop() {
		if e := tb.sockSendTo(mod, send); e != wasiabi.ErrnoSuccess {
			b.Fatalf("send: errno %d", e)
		}
		if e := tb.sockRecvFrom(mod, recv); e != wasiabi.ErrnoSuccess {
			b.Fatalf("recv: errno %d", e)
		}
		copy(buf[64:], ip[:]) // recv wrote the sender's address there
	}
}
