// Command h3minserver is a minimal HTTP/3 server on h3wasi's http3.Server, for the
// size comparison of BenchmarkHTTP3WasmSize (the same program as http3's
// TestWasmSizeSplit): h3minserver ADDR CERT KEY.
package main

import (
	"net/http"
	"os"

	"github.com/h3wasi/h3wasi/http3"
)

func main() {
	srv := &http3.Server{Addr: os.Args[1], Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("hello\n"))
	})}
	if err := srv.ListenAndServeTLS(os.Args[2], os.Args[3]); err != nil {
		os.Exit(1)
	}
}
