package wasihost

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
)

// The tests build testdata/guest with GOOS=wasip1 GOARCH=wasm once per test
// binary and run it under Start with a compilation cache shared with
// wasmexec, so only the first run on a machine compiles it (~20 s).

var guest struct {
	once sync.Once
	dir  string
	wasm []byte
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if guest.dir != "" {
		os.RemoveAll(guest.dir)
	}
	os.Exit(code)
}

// guestWasm returns the guest test program, skipping where a nested
// module cannot run.
func guestWasm(t testing.TB) []byte {
	t.Helper()
	if runtime.GOOS == "wasip1" {
		t.Skip("skipped under WebAssembly: needs to build and run a nested wasip1 module with host sockets; run natively")
	}
	guest.once.Do(func() {
		guest.dir, guest.err = os.MkdirTemp("", "wasihost-test")
		if guest.err != nil {
			return
		}
		out := filepath.Join(guest.dir, "guest.wasm")
		gotool := "go"
		cmd := exec.Command(gotool, "build", "-o", out, "./testdata/guest")
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		if msg, err := cmd.CombinedOutput(); err != nil {
			guest.err = err
			guest.dir += ": " + string(msg)
			return
		}
		guest.wasm, guest.err = os.ReadFile(out)
	})
	if guest.err != nil {
		t.Fatalf("building the guest: %v (%s)", guest.err, guest.dir)
	}
	return guest.wasm
}

func testCacheDir() string {
	if d := os.Getenv("H3WASI_WASM_CACHE"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "h3wasi-wasm")
	}
	return filepath.Join(os.TempDir(), "h3wasi-wasm")
}

// proc is a guest under test: its process and its stdout, line by line.
type proc struct {
	*Process
	lines  chan string
	cancel context.CancelFunc
}

// start runs the guest with args; cfg may set the policy and limits.
func start(t *testing.T, cfg Config, args ...string) *proc {
	t.Helper()
	wasm := guestWasm(t)
	pr, pw := io.Pipe()
	cfg.Args = append([]string{"guest"}, args...)
	cfg.Stdout = pw
	cfg.Stderr = &testWriter{t: t}
	cfg.CacheDir = testCacheDir()
	ctx, cancel := context.WithCancel(context.Background())
	p, err := Start(ctx, wasm, cfg)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	lines := make(chan string, 1024)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	go func() {
		<-p.Done()
		pw.Close()
	}()
	pc := &proc{Process: p, lines: lines, cancel: cancel}
	t.Cleanup(func() {
		cancel()
		p.Wait()
	})
	return pc
}

// expect returns the rest of the next stdout line that starts with prefix.
func (p *proc) expect(t *testing.T, prefix string) string {
	t.Helper()
	timeout := time.After(60 * time.Second) // a first run compiles the guest
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				code, err := p.Wait()
				t.Fatalf("guest ended (%d, %v) before printing %q", code, err, prefix)
			}
			if rest, ok := strings.CutPrefix(l, prefix); ok {
				return strings.TrimSpace(rest)
			}
			t.Logf("guest: %s", l)
		case <-timeout:
			t.Fatalf("no %q line from the guest", prefix)
		}
	}
}

// wait waits for the guest to exit, failing the test after a minute.
func (p *proc) wait(t *testing.T) (int, error) {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(time.Minute):
		t.Fatal("guest did not exit")
	}
	return p.Wait()
}

type testWriter struct{ t *testing.T }

func (w *testWriter) Write(b []byte) (int, error) {
	w.t.Logf("guest stderr: %s", b)
	return len(b), nil
}
