// Command quicgoh3server is the quic-go counterpart of h3server: quic-go's
// http3.Server over the same host socket (wasi.ListenPacket), serving the same handler.
// It prints "LISTEN addr" once it listens.
//
//	quicgoh3server ADDR
package main

import (
	"fmt"
	"os"
	"time"

	quicgo "github.com/quic-go/quic-go"
	quicgohttp3 "github.com/quic-go/quic-go/http3"

	"github.com/h3wasi/h3wasi/interop/wasm/internal/h3app"
	"github.com/h3wasi/h3wasi/wasi"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: quicgoh3server ADDR")
	}
	pc, err := wasi.ListenPacket("udp", os.Args[1])
	if err != nil {
		fail(err.Error())
	}
	srv := &quicgohttp3.Server{
		Handler:   h3app.Handler(),
		TLSConfig: h3app.ServerTLS(),
		// quic-go allows 100 concurrent request streams by default, as h3wasi does.
		QUICConfig: &quicgo.Config{MaxIdleTimeout: 30 * time.Second},
	}
	fmt.Println("LISTEN", pc.LocalAddr())
	fail(srv.Serve(pc).Error())
}

func fail(msg string) {
	fmt.Println("FAIL", msg)
	os.Exit(1)
}
