// Command wasmexec runs a GOOS=wasip1 GOARCH=wasm program on wazero, so that
//
//	GOOS=wasip1 GOARCH=wasm go test -exec "go run ./internal/cmd/wasmexec" ./...
//
// runs the test suite inside WebAssembly. It passes the arguments and the
// environment through, mounts the host's root directory (so that test binaries
// find their testdata in the package directory), gives the module real wall and
// monotonic clocks, nanosleep and crypto randomness, and exits with the module's
// exit status.
//
// It runs modules with wasihost, so they also get UDP sockets (package wasi)
// on loopback addresses; the module's stdin is the sockets' doorbell.
//
// Compiled modules are cached in $H3WASI_WASM_CACHE (default: a directory under
// the user cache directory), which makes repeated runs of the same test binary
// start in milliseconds.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/h3wasi/h3wasi/wasihost"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: wasmexec module.wasm [args...]")
		os.Exit(2)
	}
	os.Exit(run(os.Args[1], os.Args[2:]))
}

func cacheDir() string {
	if d := os.Getenv("H3WASI_WASM_CACHE"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "h3wasi-wasm")
	}
	return filepath.Join(os.TempDir(), "h3wasi-wasm")
}

func run(path string, args []string) int {
	bin, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wasmexec:", err)
		return 2
	}
	env := os.Environ()
	if wd, err := os.Getwd(); err == nil {
		// Go's os.Getwd on wasip1 reads $PWD.
		env = append(env, "PWD="+wd)
	}
	// A guest cannot be preempted: one spinning in a loop never reaches its
	// own test timeout, and go test then sends us SIGQUIT, whose default
	// stack dump shows only the host's goroutines. Stop the module instead
	// and say so in one line. wasihost stops a module at its next host
	// call (StrictTermination would halve the tests' speed), so one that
	// never makes one is abandoned after a grace period.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGQUIT, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	p, err := wasihost.Start(ctx, bin, wasihost.Config{
		Args:        append([]string{filepath.Base(path)}, args...),
		Env:         env,
		Stdout:      os.Stdout,
		Stderr:      os.Stderr,
		Dirs:        []wasihost.Dir{{Host: "/", Guest: "/"}},
		MaxSockets:  1024,
		MemoryLimit: 4 << 30, // WebAssembly's own limit: test binaries get all they ask for
		CacheDir:    cacheDir(),
		Trusted:     true, // test binaries are ours; about 2x faster
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "wasmexec:", err)
		return 2
	}
	const why = "wasmexec: stopped the module on a signal (a guest that never yields, e.g. a test spinning in a loop, cannot reach its own -test.timeout)"
	select {
	case <-p.Done():
	case <-ctx.Done():
		select {
		case <-p.Done():
		case <-time.After(3 * time.Second):
			fmt.Fprintln(os.Stderr, why+"; it made no host call for 3 s, so it was abandoned")
			return 2
		}
	}
	code, err := p.Wait()
	if err != nil {
		fmt.Fprintln(os.Stderr, "wasmexec:", err)
	}
	if ctx.Err() != nil {
		fmt.Fprintln(os.Stderr, why)
		if code == 0 {
			code = 2
		}
	}
	return code
}
