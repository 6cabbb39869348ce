package wasihost

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"

	"github.com/h3wasi/h3wasi/internal/wasiabi"
)

// Defaults of Config.
const (
	DefaultMaxSockets  = 64
	DefaultMemoryLimit = 1 << 30 // 1 GiB
)

// Config describes how to run one module.
type Config struct {
	// Args are the module's arguments, Args[0] being its name
	// (default "module").
	Args []string
	// Env lists the module's environment as "KEY=value" strings. The
	// host sets H3WASI_SOCKET_WAKE, H3WASI_HOSTCRYPTO and H3WASI_SEGMENTS
	// itself (see the package doc), in place of any values given here.
	Env []string
	// Stdout and Stderr receive the module's output; nil discards it.
	// The module's stdin is reserved for the socket doorbell.
	Stdout, Stderr io.Writer
	// Dirs are the host directories the module may open.
	Dirs []Dir
	// Policy says where the module's sockets may bind and send; the
	// zero Policy allows loopback only.
	Policy Policy
	// MaxSockets caps the module's open sockets (0: DefaultMaxSockets;
	// negative: no sockets at all).
	MaxSockets int
	// MemoryLimit caps the module's linear memory in bytes, rounded down
	// to 64 KiB pages (0: DefaultMemoryLimit; at most 4 GiB).
	MemoryLimit uint64
	// Cache, if set, keeps compiled modules across runs (see
	// wazero.NewCompilationCacheWithDir); CacheDir, if set and Cache is
	// nil, names a directory for such a cache.
	Cache    wazero.CompilationCache
	CacheDir string
	// Trusted skips wazero's check for the end of ctx at every function
	// entry and loop, which roughly halves the speed of Go guests (Go's
	// wasm code enters a loop in every function). A trusted module whose
	// ctx ends stops at its next host call instead (clock, poll, socket or
	// crypto), which a Go program doing I/O or sleeping makes often. One
	// that computes without ever calling the host cannot be stopped, and
	// while it runs it delays the host's garbage collector: use Trusted only
	// for modules you wrote.
	Trusted bool
}

// Dir mounts the host directory Host at Guest in the module's file system.
type Dir struct {
	Host, Guest string
	ReadOnly    bool
}

// Process is a running module.
type Process struct {
	table  *table
	crypto *cryptoTable
	stop   *stopFlag
	done   chan struct{}
	code   int
	err    error
}

// Run runs the module wasm (a wasip1 command such as a GOOS=wasip1
// GOARCH=wasm Go program) until it exits, and returns its exit status.
// err is non-nil if the module could not start (exitCode 2) or did not
// exit by itself: it trapped or ctx ended (exitCode 1). Every socket the
// module opened is closed when Run returns.
func Run(ctx context.Context, wasm []byte, cfg Config) (exitCode int, err error) {
	p, err := Start(ctx, wasm, cfg)
	if err != nil {
		return 2, err
	}
	return p.Wait()
}

// Start compiles wasm and starts running it on a new goroutine. Ending ctx
// stops the module.
func Start(ctx context.Context, wasm []byte, cfg Config) (*Process, error) {
	r, err := newRuntime(ctx, cfg)
	if err != nil {
		return nil, err
	}
	compiled, err := r.CompileModule(ctx, wasm)
	if err != nil {
		r.Close(ctx)
		return nil, fmt.Errorf("wasihost: compile: %w", err)
	}
	if err := checkCryptoImports(compiled); err != nil {
		r.Close(ctx)
		return nil, err
	}
	bell, err := newDoorbell()
	if err != nil {
		r.Close(ctx)
		return nil, err
	}
	max := cfg.MaxSockets
	if max == 0 {
		max = DefaultMaxSockets
	}
	var ring func(int32)
	if bell != nil && !inlinePoll {
		ring = bell.ring
	}
	p := &Process{table: newTable(cfg.Policy, max, ring), done: make(chan struct{}),
		crypto: newCryptoTable(wasiabi.MaxKeys), stop: new(stopFlag)}
	p.table.stop, p.crypto.stop = p.stop, p.stop
	if err := p.instantiateHostModules(ctx, r, bell); err != nil {
		bell.close()
		r.Close(ctx)
		return nil, err
	}
	mc := moduleConfig(cfg, bell)
	// When ctx ends, the module's next host call ends it (stop.go); a
	// module asleep in poll_oneoff on the doorbell wakes when it hangs up.
	go func() {
		select {
		case <-ctx.Done():
			p.stop.stopped.Store(true)
			if bell != nil {
				bell.hangup()
			}
		case <-p.done:
		}
	}()
	go func() {
		defer close(p.done)
		_, err := r.InstantiateModule(ctx, compiled, mc)
		p.table.closeAll()
		p.crypto.closeAll()
		bell.close()
		r.Close(context.Background())
		var exit *sys.ExitError
		switch {
		case err == nil:
		case errors.As(err, &exit) && ctx.Err() == nil:
			p.code = int(exit.ExitCode())
		default:
			p.code, p.err = 1, fmt.Errorf("wasihost: %w", err)
		}
	}()
	return p, nil
}

// instantiateHostModules builds what the module may import: the segmented
// sends (wasiabi.ModuleSock), host crypto, and wazero's WASI with the socket
// functions, a clock that checks for a stop and, on Linux, a poll_oneoff that
// waits on the sockets.
func (p *Process) instantiateHostModules(ctx context.Context, r wazero.Runtime, bell *doorbell) error {
	if err := p.table.exportSegments(ctx, r); err != nil {
		return fmt.Errorf("wasihost: %w", err)
	}
	if err := p.crypto.instantiate(ctx, r); err != nil {
		return err
	}
	b := r.NewHostModuleBuilder(wasi_snapshot_preview1.ModuleName)
	wasi_snapshot_preview1.NewFunctionExporter().ExportFunctions(b)
	p.table.export(b)
	p.stop.exportClock(b)
	if bell != nil && inlinePoll {
		p.table.bell = bell
		p.table.exportPoll(b)
	}
	if _, err := b.Instantiate(ctx); err != nil {
		return fmt.Errorf("wasihost: %w", err)
	}
	return nil
}

// Wait waits for the module to end and returns what Run returns.
func (p *Process) Wait() (exitCode int, err error) {
	<-p.done
	return p.code, p.err
}

// Done is closed when the module has ended and its sockets are closed.
func (p *Process) Done() <-chan struct{} { return p.done }

// Sockets returns the number of host sockets the module has open.
func (p *Process) Sockets() int { return p.table.len() }

func newRuntime(ctx context.Context, cfg Config) (wazero.Runtime, error) {
	limit := cfg.MemoryLimit
	if limit == 0 {
		limit = DefaultMemoryLimit
	}
	pages := min(limit/65536, 65536)
	if pages == 0 {
		return nil, errors.New("wasihost: MemoryLimit is below one 64 KiB page")
	}
	rc := wazero.NewRuntimeConfig().
		WithCloseOnContextDone(!cfg.Trusted).
		WithMemoryLimitPages(uint32(pages))
	cache := cfg.Cache
	if cache == nil && cfg.CacheDir != "" {
		c, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("wasihost: compilation cache: %w", err)
		}
		cache = c
	}
	if cache != nil {
		rc = rc.WithCompilationCache(cache)
	}
	return wazero.NewRuntimeWithConfig(ctx, rc), nil
}

func moduleConfig(cfg Config, bell *doorbell) wazero.ModuleConfig {
	args := cfg.Args
	if len(args) == 0 {
		args = []string{"module"}
	}
	mc := wazero.NewModuleConfig().
		WithArgs(args...).
		WithSysWalltime().WithSysNanotime().WithSysNanosleep().
		WithRandSource(rand.Reader)
	if cfg.Stdout != nil {
		mc = mc.WithStdout(cfg.Stdout)
	}
	if cfg.Stderr != nil {
		mc = mc.WithStderr(cfg.Stderr)
	}
	fs := wazero.NewFSConfig()
	for _, d := range cfg.Dirs {
		if d.ReadOnly {
			fs = fs.WithReadOnlyDirMount(d.Host, d.Guest)
		} else {
			fs = fs.WithDirMount(d.Host, d.Guest)
		}
	}
	mc = mc.WithFSConfig(fs)
	for _, kv := range cfg.Env {
		// wazero keeps the last value of a repeated key, as os/exec does.
		if k, v, ok := cutEnv(kv); ok && k != wasiabi.WakeEnv && k != wasiabi.CryptoEnv && k != wasiabi.SegmentsEnv {
			mc = mc.WithEnv(k, v)
		}
	}
	// Host crypto offload (package wasi/hostcrypto) and segmented sends
	// are always offered.
	mc = mc.WithEnv(wasiabi.CryptoEnv, wasiabi.CryptoVersion).WithEnv(wasiabi.SegmentsEnv, wasiabi.SegmentsVersion)
	if bell != nil {
		mc = mc.WithStdin(bell.r).WithEnv(wasiabi.WakeEnv, wasiabi.WakeStdin)
	} else {
		mc = mc.WithEnv(wasiabi.WakeEnv, wasiabi.WakePoll)
	}
	return mc
}

func cutEnv(kv string) (k, v string, ok bool) {
	for i := 1; i < len(kv); i++ { // a leading '=' belongs to the name
		if kv[i] == '=' {
			return kv[:i], kv[i+1:], true
		}
	}
	return "", "", false
}

// doorbell is the pipe the host rings; its read end is the module's stdin.
type doorbell struct {
	r, w *os.File
	rfd  int // r's descriptor, for the inline poll
	wfd  int
	mu   sync.Mutex
	done bool
}

func newDoorbell() (*doorbell, error) {
	if !doorbellSupported {
		return nil, nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("wasihost: doorbell: %w", err)
	}
	fd, err := rawNonblock(w)
	if err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("wasihost: doorbell: %w", err)
	}
	// Fd makes r blocking; the module makes its stdin non-blocking itself.
	return &doorbell{r: r, w: w, rfd: int(r.Fd()), wfd: fd}, nil
}

// ring writes one byte, the low byte of the socket's guest fd, so the guest
// wakes only that socket's reader. A full pipe means the guest has bytes
// to read already, so the byte can be dropped.
func (d *doorbell) ring(fd int32) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.done {
		writeByte(d.wfd, byte(fd))
	}
}

// hangup closes the write end: the module's stdin polls readable (EOF).
func (d *doorbell) hangup() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.done {
		d.done = true
		d.w.Close()
	}
}

func (d *doorbell) close() {
	if d == nil {
		return
	}
	d.hangup()
	d.r.Close()
}
