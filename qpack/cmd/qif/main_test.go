package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestEncodeDecode runs both subcommands on a corpus QIF and checks that
// the decoded QIF equals the input without its comments.
func TestEncodeDecode(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join("..", "..", "testdata", "interop", "qifs", "netbsd.qif")
	bin := filepath.Join(dir, "netbsd.out.256.100.0")
	out := filepath.Join(dir, "netbsd.qif")
	if err := encode([]string{"-table-size", "256", "-max-blocked", "100", in, bin}); err != nil {
		t.Fatal(err)
	}
	// decode takes its settings from the file name.
	if err := decode([]string{bin, out}); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	for _, line := range splitLines(src) {
		if len(line) > 0 && line[0] == '#' {
			continue
		}
		want = append(append(want, line...), '\n')
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("decoded QIF differs:\n%s", got)
	}
	// A file decoded at the wrong table size fails cleanly.
	if err := decode([]string{"-table-size", "0", bin, out}); err == nil {
		t.Fatal("decode with table size 0 succeeded")
	}
}

func splitLines(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		i := 0
		for i < len(b) && b[i] != '\n' {
			i++
		}
		out = append(out, b[:i])
		if i < len(b) {
			i++
		}
		b = b[i:]
	}
	return out
}
