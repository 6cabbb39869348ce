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
// Compiled modules are cached in $H3WASI_WASM_CACHE (default: a directory under
// the user cache directory), which makes repeated runs of the same test binary
// start in milliseconds.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"
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
	ctx := context.Background()
	bin, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wasmexec:", err)
		return 2
	}
	rc := wazero.NewRuntimeConfig().WithCloseOnContextDone(true)
	if cache, err := wazero.NewCompilationCacheWithDir(cacheDir()); err == nil {
		rc = rc.WithCompilationCache(cache)
	}
	r := wazero.NewRuntimeWithConfig(ctx, rc)
	defer r.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, r)

	compiled, err := r.CompileModule(ctx, bin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wasmexec: compile:", err)
		return 2
	}
	cfg := wazero.NewModuleConfig().
		WithArgs(append([]string{filepath.Base(path)}, args...)...).
		WithStdin(os.Stdin).WithStdout(os.Stdout).WithStderr(os.Stderr).
		WithSysWalltime().WithSysNanotime().WithSysNanosleep().
		WithRandSource(rand.Reader).
		WithFSConfig(wazero.NewFSConfig().WithDirMount("/", "/"))
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			cfg = cfg.WithEnv(k, v)
		}
	}
	if wd, err := os.Getwd(); err == nil {
		// Go's os.Getwd on wasip1 reads $PWD.
		cfg = cfg.WithEnv("PWD", wd)
	}
	_, err = r.InstantiateModule(ctx, compiled, cfg)
	var exit *sys.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return int(exit.ExitCode())
	default:
		fmt.Fprintln(os.Stderr, "wasmexec:", err)
		return 1
	}
}
