package http3_test

// TestWasmSizeSplit builds two tiny programs for GOOS=wasip1, one that uses only
// http3.Server and one that uses only http3.Transport, and checks that the linker's
// dead-code elimination keeps the other side out of each: a server-only module must not
// carry the client, nor a client-only module the server.
//
// go tool nm does not read WebAssembly modules ("unrecognized object file"), so the test
// reads the function names from the module's "name" section, which the Go linker writes
// unless -s is given (names there have every character other than letters, digits, '_'
// and '.' replaced by '_'). The sizes it logs are the module as built and without that
// section, which is what -ldflags='-s -w' gives on wasm (the linker writes no DWARF
// for wasm).
//
// When the check fails, the test relinks with -ldflags=-dumpdep and prints the chain of
// references from the linker's roots to the first unwanted function.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

const sizeServerProgram = `package main

import (
	"net/http"
	"os"

	"github.com/h3wasi/h3wasi/http3"
)

func main() {
	srv := &http3.Server{Addr: os.Args[1], Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("hello\n"))
	})}
	if err := srv.ListenAndServeTLS(os.Args[2], os.Args[3]); err != nil {
		os.Exit(1)
	}
}
`

const sizeClientProgram = `package main

import (
	"io"
	"net/http"
	"os"

	"github.com/h3wasi/h3wasi/http3"
)

func main() {
	c := &http.Client{Transport: &http3.Transport{}}
	resp, err := c.Get(os.Args[1])
	if err != nil {
		os.Exit(1)
	}
	io.Copy(os.Stdout, resp.Body)
	resp.Body.Close()
}
`

// wasmNamePrefix is how the name section spells the functions of package http3.
const wasmNamePrefix = "github.com_h3wasi_h3wasi_http3."

func TestWasmSizeSplit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two wasip1 programs; skipped in -short mode")
	}
	if runtime.GOOS == "wasip1" {
		t.Skip("runs the go command; skipped under WebAssembly")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go command not found: %v", err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	mod := sizeModule(t, goCmd, root)

	progs := []struct {
		name, src string
		forbid    []string // name-section prefixes that must not appear
		want      string   // one that must, so that a renamed type does not pass silently
	}{
		{"serveronly", sizeServerProgram,
			[]string{wasmNamePrefix + "__Transport_.", wasmNamePrefix + "__clientConn_.", wasmNamePrefix + "__clientStream_."},
			wasmNamePrefix + "__Server_.serveConn"},
		{"clientonly", sizeClientProgram,
			[]string{wasmNamePrefix + "__Server_.", wasmNamePrefix + "__serverConn_.", wasmNamePrefix + "__responseWriter_."},
			wasmNamePrefix + "__Transport_.RoundTrip"},
	}
	var wg sync.WaitGroup
	wasm := make([][]byte, len(progs))
	errs := make([]error, len(progs))
	for i, p := range progs {
		dir := filepath.Join(mod, p.name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(p.src), 0o644); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { wasm[i], errs[i] = buildWasm(goCmd, mod, p.name) })
	}
	wg.Wait()
	for i, p := range progs {
		if errs[i] != nil {
			t.Fatalf("building %s: %v", p.name, errs[i])
		}
		names, nameSec, err := wasmFuncNames(wasm[i])
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		stripped := len(wasm[i]) - nameSec
		t.Logf("%s: %d bytes as built, %d bytes without the name section (as -ldflags='-s -w'), %d gzipped",
			p.name, len(wasm[i]), stripped, gzipSize(t, stripWasmNames(wasm[i])))
		var bad []string
		found := false
		for _, n := range names {
			if strings.HasPrefix(n, p.want) {
				found = true
			}
			for _, f := range p.forbid {
				if strings.HasPrefix(n, f) {
					bad = append(bad, n)
				}
			}
		}
		if !found {
			t.Errorf("%s: no function %s* in the module: the check no longer sees what it looks for", p.name, p.want)
		}
		if len(bad) > 0 {
			t.Errorf("%s: %d functions that should have been left out, e.g. %s", p.name, len(bad), strings.Join(bad[:min(len(bad), 8)], ", "))
			if chain, err := depChain(goCmd, mod, p.name, p.forbid); err != nil {
				t.Logf("%s: -dumpdep: %v", p.name, err)
			} else {
				t.Logf("%s: what keeps it in (linker roots first):\n\t%s", p.name, strings.Join(chain, "\n\t-> "))
			}
		}
	}
}

// sizeModule writes a module in a temporary directory that requires this repository
// through a replace directive, with the repository's requirements and go.sum.
func sizeModule(t *testing.T, goCmd, root string) string {
	t.Helper()
	out, err := exec.Command(goCmd, "mod", "edit", "-json", filepath.Join(root, "go.mod")).Output()
	if err != nil {
		t.Fatalf("go mod edit -json: %v", err)
	}
	var gomod struct {
		Module  struct{ Path string }
		Go      string
		Require []struct{ Path, Version string }
	}
	if err := json.Unmarshal(out, &gomod); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "module h3wasisize\n\ngo %s\n\nrequire %s v0.0.0-00010101000000-000000000000\n\n", gomod.Go, gomod.Module.Path)
	for _, r := range gomod.Require {
		fmt.Fprintf(&b, "require %s %s // indirect\n", r.Path, r.Version)
	}
	fmt.Fprintf(&b, "\nreplace %s => %s\n", gomod.Module.Path, root)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func wasmBuildCmd(goCmd, mod, prog string, extra ...string) *exec.Cmd {
	args := append([]string{"build", "-mod=mod", "-trimpath"}, extra...)
	cmd := exec.Command(goCmd, append(args, "./"+prog)...)
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "GOWORK=off")
	return cmd
}

func buildWasm(goCmd, mod, prog string) ([]byte, error) {
	out := filepath.Join(mod, prog+".wasm")
	cmd := wasmBuildCmd(goCmd, mod, prog, "-o", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%v\n%s", err, msg)
	}
	return os.ReadFile(out)
}

// depChain relinks prog with -dumpdep and returns the chain of references that made
// the linker keep the first function with one of the forbidden prefixes. The linker
// prints each reachable symbol once, with the symbol it was first reached from.
func depChain(goCmd, mod, prog string, forbid []string) ([]string, error) {
	cmd := wasmBuildCmd(goCmd, mod, prog, "-o", filepath.Join(mod, prog+".dumpdep.wasm"), "-ldflags=-dumpdep")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%v\n%s", err, out[:min(len(out), 2000)])
	}
	parent := map[string]string{}
	var target string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		from, to, ok := strings.Cut(sc.Text(), " -> ")
		if !ok {
			continue
		}
		from, to = depName(from), depName(to)
		if _, seen := parent[to]; !seen {
			parent[to] = from
		}
		if target == "" {
			for _, f := range forbid {
				if strings.HasPrefix(nameSectionSpelling(to), f) {
					target = to
				}
			}
		}
	}
	if target == "" {
		return nil, errors.New("no forbidden symbol in the dependency graph")
	}
	var chain []string
	for s := target; s != "_" && s != "" && len(chain) < 200; s = parent[s] {
		chain = append(chain, s)
	}
	for i, j := 0, len(chain)-1; i < j; i, j = i+1, j-1 {
		chain[i], chain[j] = chain[j], chain[i]
	}
	return chain, nil
}

// depName drops the flags -dumpdep appends to a symbol (" <ReflectMethod>" and the like).
func depName(s string) string {
	if i := strings.Index(s, " <"); i >= 0 {
		return s[:i]
	}
	return s
}

// nameSectionSpelling spells a symbol as the wasm name section does.
func nameSectionSpelling(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '.' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, s)
}

// wasmSections calls f with the id, the whole bytes (header included) and the payload
// of each section of a WebAssembly module.
func wasmSections(m []byte, f func(id byte, whole, payload []byte)) error {
	if len(m) < 8 || string(m[:4]) != "\x00asm" {
		return errors.New("not a WebAssembly module")
	}
	for off := 8; off < len(m); {
		id := m[off]
		size, n := binary.Uvarint(m[off+1:])
		if n <= 0 || uint64(len(m)-off-1-n) < size {
			return errors.New("truncated section")
		}
		end := off + 1 + n + int(size)
		f(id, m[off:end], m[off+1+n:end])
		off = end
	}
	return nil
}

// isNameSection reports whether a section is the custom section "name", and returns
// the rest of its payload.
func isNameSection(id byte, payload []byte) ([]byte, bool) {
	if id != 0 {
		return nil, false
	}
	nl, n := binary.Uvarint(payload)
	if n <= 0 || uint64(len(payload)-n) < nl || string(payload[n:n+int(nl)]) != "name" {
		return nil, false
	}
	return payload[n+int(nl):], true
}

// wasmFuncNames returns the function names of a module's "name" section and the
// section's size, header included.
func wasmFuncNames(m []byte) (names []string, secSize int, err error) {
	var perr error
	err = wasmSections(m, func(id byte, whole, payload []byte) {
		p, ok := isNameSection(id, payload)
		if !ok {
			return
		}
		secSize = len(whole)
		for len(p) > 0 && perr == nil {
			sub := p[0]
			size, k := binary.Uvarint(p[1:])
			if k <= 0 || uint64(len(p)-1-k) < size {
				perr = errors.New("truncated name subsection")
				return
			}
			body := p[1+k : 1+k+int(size)]
			p = p[1+k+int(size):]
			if sub != 1 { // function names
				continue
			}
			count, k := binary.Uvarint(body)
			body = body[k:]
			for range count {
				_, k := binary.Uvarint(body) // function index
				body = body[k:]
				l, k := binary.Uvarint(body)
				if k <= 0 || uint64(len(body)-k) < l {
					perr = errors.New("truncated function name")
					return
				}
				names = append(names, string(body[k:k+int(l)]))
				body = body[k+int(l):]
			}
		}
	})
	if err == nil {
		err = perr
	}
	if err == nil && names == nil {
		err = errors.New("the module has no function names (built with -s?)")
	}
	return names, secSize, err
}

// stripWasmNames returns the module without its "name" section.
func stripWasmNames(m []byte) []byte {
	out := append([]byte(nil), m[:8]...)
	wasmSections(m, func(id byte, whole, payload []byte) {
		if _, ok := isNameSection(id, payload); !ok {
			out = append(out, whole...)
		}
	})
	return out
}

func gzipSize(t *testing.T, b []byte) int {
	var z bytes.Buffer
	w, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return z.Len()
}
