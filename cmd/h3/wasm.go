package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/h3wasi/h3wasi/wasihost"
)

// ruleList collects repeated --allow flags.
type ruleList []wasihost.Rule

func (l *ruleList) String() string { return fmt.Sprint(*l) }

func (l *ruleList) Set(s string) error {
	r, err := wasihost.ParseRule(s)
	if err != nil {
		return err
	}
	*l = append(*l, r)
	return nil
}

// dirList collects repeated --dir flags.
type dirList []wasihost.Dir

func (l *dirList) String() string { return fmt.Sprint(*l) }

func (l *dirList) Set(s string) error {
	host, guest, ok := strings.Cut(s, ":")
	if !ok {
		guest = host
	}
	*l = append(*l, wasihost.Dir{Host: host, Guest: guest})
	return nil
}

func wasmMain(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "build" {
		return wasmBuildMain(args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprintln(stderr, "usage: h3 wasm run [flags] module.wasm [args...]")
		fmt.Fprintln(stderr, "       h3 wasm build [-opt] [-o OUT] [-tags TAGS] PKG")
		return 2
	}
	fs := flag.NewFlagSet("h3 wasm run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var allow ruleList
	var dirs dirList
	fs.Var(&allow, "allow", "also allow binding and sending to `RULE` (ADDR[/BITS][:PORT[-PORT]] or *[:PORT]); repeatable")
	fs.Var(&dirs, "dir", "mount host directory `HOST[:GUEST]`; repeatable")
	lookup := fs.Bool("lookup", false, "let the module resolve host names")
	maxSockets := fs.Int("max-sockets", wasihost.DefaultMaxSockets, "maximum open sockets")
	memMiB := fs.Uint64("memory", wasihost.DefaultMemoryLimit>>20, "memory limit in `MiB`")
	env := fs.Bool("env", false, "pass the host environment to the module")
	trusted := fs.Bool("trusted", false, "run about 2x faster by skipping wazero's per-loop cancellation checks; the module then stops on Ctrl-C only at its next host call (use for modules you wrote)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: h3 wasm run [flags] module.wasm [args...]")
		fs.PrintDefaults()
		return 2
	}
	path := fs.Arg(0)
	wasm, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(stderr, "h3:", err)
		return 2
	}
	cfg := wasihost.Config{
		Args:        append([]string{filepath.Base(path)}, fs.Args()[1:]...),
		Stdout:      stdout,
		Stderr:      stderr,
		Dirs:        dirs,
		Policy:      wasihost.Policy{Allow: allow, Lookup: *lookup},
		MaxSockets:  *maxSockets,
		MemoryLimit: *memMiB << 20,
		Trusted:     *trusted,
	}
	if *env {
		cfg.Env = os.Environ()
	}
	if d, err := os.UserCacheDir(); err == nil {
		cfg.CacheDir = filepath.Join(d, "h3wasi-wasm")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	code, err := wasihost.Run(ctx, wasm, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "h3:", err)
	}
	return code
}
