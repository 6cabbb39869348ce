// Command quicgoserver is the quic-go counterpart of ourserver for the interop/wasm
// benchmarks: quic-go's Transport over the same host socket (wasi.ListenPacket),
// serving the same application protocol. It prints "LISTEN addr" once it listens.
//
//	quicgoserver ADDR
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	quicgo "github.com/quic-go/quic-go"

	"github.com/h3wasi/h3wasi/interop/wasm/internal/app"
	"github.com/h3wasi/h3wasi/wasi"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: quicgoserver ADDR")
	}
	pc, err := wasi.ListenPacket("udp", os.Args[1])
	if err != nil {
		fail(err.Error())
	}
	tr := &quicgo.Transport{Conn: pc}
	ln, err := tr.Listen(app.ServerTLS(), &quicgo.Config{MaxIdleTimeout: 30 * time.Second})
	if err != nil {
		fail(err.Error())
	}
	fmt.Println("LISTEN", pc.LocalAddr())
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
				go app.Handle(s)
			}
		}()
	}
}

func fail(msg string) {
	fmt.Println("FAIL", msg)
	os.Exit(1)
}
