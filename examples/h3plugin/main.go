//go:build !wasip1

// Command h3plugin embeds wasihost to run an HTTP/3 handler module that
// someone else wrote: a prebuilt wasip1 WebAssembly module (for example
// examples/h3server, built with GOOS=wasip1 GOARCH=wasm go build), run
// untrusted, with its sockets scoped by a wasihost.Policy, a cap on its
// memory, no files, and no environment but wasihost's own H3WASI_*
// variables. It prints the policy in effect, prefixes the module's output,
// and stops the module on Ctrl-C.
//
//	h3plugin -module h3server.wasm -listen 127.0.0.1:4433 [-memory MiB]
//	         [-max-sockets N] [-allow RULE]... -- [module args...]
//
// For example:
//
//	GOOS=wasip1 GOARCH=wasm go build -o h3server.wasm ./examples/h3server
//	go run ./examples/h3plugin -module h3server.wasm -listen 127.0.0.1:4433 -- -addr 127.0.0.1:4433
//	go run ./cmd/h3 get -k https://127.0.0.1:4433/api/time
//
// What the policy can and cannot express (see package wasihost):
//
//   - Loopback (127.0.0.0/8 and ::1, any port) is always open to a wasihost
//     module, for binding and for sending; no flag here narrows it. A
//     loopback -listen therefore only says where the plugin is expected.
//   - A non-loopback -listen becomes the one rule ADDR:PORT, which lets the
//     module bind (and send to) exactly that address and port. A bind to
//     0.0.0.0 or :: that no rule covers is narrowed to loopback.
//   - Each -allow RULE (ADDR[/BITS][:PORT[-PORT]], "*" for every address)
//     grants binding and sending alike. wasihost has no notion of "replies
//     to whoever wrote to us": a plugin listening on a non-loopback address
//     can answer only the peers that -allow rules cover.
//   - Receiving is not filtered: whatever reaches a bound address arrives.
//   - -max-sockets caps the module's open sockets (default 1), -memory its
//     linear memory. The module runs untrusted (wazero checks for the end of
//     the context at every function entry and loop), so Ctrl-C stops it even
//     while it computes; CPU time and bandwidth are not capped.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/h3wasi/h3wasi/wasihost"
)

// options configure one run of a plugin.
type options struct {
	module     string // path of the wasip1 module
	listen     string // ADDR:PORT the plugin is to serve on
	memoryMiB  uint64 // linear memory limit
	maxSockets int
	allow      []wasihost.Rule
	args       []string // the module's arguments, after its name
	cacheDir   string   // wazero compilation cache; "" for none
	// ready, if set, is called once the module has opened its first socket.
	ready func()
}

// ruleFlag collects repeated -allow flags.
type ruleFlag struct{ rules *[]wasihost.Rule }

func (f ruleFlag) String() string {
	if f.rules == nil {
		return ""
	}
	return fmt.Sprint(*f.rules)
}

func (f ruleFlag) Set(s string) error {
	r, err := wasihost.ParseRule(s)
	if err != nil {
		return err
	}
	*f.rules = append(*f.rules, r)
	return nil
}

func main() {
	var o options
	fs := flag.NewFlagSet("h3plugin", flag.ExitOnError)
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: h3plugin -module FILE.wasm -listen ADDR:PORT [-memory MiB] [-max-sockets N] [-allow RULE]... -- [module args...]")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.module, "module", "", "the wasip1 module `FILE.wasm` to run (required)")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:4433", "the UDP `ADDR:PORT` the plugin serves on; a non-loopback address becomes its only non-loopback bind")
	fs.Uint64Var(&o.memoryMiB, "memory", 256, "cap on the module's linear memory, in `MiB`")
	fs.IntVar(&o.maxSockets, "max-sockets", 1, "cap on the module's open UDP sockets")
	fs.Var(ruleFlag{&o.allow}, "allow", "also let the module bind and send to `RULE` (ADDR[/BITS][:PORT[-PORT]] or *[:PORT]); repeatable")
	fs.Parse(os.Args[1:])
	if o.module == "" {
		fs.Usage()
		os.Exit(2)
	}
	o.args = fs.Args()
	if d, err := os.UserCacheDir(); err == nil {
		o.cacheDir = filepath.Join(d, "h3wasi-wasm") // shared with h3 wasm run
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "h3plugin:", err)
		os.Exit(1)
	}
}

// policy returns the socket policy for o: loopback (always), plus the
// -listen address if it is not loopback, plus the -allow rules.
func policy(o options) (wasihost.Policy, error) {
	ap, err := netip.ParseAddrPort(o.listen)
	if err != nil || ap.Port() == 0 {
		return wasihost.Policy{}, fmt.Errorf("-listen %q: want ADDR:PORT with a non-zero port", o.listen)
	}
	var p wasihost.Policy
	if a := ap.Addr().Unmap(); !a.IsLoopback() {
		p.Allow = append(p.Allow, wasihost.Rule{Prefix: netip.PrefixFrom(a, a.BitLen()), MinPort: ap.Port(), MaxPort: ap.Port()})
	}
	p.Allow = append(p.Allow, o.allow...)
	return p, nil
}

// describe writes the policy in effect for o.
func describe(w io.Writer, o options, p wasihost.Policy, size int) {
	fmt.Fprintf(w, "h3plugin: running %s (%.1f MiB of WebAssembly) untrusted: wazero checks for cancellation at every function entry and loop\n",
		o.module, float64(size)/(1<<20))
	fmt.Fprintln(w, "h3plugin: policy in effect:")
	fmt.Fprintln(w, "  bind and send: loopback (127.0.0.0/8, ::1), any port (always open under wasihost)")
	for _, r := range p.Allow {
		fmt.Fprintf(w, "  bind and send: %v\n", r)
	}
	fmt.Fprintf(w, "  plugin serves on: %s\n", o.listen)
	fmt.Fprintln(w, "  binds to 0.0.0.0 or :: that no rule covers are narrowed to loopback; receiving is not filtered")
	fmt.Fprintf(w, "  sockets: at most %d open, UDP only; host name lookup: off (\"localhost\" only)\n", o.maxSockets)
	fmt.Fprintf(w, "  memory: %d MiB of linear memory; files: none; environment: only wasihost's H3WASI_* variables\n", o.memoryMiB)
	fmt.Fprintln(w, "  not capped: CPU time, bandwidth")
}

// run runs the plugin until it exits or ctx ends. It returns nil if the
// module exits with status 0 or is stopped by ctx.
func run(ctx context.Context, o options, stdout, stderr io.Writer) error {
	p, err := policy(o)
	if err != nil {
		return err
	}
	if o.memoryMiB == 0 || o.memoryMiB > 4096 {
		return fmt.Errorf("-memory %d: want 1 to 4096 MiB", o.memoryMiB)
	}
	if o.maxSockets < 1 {
		return fmt.Errorf("-max-sockets %d: want at least 1", o.maxSockets)
	}
	wasm, err := os.ReadFile(o.module)
	if err != nil {
		return err
	}
	describe(stdout, o, p, len(wasm))
	name := filepath.Base(o.module)
	out := &prefixWriter{w: stdout, prefix: "[" + name + "] "}
	errOut := &prefixWriter{w: stderr, prefix: "[" + name + "] "}
	defer out.flush()
	defer errOut.flush()
	proc, err := wasihost.Start(ctx, wasm, wasihost.Config{
		Args:        append([]string{name}, o.args...),
		Stdout:      out,
		Stderr:      errOut,
		Policy:      p,
		MaxSockets:  o.maxSockets,
		MemoryLimit: o.memoryMiB << 20,
		CacheDir:    o.cacheDir,
		Trusted:     false, // someone else's code: stoppable even while it computes
	})
	if err != nil {
		return fmt.Errorf("the module did not start (memory limit %d MiB): %w", o.memoryMiB, err)
	}
	if o.ready != nil {
		go func() {
			t := time.NewTicker(5 * time.Millisecond)
			defer t.Stop()
			for proc.Sockets() == 0 {
				select {
				case <-proc.Done():
					return
				case <-t.C:
				}
			}
			o.ready()
		}()
	}
	code, err := proc.Wait()
	switch {
	case ctx.Err() != nil:
		fmt.Fprintln(stdout, "h3plugin: stopped the module; its sockets are closed")
		return nil
	case err != nil:
		return fmt.Errorf("the module failed: %w", err)
	case code != 0:
		return &exitError{code}
	}
	return nil
}

// exitError is a module's non-zero exit status.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("the module exited with status %d", e.code) }

// prefixWriter writes each line with a prefix; it keeps a partial last line
// until the line ends or flush is called. It is safe for concurrent use.
type prefixWriter struct {
	mu      sync.Mutex
	w       io.Writer
	prefix  string
	partial []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			p.partial = append(p.partial, b...)
			break
		}
		line := append(append([]byte(p.prefix), p.partial...), b[:i+1]...)
		p.partial = p.partial[:0]
		b = b[i+1:]
		if _, err := p.w.Write(line); err != nil {
			return n - len(b), err
		}
	}
	return n, nil
}

func (p *prefixWriter) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.partial) > 0 {
		io.WriteString(p.w, p.prefix+string(p.partial)+"\n")
		p.partial = nil
	}
}
