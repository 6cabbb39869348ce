// Command h3minroundtrip is h3minclient calling http3.Transport.RoundTrip directly
// instead of through an http.Client, for BenchmarkHTTP3WasmSize: a call of
// http.RoundTripper.RoundTrip through the interface (as http.Client makes) keeps
// net/http's own Transport, the DefaultTransport, and its bundled HTTP/2 client.
package main

import (
	"io"
	"net/http"
	"os"

	"github.com/h3wasi/h3wasi/http3"
)

func main() {
	req, err := http.NewRequest("GET", os.Args[1], nil)
	if err != nil {
		os.Exit(1)
	}
	resp, err := (&http3.Transport{}).RoundTrip(req)
	if err != nil {
		os.Exit(1)
	}
	io.Copy(os.Stdout, resp.Body)
	resp.Body.Close()
}
