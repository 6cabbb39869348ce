package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// wasmSizeRE matches one size pair printed by h3 wasm build.
const wasmSizeRE = `[0-9.]+ (B|kB|MB) \([0-9.]+ (B|kB|MB) gzip\)`

// wasmBuildTest skips the tests that run the go command.
func wasmBuildTest(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a WebAssembly module; skipped under -short")
	}
	if runtime.GOOS == "wasip1" || runtime.GOOS == "js" {
		t.Skip("no go command in WebAssembly")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command:", err)
	}
}

func checkWasmMagic(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\x00asm")) {
		t.Fatalf("%s does not start with \\0asm: % x", file, b[:min(len(b), 8)])
	}
	return b
}

func TestWasmBuild(t *testing.T) {
	wasmBuildTest(t)
	out := filepath.Join(t.TempDir(), "udpecho.wasm")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"wasm", "build", "-o", out, "../../examples/udpecho"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	checkWasmMagic(t, out)
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(out) + `: ` + wasmSizeRE + "\n$").MatchString(stdout.String()) {
		t.Errorf("stdout %q; want %q: SIZE (SIZE gzip)", stdout.String(), out)
	}
	if !strings.Contains(stderr.String(), "GOOS=wasip1 GOARCH=wasm go build -trimpath '-ldflags=-s -w' -o ") {
		t.Errorf("stderr %q; want the go build command line", stderr.String())
	}
}

func TestWasmBuildOpt(t *testing.T) {
	wasmBuildTest(t)
	out := filepath.Join(t.TempDir(), "udpecho.wasm")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"wasm", "build", "-opt", "-tags", "h3wasi_test_unused", "-o", out, "../../examples/udpecho"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	opt := checkWasmMagic(t, out)
	if _, err := exec.LookPath("wasm-opt"); err != nil {
		// Without wasm-opt: one hint line, the unoptimised module kept, exit 0.
		if !strings.Contains(stderr.String(), "wasm-opt not found on PATH") || !strings.Contains(stderr.String(), "apt-get install binaryen, or npm install -g binaryen") {
			t.Errorf("stderr %q; want the hint on how to install wasm-opt", stderr.String())
		}
		if !regexp.MustCompile(`^` + regexp.QuoteMeta(out) + `: ` + wasmSizeRE + "\n$").MatchString(stdout.String()) {
			t.Errorf("stdout %q; want one size", stdout.String())
		}
		return
	}
	m := regexp.MustCompile(`^` + regexp.QuoteMeta(out) + `: (` + wasmSizeRE + `); after wasm-opt -Oz: ` + wasmSizeRE + "\n$").FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("stdout %q; want sizes before and after wasm-opt", stdout.String())
	}
	if _, err := os.Stat(out + ".opt.tmp"); !os.IsNotExist(err) {
		t.Errorf("temporary file left: %v", err)
	}
	// Build again without -opt to compare with the unoptimised module.
	plain := filepath.Join(t.TempDir(), "plain.wasm")
	stdout.Reset()
	if code := run([]string{"wasm", "build", "-tags", "h3wasi_test_unused", "-o", plain, "../../examples/udpecho"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	raw := checkWasmMagic(t, plain)
	if len(opt) > len(raw) {
		t.Errorf("wasm-opt -Oz gave %d bytes from %d", len(opt), len(raw))
	}
	// The optimised module is still valid for wasm-opt itself.
	if b, err := exec.Command("wasm-opt", append(append([]string{}, wasmOptFeatures...), out, "-o", os.DevNull)...).CombinedOutput(); err != nil {
		t.Errorf("wasm-opt rejects the optimised module: %v\n%s", err, b)
	}
}

func TestWasmBuildUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"wasm", "build"}, "usage: h3 wasm build"},
		{[]string{"wasm", "build", "a", "b"}, "usage: h3 wasm build"},
		{[]string{"wasm", "build", "./..."}, "one package, not a pattern"},
		{[]string{"wasm"}, "h3 wasm build [-opt]"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(tc.args, &stdout, &stderr); code != 2 {
			t.Errorf("h3 %q: exit %d; want 2", tc.args, code)
		}
		if !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("h3 %q: stderr %q; want %q in it", tc.args, stderr.String(), tc.want)
		}
	}
}

func TestWasmBuildPackageName(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for pkg, want := range map[string]string{
		"./examples/h3server":                        "h3server",
		"github.com/h3wasi/h3wasi/examples/h3server": "h3server",
		"example.com/foo/v2":                         "foo",
		"example.com/v1":                             "v1",
		"examples/udpecho/":                          "udpecho",
		".":                                          filepath.Base(wd),
	} {
		if got, err := wasmPackageName(pkg); err != nil || got != want {
			t.Errorf("wasmPackageName(%q) = %q, %v; want %q", pkg, got, err, want)
		}
	}
}
