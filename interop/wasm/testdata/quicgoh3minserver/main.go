// Command quicgoh3minserver is the quic-go counterpart of h3minserver for the size
// comparison of BenchmarkHTTP3WasmSize: quic-go's http3.Server over the guest socket
// (quic-go's ListenAndServeTLS opens a net.UDPConn, which wasip1 lacks).
//
//	quicgoh3minserver ADDR CERT KEY
package main

import (
	"crypto/tls"
	"net/http"
	"os"

	"github.com/quic-go/quic-go/http3"

	"github.com/h3wasi/h3wasi/wasi"
)

func main() {
	cert, err := tls.LoadX509KeyPair(os.Args[2], os.Args[3])
	if err != nil {
		os.Exit(1)
	}
	pc, err := wasi.ListenPacket("udp", os.Args[1])
	if err != nil {
		os.Exit(1)
	}
	srv := &http3.Server{
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}},
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("hello\n"))
		}),
	}
	if err := srv.Serve(pc); err != nil {
		os.Exit(1)
	}
}
