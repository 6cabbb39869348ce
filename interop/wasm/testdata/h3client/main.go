// Command h3client is the WebAssembly HTTP/3 client of the interop/wasm tests: h3wasi's
// http3.Transport, dialing through package wasi's host sockets (its default Dial). It
// fetches the cases named on its command line from https://ADDR, checks every byte
// (h3app.Check) and prints "OK case duration" for each, then "DONE"; on a failure it
// prints "FAIL case: error" and exits with status 1.
//
//	h3client ADDR case...   (cases: get-1k, get-5m, parallel-100)
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/h3wasi/h3wasi/http3"
	"github.com/h3wasi/h3wasi/interop/wasm/internal/h3app"
	"github.com/h3wasi/h3wasi/quic"
)

func main() {
	if len(os.Args) < 3 {
		fail("usage", fmt.Errorf("h3client ADDR case..."))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	tr := &http3.Transport{
		TLSClientConfig: h3app.ClientTLS(),
		QUICConfig:      &quic.Config{MaxIdleTimeout: 30 * time.Second},
	}
	defer tr.Close()
	c := &http.Client{Transport: tr}
	base := "https://" + os.Args[1]
	for _, name := range os.Args[2:] {
		start := time.Now()
		if err := run(ctx, c, base, name); err != nil {
			fail(name, err)
		}
		fmt.Println("OK", name, time.Since(start).Round(time.Millisecond))
	}
	fmt.Println("DONE")
}

func run(ctx context.Context, c *http.Client, base, name string) error {
	switch name {
	case "get-1k":
		return get(ctx, c, base, 0, 1<<10)
	case "get-5m":
		return get(ctx, c, base, 0, 5<<20)
	case "parallel-100":
		errs := make([]error, 100)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() { errs[i] = get(ctx, c, base, int64(i)*7919, 1000+97*int64(i)) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				return fmt.Errorf("request %d: %w", i, err)
			}
		}
		return nil
	}
	return fmt.Errorf("unknown case")
}

func get(ctx context.Context, c *http.Client, base string, off, n int64) error {
	path := h3app.Path(off, n)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	if resp.Proto != "HTTP/3.0" {
		return fmt.Errorf("GET %s: protocol %q", path, resp.Proto)
	}
	if err := h3app.CheckReader(resp.Body, off, n); err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	return nil
}

func fail(name string, err error) {
	fmt.Printf("FAIL %s: %v\n", name, err)
	os.Exit(1)
}
