package wasm_test

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/h3wasi/h3wasi/wasihost"
)

var guestProfile = flag.String("guestprofile", "", "run TestGuestProfile on this server guest (ourserver, ourserver@offload or quicgoserver)")

// TestGuestProfile prints the functions of a wasm QUIC server (Go functions and the
// host functions it calls) that take the most time while it sends 4 MiB to a native
// client of its own stack. Go's profiler does not see inside wazero's compiled code, so a function
// listener times every call: self time, that is each call's time minus its callees'.
// The listener roughly doubles the run time, and its cost per call inflates small,
// often-called functions. Run it with
//
//	go test -run TestGuestProfile -v . -args -guestprofile=ourserver
func TestGuestProfile(t *testing.T) {
	name := *guestProfile
	d := map[string]dialer{"ourserver": ourDialer, "ourserver@offload": ourDialer, "quicgoserver": quicGoDialer}
	if _, ok := d[name]; !ok {
		t.Skip("diagnostic; enable with -args -guestprofile=ourserver (or quicgoserver)")
	}
	wasm := guestWasm(t, name)
	p := &callProfiler{stats: map[string]*callStat{}}
	// No compilation cache: code compiled with listeners differs.
	ctx, cancel := context.WithCancel(experimental.WithFunctionListenerFactory(context.Background(), p))
	defer cancel()
	g := startGuestCtx(t, ctx, wasm, name, wasihost.Config{Args: []string{name, "127.0.0.1:0"}})
	addr := g.expect(t, "LISTEN", listenTimeout)
	c, err := d[name].dial(ctx, addr, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := download(ctx, c, 1<<20); err != nil { // warm up the congestion window
		t.Fatal(err)
	}
	p.on.Store(true)
	start := time.Now()
	if err := download(ctx, c, 4<<20); err != nil {
		t.Fatal(err)
	}
	p.on.Store(false)
	t.Logf("4 MiB in %v with the listener", time.Since(start).Round(time.Millisecond))
	cancel()
	g.Wait()
	t.Log("\n" + p.report(50))
}

type callStat struct {
	calls int64
	self  time.Duration
}

// callProfiler is a wazero function listener that accumulates self time per function.
// The module runs on one goroutine, so only on is shared.
type callProfiler struct {
	on    atomic.Bool
	stats map[string]*callStat
	stack []callFrame
}

type callFrame struct {
	name  string
	start time.Time
	child time.Duration
}

func (p *callProfiler) NewFunctionListener(def api.FunctionDefinition) experimental.FunctionListener {
	return &callListener{p: p, name: def.DebugName()}
}

type callListener struct {
	p    *callProfiler
	name string
}

func (l *callListener) Before(context.Context, api.Module, api.FunctionDefinition, []uint64, experimental.StackIterator) {
	l.p.stack = append(l.p.stack, callFrame{name: l.name, start: time.Now()})
}

func (l *callListener) After(context.Context, api.Module, api.FunctionDefinition, []uint64) {
	l.p.pop()
}

func (l *callListener) Abort(context.Context, api.Module, api.FunctionDefinition, error) { l.p.pop() }

func (p *callProfiler) pop() {
	n := len(p.stack)
	if n == 0 {
		return
	}
	f := p.stack[n-1]
	p.stack = p.stack[:n-1]
	d := time.Since(f.start)
	if n > 1 {
		p.stack[n-2].child += d
	}
	if !p.on.Load() {
		return
	}
	s := p.stats[f.name]
	if s == nil {
		s = &callStat{}
		p.stats[f.name] = s
	}
	s.calls++
	s.self += d - f.child
}

// report lists the top functions by self time, then the totals per Go package.
func (p *callProfiler) report(top int) string {
	var total time.Duration
	names := make([]string, 0, len(p.stats))
	pkgs := map[string]time.Duration{}
	for name, s := range p.stats {
		names = append(names, name)
		total += s.self
		pkgs[packageOf(name)] += s.self
	}
	slices.SortFunc(names, func(a, b string) int { return int(p.stats[b].self - p.stats[a].self) })
	var sb strings.Builder
	fmt.Fprintf(&sb, "self time %v\n", total)
	for _, name := range names[:min(top, len(names))] {
		s := p.stats[name]
		fmt.Fprintf(&sb, "%6.2f%% %9d calls  %s\n", 100*float64(s.self)/float64(total), s.calls, name)
	}
	pkgNames := make([]string, 0, len(pkgs))
	for k := range pkgs {
		pkgNames = append(pkgNames, k)
	}
	slices.SortFunc(pkgNames, func(a, b string) int { return int(pkgs[b] - pkgs[a]) })
	for _, k := range pkgNames[:min(20, len(pkgNames))] {
		fmt.Fprintf(&sb, "package %6.2f%%  %s\n", 100*float64(pkgs[k])/float64(total), k)
	}
	return sb.String()
}

// packageOf returns the package of a wasm debug name such as
// ".github.com_h3wasi_h3wasi_internal_quicproto.__Conn_.Send" (a method),
// ".golang.org_x_crypto_chacha20poly1305.writeUint64" (a function) or
// "wasi_snapshot_preview1.sock_send_to" (a host function).
func packageOf(name string) string {
	name = strings.TrimPrefix(name, ".")
	if i := strings.Index(name, ".__"); i > 0 {
		return name[:i]
	}
	if i := strings.LastIndex(name, "."); i > 0 {
		return name[:i]
	}
	return name
}
