// Command ourserver is the WebAssembly echo and download server of the interop/wasm
// tests: h3wasi's package quic over a host socket (quic.ListenAddr opens it with
// wasi.ListenPacket). It prints "LISTEN addr" once it listens.
//
//	ourserver ADDR                 serve until killed
//	ourserver ADDR exit-after N    exit with status 3 once N payload bytes arrived
//	ourserver ADDR trap-after N    trap (out-of-bounds load) once N bytes arrived
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/h3wasi/h3wasi/interop/wasm/internal/app"
	"github.com/h3wasi/h3wasi/quic"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: ourserver ADDR [exit-after|trap-after N]")
	}
	var limit int64 = -1
	var mode string
	if len(os.Args) == 4 {
		mode = os.Args[2]
		n, err := strconv.ParseInt(os.Args[3], 10, 64)
		if err != nil {
			fail(err.Error())
		}
		limit = n
	}
	ln, err := quic.ListenAddr(os.Args[1], app.ServerTLS(), &quic.Config{MaxIdleTimeout: 30 * time.Second})
	if err != nil {
		fail(err.Error())
	}
	fmt.Println("LISTEN", ln.Addr())
	var received atomic.Int64
	for {
		c, err := ln.Accept(context.Background())
		if err != nil {
			fail(err.Error())
		}
		go func() {
			for {
				s, err := c.AcceptStream(context.Background())
				if err != nil {
					return
				}
				go app.Handle(&counted{ReadWriteCloser: s, n: &received, limit: limit, mode: mode})
			}
		}()
	}
}

// counted counts the bytes read from a stream and fails the module once they pass
// limit, as a plugin that crashes in the middle of a transfer.
type counted struct {
	io.ReadWriteCloser
	n     *atomic.Int64
	limit int64
	mode  string
}

func (c *counted) Read(p []byte) (int, error) {
	k, err := c.ReadWriteCloser.Read(p)
	if c.limit >= 0 && c.n.Add(int64(k)) > c.limit {
		fmt.Println("FAILING", c.mode)
		if c.mode == "trap-after" {
			trap(0xfffffff0)
		}
		os.Exit(3)
	}
	return k, err
}

// trap loads from addr; beyond linear memory, that is a WebAssembly trap.
//
//go:noinline
func trap(addr uintptr) {
	p := (*byte)(unsafe.Add(nil, addr))
	fmt.Println(*p)
}

func fail(msg string) {
	fmt.Println("FAIL", msg)
	os.Exit(1)
}
