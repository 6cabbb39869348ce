package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// demoSkip skips tests that build and host a wasm module where they cannot.
func demoSkip(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "wasip1" {
		t.Skip("the demo builds and hosts a wasm module: it runs natively only")
	}
	if testing.Short() {
		t.Skip("builds a wasm module (10 s to minutes): skipped with -short")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the demo needs the go command")
	}
}

// TestDemo runs the HTTP/3 demo: it builds examples/h3server for wasip1, runs
// it under wasihost and sends it requests natively.
func TestDemo(t *testing.T) {
	demoSkip(t)
	for _, offload := range []bool{true, false} {
		t.Run(fmt.Sprint("offload=", offload), func(t *testing.T) {
			var out, errOut bytes.Buffer
			o := demoOptions{size: 1<<20 + 123, parallel: 20, offload: offload}
			if err := runHTTPDemo(context.Background(), &out, &errOut, o); err != nil {
				t.Fatalf("demo: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
			}
			for _, want := range []string{
				"HTTP/3.0 200 OK",
				"server: h3server (wasip1/wasm)",
				"content-type: text/html",
				`TLS 1.3, TLS_`,
				`ALPN "h3"`,
				`"runtime":"wasip1/wasm"`,
				"got it over HTTP/3.0",
				"GET /bytes/1048699\n  200 OK, 1.00 MiB byte-exact in ",
				"MB/s",
				"20 parallel GET /api/time\n  all 200 OK",
				"sockets closed",
			} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("demo output lacks %q:\n%s", want, out.String())
				}
			}
			t.Log(out.String())
		})
	}
}

// TestDemoQUIC runs h3 demo --quic: examples/quicecho in wasm, echoes on raw
// QUIC streams.
func TestDemoQUIC(t *testing.T) {
	demoSkip(t)
	var out, errOut bytes.Buffer
	if err := runDemo(context.Background(), &out, &errOut, 256<<10, 20, true); err != nil {
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

// TestDemoPattern pins the bytes the demo expects from h3server's /bytes/N
// (examples/h3server pins the same prefix).
func TestDemoPattern(t *testing.T) {
	p := demoPattern(200 << 10)
	if got := fmt.Sprintf("%x", p[:8]); got != "7336ffdcdc93e4c3" {
		t.Errorf("pattern starts %s", got)
	}
	if !bytes.Equal(p[:64<<10], p[64<<10:128<<10]) || !bytes.Equal(p[:8<<10], p[192<<10:]) {
		t.Error("the pattern does not repeat its 64 KiB block")
	}
}

func TestDemoUsage(t *testing.T) {
	for _, args := range [][]string{{"demo", "extra"}, {"demo", "--parallel", "0"}, {"demo", "--nope"}} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 2 {
			t.Errorf("h3 %q: exit %d; want 2 (%s)", args, code, stderr.String())
		}
	}
}
