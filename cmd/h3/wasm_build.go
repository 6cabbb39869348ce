package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"
)

const wasmBuildUsage = "usage: h3 wasm build [-opt] [-o OUT] [-tags TAGS] PKG"

// wasmOptFeatures are the WebAssembly features beyond the MVP that Go's
// wasm output uses (always, since Go 1.21 for the first two): sign-extension
// operators, saturating float-to-int conversions (GOWASM's old signext and
// satconv) and memory.copy/memory.fill in the runtime's memmove and memclr.
// wasm-opt rejects a module that uses a feature it was not told about.
var wasmOptFeatures = []string{"--enable-bulk-memory", "--enable-sign-ext", "--enable-nontrapping-float-to-int"}

// wasmOptHint says how to get binaryen's wasm-opt (Debian's binaryen package,
// or npm's binaryen, which installs a wasm-opt command).
const wasmOptHint = "install binaryen for -opt: apt-get install binaryen, or npm install -g binaryen"

// wasmBuildMain is h3 wasm build: it compiles a package for GOOS=wasip1
// GOARCH=wasm without debug information and, with -opt, shrinks the module
// with wasm-opt -Oz, printing the size of each step raw and gzipped.
func wasmBuildMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("h3 wasm build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	opt := fs.Bool("opt", false, "also run binaryen's wasm-opt -Oz on the module (skipped with a warning when wasm-opt is not on PATH)")
	out := fs.String("o", "", "write the module to `OUT` (default: the package's base name + .wasm)")
	tags := fs.String("tags", "", "build `TAGS`, as go build -tags (e.g. h3wasi_offload)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, wasmBuildUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	pkg := fs.Arg(0)
	if strings.Contains(pkg, "...") {
		fmt.Fprintf(stderr, "h3 wasm build: %s: one package, not a pattern\n", pkg)
		return 2
	}
	if runtime.GOOS == "wasip1" || runtime.GOOS == "js" {
		fmt.Fprintln(stderr, "h3 wasm build: needs the go command, which cannot be run from WebAssembly; run h3 wasm build natively")
		return 1
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		fmt.Fprintln(stderr, "h3 wasm build: needs the go command on PATH:", err)
		return 1
	}
	if *out == "" {
		name, err := wasmPackageName(pkg)
		if err != nil {
			fmt.Fprintln(stderr, "h3 wasm build:", err)
			return 2
		}
		*out = name + ".wasm"
	}

	buildArgs := []string{"build", "-trimpath", "-ldflags=-s -w"}
	if *tags != "" {
		buildArgs = append(buildArgs, "-tags", *tags)
	}
	buildArgs = append(buildArgs, "-o", *out, pkg)
	fmt.Fprintf(stderr, "GOOS=wasip1 GOARCH=wasm go %s\n", wasmQuoteArgs(buildArgs))
	build := exec.Command(goCmd, buildArgs...)
	build.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm") // the last value wins
	build.Stdout, build.Stderr = stderr, stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(stderr, "h3 wasm build: go build: %v\n", err)
		return 1
	}
	raw, err := readWasm(*out)
	if err != nil {
		fmt.Fprintln(stderr, "h3 wasm build:", err)
		return 1
	}
	report := fmt.Sprintf("%s: %s", *out, wasmSizes(raw))

	if *opt {
		optimised, err := wasmOpt(*out, stderr)
		switch {
		case errors.Is(err, exec.ErrNotFound):
			fmt.Fprintf(stderr, "h3 wasm build: warning: wasm-opt not found on PATH, keeping the unoptimised %s; %s\n", *out, wasmOptHint)
		case err != nil:
			fmt.Fprintln(stderr, "h3 wasm build:", err)
			return 1
		default:
			report += "; after wasm-opt -Oz: " + wasmSizes(optimised)
		}
	}
	fmt.Fprintln(stdout, report)
	return 0
}

// wasmOpt runs wasm-opt -Oz on the module at file, replacing it when
// wasm-opt succeeds, and returns the optimised module. The error wraps
// exec.ErrNotFound when wasm-opt is not on PATH.
func wasmOpt(file string, stderr io.Writer) ([]byte, error) {
	bin, err := exec.LookPath("wasm-opt")
	if err != nil {
		return nil, err
	}
	tmp := file + ".opt.tmp"
	defer os.Remove(tmp)
	optArgs := append([]string{"-Oz"}, wasmOptFeatures...)
	optArgs = append(optArgs, file, "-o", tmp)
	fmt.Fprintf(stderr, "wasm-opt %s (this can take a minute for a large module)\n", wasmQuoteArgs(optArgs))
	cmd := exec.Command(bin, optArgs...)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("wasm-opt: %w (the unoptimised %s is kept)", err, file)
	}
	optimised, err := readWasm(tmp)
	if err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, file); err != nil {
		return nil, err
	}
	return optimised, nil
}

// readWasm reads a file and checks that it starts as a WebAssembly module.
func readWasm(file string) ([]byte, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(b, []byte("\x00asm")) {
		return nil, fmt.Errorf("%s is not a WebAssembly module", file)
	}
	return b, nil
}

// wasmPackageName is the name go build gives the binary of pkg: the last
// element of its import path or directory, skipping a major version suffix
// (…/foo/v2 gives foo).
func wasmPackageName(pkg string) (string, error) {
	p := pkg
	if p == "." || p == ".." || strings.HasPrefix(p, "./") || strings.HasPrefix(p, "../") || filepath.IsAbs(p) {
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", err
		}
		p = filepath.ToSlash(abs)
	}
	p = strings.TrimRight(p, "/")
	name := path.Base(p)
	if isMajorVersion(name) {
		name = path.Base(path.Dir(p))
	}
	if name == "" || name == "." || name == "/" {
		return "", fmt.Errorf("cannot name the module of %q; use -o", pkg)
	}
	return name, nil
}

// isMajorVersion reports whether s is a module major version suffix such as v2.
func isMajorVersion(s string) bool {
	if len(s) < 2 || s[0] != 'v' || s[1] == '0' {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != "v1"
}

// wasmSizes formats the size of b raw and compressed with gzip at best
// compression, as "10.6 MB (2.8 MB gzip)".
func wasmSizes(b []byte) string {
	var n wasmCountWriter
	zw, _ := gzip.NewWriterLevel(&n, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return fmt.Sprintf("%s (%s gzip)", wasmFormatBytes(int64(len(b))), wasmFormatBytes(int64(n)))
}

// wasmCountWriter counts the bytes written to it.
type wasmCountWriter int64

func (w *wasmCountWriter) Write(p []byte) (int, error) {
	*w += wasmCountWriter(len(p))
	return len(p), nil
}

// wasmFormatBytes formats n in decimal units: 950 B, 12.3 kB, 10.6 MB.
func wasmFormatBytes(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	default:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
}

// wasmQuoteArgs joins args for display, quoting those with spaces.
func wasmQuoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " \t'\"") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}
