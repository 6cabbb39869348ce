package wasihost_test

import (
	"context"
	"log"
	"os"
	"time"

	"github.com/h3wasi/h3wasi/wasihost"
)

// Run an untrusted network plugin: it may use loopback and talk to one DNS
// server, keeps at most 4 sockets and 256 MiB of memory, sees one
// read-only directory, and is stopped after a minute.
func ExampleRun() {
	wasm, err := os.ReadFile("plugin.wasm") // GOOS=wasip1 GOARCH=wasm go build
	if err != nil {
		log.Fatal(err)
	}
	dns, err := wasihost.ParseRule("192.0.2.53:53")
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code, err := wasihost.Run(ctx, wasm, wasihost.Config{
		Args:        []string{"plugin", "--verbose"},
		Env:         []string{"LANG=C"},
		Stdout:      os.Stdout,
		Stderr:      os.Stderr,
		Dirs:        []wasihost.Dir{{Host: "/srv/plugin-data", Guest: "/data", ReadOnly: true}},
		Policy:      wasihost.Policy{Allow: []wasihost.Rule{dns}},
		MaxSockets:  4,
		MemoryLimit: 256 << 20,
	})
	if err != nil {
		log.Printf("plugin failed: %v", err)
	}
	os.Exit(code)
}
