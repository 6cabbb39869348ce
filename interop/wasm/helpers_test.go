package wasm_test

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/h3wasi/h3wasi/wasihost"
)

// The guests are built with GOOS=wasip1 GOARCH=wasm once per test binary into a
// temporary directory, with -trimpath so that the bytes (and so wazero's compilation
// cache key) stay the same from run to run: only the first run on a machine pays for
// wazero's compilation (~20 s per guest).

var buildDir = sync.OnceValues(func() (string, error) { return os.MkdirTemp("", "interop-wasm") })

type built struct {
	once sync.Once
	wasm []byte
	err  error
}

var (
	buildsMu sync.Mutex
	builds   = map[string]*built{}
)

func TestMain(m *testing.M) {
	os.Setenv("QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING", "true")
	code := m.Run()
	if dir, err := buildDir(); err == nil {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// guestWasm builds testdata/name once and returns its bytes.
func guestWasm(t testing.TB, name string) []byte {
	t.Helper()
	if runtime.GOOS == "wasip1" {
		t.Skip("skipped under WebAssembly: runs nested wasip1 modules with host sockets; run natively")
	}
	buildsMu.Lock()
	b := builds[name]
	if b == nil {
		b = &built{}
		builds[name] = b
	}
	buildsMu.Unlock()
	b.once.Do(func() { b.wasm, b.err = build(name) })
	if b.err != nil {
		t.Fatalf("building guest %s: %v", name, b.err)
	}
	return b.wasm
}

// build builds a guest. A name "prog@tag" builds testdata/prog with the build tag
// h3wasi_tag, e.g. "ourserver@offload" (AEADs sealed and opened by the host, see
// package wasi/hostcrypto).
func build(name string) ([]byte, error) {
	dir, err := buildDir()
	if err != nil {
		return nil, err
	}
	prog, tag, _ := strings.Cut(name, "@")
	out := filepath.Join(dir, prog+"-"+tag+".wasm")
	args := []string{"build", "-trimpath", "-o", out}
	if tag != "" {
		args = append(args, "-tags", "h3wasi_"+tag)
	}
	// The go command that runs this test (go test puts its GOROOT first in PATH).
	cmd := exec.Command("go", append(args, "./testdata/"+prog)...)
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, &buildError{err, string(msg)}
	}
	return os.ReadFile(out)
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

// compileCache keeps wazero's compiled guests on disk across test runs, in the
// directory the wasihost tests and wasmexec share.
var compileCache = sync.OnceValue(func() wazero.CompilationCache {
	dir := os.Getenv("H3WASI_WASM_CACHE")
	if dir == "" {
		if d, err := os.UserCacheDir(); err == nil {
			dir = filepath.Join(d, "h3wasi-wasm")
		} else {
			dir = filepath.Join(os.TempDir(), "h3wasi-wasm")
		}
	}
	c, err := wazero.NewCompilationCacheWithDir(dir)
	if err != nil {
		return wazero.NewCompilationCache()
	}
	return c
})

// guest is a running guest program and its stdout, line by line.
type guest struct {
	*wasihost.Process
	lines  chan string
	cancel context.CancelFunc
	stderr *lockedBuffer
}

// startGuest runs testdata/name with args under wasihost until the test ends.
func startGuest(t testing.TB, name string, args ...string) *guest {
	t.Helper()
	// Trusted: the guests are this repository's; every stack runs with the same setting.
	cfg := wasihost.Config{Args: append([]string{name}, args...), Cache: compileCache(), Trusted: true}
	return startGuestCtx(t, context.Background(), guestWasm(t, name), name, cfg)
}

// startGuestCtx runs wasm with cfg, its output going to the returned guest, until ctx
// ends or the test ends.
func startGuestCtx(t testing.TB, ctx context.Context, wasm []byte, name string, cfg wasihost.Config) *guest {
	t.Helper()
	pr, pw := io.Pipe()
	stderr := &lockedBuffer{}
	cfg.Stdout, cfg.Stderr = pw, stderr
	ctx, cancel := context.WithCancel(ctx)
	p, err := wasihost.Start(ctx, wasm, cfg)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	g := &guest{Process: p, lines: make(chan string, 1024), cancel: cancel, stderr: stderr}
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			g.lines <- sc.Text()
		}
		close(g.lines)
	}()
	go func() {
		<-p.Done()
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		p.Wait()
		if t.Failed() && stderr.String() != "" {
			t.Logf("%s stderr:\n%s", name, stderr.String())
		}
	})
	return g
}

// expect returns the rest of the next stdout line that starts with prefix; a "FAIL"
// line fails the test.
func (g *guest) expect(t testing.TB, prefix string, timeout time.Duration) string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case l, ok := <-g.lines:
			if !ok {
				code, err := g.Wait()
				t.Fatalf("guest ended (status %d, %v) before printing %q", code, err, prefix)
			}
			if rest, ok := strings.CutPrefix(l, prefix); ok {
				return strings.TrimSpace(rest)
			}
			if strings.HasPrefix(l, "FAIL") {
				t.Fatalf("guest: %s", l)
			}
			t.Logf("guest: %s", l)
		case <-deadline:
			t.Fatalf("no %q line from the guest in %v", prefix, timeout)
		}
	}
}

// listenTimeout covers a first run on a machine, which compiles the guest.
const listenTimeout = 2 * time.Minute

// startServer starts a server guest on a free loopback port and returns its address.
func startServer(t testing.TB, name string, args ...string) (*guest, string) {
	t.Helper()
	g := startGuest(t, name, append([]string{"127.0.0.1:0"}, args...)...)
	return g, g.expect(t, "LISTEN", listenTimeout)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *lockedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
