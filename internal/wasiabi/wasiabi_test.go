package wasiabi

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// guestDirs hold the guest code that imports the ABI's functions.
var guestDirs = []string{"../../wasi", "../hostaead"}

// TestGuestImports checks every //go:wasmimport of the guest packages
// against the functions defined here (module, name and number of
// parameters), so that the guest and wasihost cannot drift apart.
func TestGuestImports(t *testing.T) {
	known := map[[2]string]int{{ModuleWASI, "fd_close"}: 1} // plain WASI
	for _, list := range [][]Func{SockFuncs, SockExtFuncs, CryptoFuncs} {
		for _, f := range list {
			known[[2]string{f.Module, f.Name}] = f.Params
		}
	}
	seen := 0
	fset := token.NewFileSet()
	for _, dir := range guestDirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no Go files (%v)", dir, err)
		}
		for _, path := range files {
			f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range f.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok || fd.Doc == nil {
					continue
				}
				for _, c := range fd.Doc.List {
					rest, ok := strings.CutPrefix(c.Text, "//go:wasmimport ")
					if !ok {
						continue
					}
					mod, name, _ := strings.Cut(strings.TrimSpace(rest), " ")
					params := 0
					for _, p := range fd.Type.Params.List {
						params += max(1, len(p.Names))
					}
					want, ok := known[[2]string{mod, name}]
					switch {
					case !ok:
						t.Errorf("%s: %s imports %s.%s, which the ABI does not define", fset.Position(c.Pos()), fd.Name.Name, mod, name)
					case params != want:
						t.Errorf("%s: %s imports %s.%s with %d parameters, the ABI says %d", fset.Position(c.Pos()), fd.Name.Name, mod, name, params, want)
					case fd.Type.Results == nil || len(fd.Type.Results.List) != 1:
						t.Errorf("%s: %s.%s must return one errno", fset.Position(c.Pos()), mod, name)
					}
					seen++
				}
			}
		}
	}
	if seen < 15 {
		t.Errorf("found %d imports; the guest packages moved?", seen)
	}
}

// TestFuncLists checks that the lists hold every function once.
func TestFuncLists(t *testing.T) {
	mods := map[string]string{}
	for _, list := range [][]Func{SockFuncs, SockExtFuncs, CryptoFuncs} {
		for _, f := range list {
			if m, dup := mods[f.Name]; dup {
				t.Errorf("%s listed twice (%s, %s)", f.Name, m, f.Module)
			}
			mods[f.Name] = f.Module
			if f.Params < 1 || f.Params > 8 {
				t.Errorf("%s: %d parameters", f.Name, f.Params)
			}
		}
	}
}
