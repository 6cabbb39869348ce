package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // in stderr
	}{
		{nil, "usage: h3 <command>"},
		{[]string{"nope"}, `unknown command "nope"`},
		{[]string{"wasm"}, "usage: h3 wasm run"},
		{[]string{"wasm", "run"}, "usage: h3 wasm run"},
		{[]string{"wasm", "run", "--allow", "not-an-address", "m.wasm"}, "unable to parse IP"},
		{[]string{"wasm", "run", "--allow", "10.0.0.1:99999", "m.wasm"}, "bad port range"},
		{[]string{"wasm", "run", "--allow", "10.0.0.0/33", "m.wasm"}, "rule"},
		{[]string{"wasm", "run", "/nonexistent/m.wasm"}, "/nonexistent/m.wasm"},
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
