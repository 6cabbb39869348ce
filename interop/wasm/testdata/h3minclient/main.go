// Command h3minclient is a minimal HTTP/3 client on h3wasi's http3.Transport, for the
// size comparison of BenchmarkHTTP3WasmSize (the same program as http3's
// TestWasmSizeSplit): h3minclient URL.
package main

import (
	"io"
	"net/http"
	"os"

	"github.com/h3wasi/h3wasi/http3"
)

func main() {
	c := &http.Client{Transport: &http3.Transport{}}
	resp, err := c.Get(os.Args[1])
	if err != nil {
		os.Exit(1)
	}
	io.Copy(os.Stdout, resp.Body)
	resp.Body.Close()
}
