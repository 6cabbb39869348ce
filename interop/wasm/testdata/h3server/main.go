// Command h3server is the WebAssembly HTTP/3 server of the interop/wasm tests: h3wasi's
// http3.Server on a host socket (wasi.ListenPacket), serving h3app.Handler with
// app.Cert. It prints "LISTEN addr" once it listens. Built plain (portable) and with
// -tags h3wasi_offload (wasihost's offloads).
//
//	h3server ADDR
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/h3wasi/h3wasi/http3"
	"github.com/h3wasi/h3wasi/interop/wasm/internal/h3app"
	"github.com/h3wasi/h3wasi/quic"
	"github.com/h3wasi/h3wasi/wasi"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: h3server ADDR")
	}
	pc, err := wasi.ListenPacket("udp", os.Args[1])
	if err != nil {
		fail(err.Error())
	}
	srv := &http3.Server{
		Handler:    h3app.Handler(),
		TLSConfig:  h3app.ServerTLS(),
		QUICConfig: &quic.Config{MaxIdleTimeout: 30 * time.Second},
	}
	fmt.Println("LISTEN", pc.LocalAddr())
	fail(srv.Serve(pc).Error())
}

func fail(msg string) {
	fmt.Println("FAIL", msg)
	os.Exit(1)
}
