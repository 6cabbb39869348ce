package wasihost

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/h3wasi/h3wasi/internal/wasiabi"
)

// memModule is `(module (memory (export "memory") 1))`: one page of memory
// for calling the socket functions directly.
var memModule = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
	0x05, 0x03, 0x01, 0x00, 0x01,
	0x07, 0x0a, 0x01, 0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00,
}

func newMemModule(t testing.TB) api.Module {
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	t.Cleanup(func() { r.Close(ctx) })
	mod, err := r.Instantiate(ctx, memModule)
	if err != nil {
		t.Fatal(err)
	}
	return mod
}

// FuzzSocketCalls calls the host's socket functions with arbitrary guest
// memory and arguments: they must answer an errno, never panic, and never
// touch memory outside the module's.
func FuzzSocketCalls(f *testing.F) {
	// Seeds: a well-formed sock_open, bind to 127.0.0.1:0, send_to and
	// recv_from, as package wasi lays them out.
	seed := func(fn byte, params []uint32, mem []byte) []byte {
		b := []byte{fn}
		for i := range 8 {
			var v uint32
			if i < len(params) {
				v = params[i]
			}
			b = binary.LittleEndian.AppendUint32(b, v)
		}
		return append(b, mem...)
	}
	addr4 := []byte{16, 0, 0, 0, 4, 0, 0, 0, 127, 0, 0, 1, 0, 0, 0, 0, 127, 0, 0, 1}
	f.Add(seed(0, []uint32{1, 1, 0}, nil))
	f.Add(seed(1, []uint32{firstFD, 0, 0}, addr4))
	iov := append(append([]byte{}, addr4...), 32, 0, 0, 0, 5, 0, 0, 0, 'h', 'e', 'l', 'l', 'o')
	f.Add(seed(2, []uint32{firstFD, 20, 1, 0, 9, 0, 40}, iov))
	f.Add(seed(3, []uint32{firstFD, 20, 2, 0, 0, 44, 48, 52}, iov))
	f.Add(seed(8, []uint32{0, 9, 0, 0, 0, 100, 8, 104}, []byte("localhost")))
	// send_segments: "hello" as datagrams of 2 bytes to 127.0.0.1:9.
	f.Add(seed(9, []uint32{firstFD, 32, 5, 2, 0, 9, 40}, iov))
	mod := newMemModule(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 33 {
			return
		}
		fn := data[0]
		var p [8]uint32
		for i := range p {
			p[i] = binary.LittleEndian.Uint32(data[1+4*i:])
		}
		mem := mod.Memory()
		buf, _ := mem.Read(0, 65536)
		clear(buf)
		copy(buf, data[33:])
		tb := newTable(Policy{}, 4, nil)
		defer tb.closeAll()
		// Where the platform has no host sockets (wasip1), the functions
		// are still exercised, on an empty table.
		if s, errno := tb.open(false); errno != wasiabi.ErrnoNosys && (errno != wasiabi.ErrnoSuccess || s.fd != firstFD) {
			t.Fatalf("open: %v", errno)
		}
		fns := []hostFunc{tb.sockOpen, tb.sockBind, tb.sockSendTo, tb.sockRecvFrom,
			tb.sockGetlocaladdr, tb.sockSetsockopt, tb.sockGetsockopt, tb.sockShutdown, tb.sockGetaddrinfo,
			tb.sendSegments}
		nparams := []int{3, 3, 7, 8, 3, 5, 5, 2, 8, 7}
		i := int(fn) % len(fns)
		errno := fns[i](mod, p[:nparams[i]])
		if errno > 76 {
			t.Fatalf("function %d returned errno %d", i, errno)
		}
	})
}
