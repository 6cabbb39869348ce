package main

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// TestDemo runs the whole demo: it builds examples/quicecho for wasip1, runs it
// under wasihost and talks to it natively.
func TestDemo(t *testing.T) {
	if runtime.GOOS == "wasip1" {
		t.Skip("the demo builds and hosts a wasm module: it runs natively only")
	}
	if testing.Short() {
		t.Skip("builds a wasm module (about 10 s): skipped with -short")
	}
	for _, hostCrypto := range []bool{false, true} {
		t.Run(fmt.Sprint("hostcrypto=", hostCrypto), func(t *testing.T) { testDemo(t, hostCrypto) })
	}
}

func testDemo(t *testing.T, hostCrypto bool) {
	var out, errOut bytes.Buffer
	if err := runDemo(context.Background(), &out, &errOut, 256<<10, 20, hostCrypto); err != nil {
		t.Fatalf("demo: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	for _, want := range []string{
		`got "hello from the host"`,
		"byte-exact",
		"20 parallel echoes",
		"sockets closed",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
}
