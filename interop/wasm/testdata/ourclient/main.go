// Command ourclient is the WebAssembly client of the interop/wasm tests: h3wasi's
// package quic dialing a native server through a host socket. It runs the cases named
// on its command line against ADDR and prints "OK case" for each, then "DONE"; on a
// failure it prints "FAIL case: error" and exits with status 1.
//
//	ourclient ADDR case...   (cases: echo-1k, echo-10m, streams-100, download-10m)
package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/h3wasi/h3wasi/interop/wasm/internal/app"
	"github.com/h3wasi/h3wasi/quic"
)

func main() {
	if len(os.Args) < 3 {
		fail("usage", fmt.Errorf("ourclient ADDR case..."))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c, err := quic.DialAddr(ctx, os.Args[1], app.ClientTLS(), &quic.Config{MaxIdleTimeout: 30 * time.Second})
	if err != nil {
		fail("dial", err)
	}
	for _, name := range os.Args[2:] {
		start := time.Now()
		if err := run(ctx, c, name); err != nil {
			fail(name, err)
		}
		fmt.Println("OK", name, time.Since(start))
	}
	c.CloseWithError(0, "done")
	fmt.Println("DONE")
}

func run(ctx context.Context, c *quic.Conn, name string) error {
	switch name {
	case "echo-1k":
		return echo(ctx, c, app.Data(1, 1<<10))
	case "echo-10m":
		return echo(ctx, c, app.Data(2, 10<<20))
	case "download-10m":
		s, err := c.OpenStreamSync(ctx)
		if err != nil {
			return err
		}
		if _, err := s.Write(app.Request(app.OpDownload, 10<<20)); err != nil {
			return err
		}
		s.Close()
		return app.CheckPattern(s, 10<<20)
	case "streams-100":
		errs := make([]error, 100)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() { errs[i] = echo(ctx, c, app.Data(100+i, 4<<10)) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				return fmt.Errorf("stream %d: %w", i, err)
			}
		}
		return nil
	}
	return fmt.Errorf("unknown case")
}

func echo(ctx context.Context, c *quic.Conn, data []byte) error {
	s, err := c.OpenStreamSync(ctx)
	if err != nil {
		return err
	}
	return app.Echo(s, data)
}

func fail(name string, err error) {
	fmt.Printf("FAIL %s: %v\n", name, err)
	os.Exit(1)
}
