package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestDemo(t *testing.T) {
	var out bytes.Buffer
	if err := demo(&out); err != nil {
		if strings.Contains(err.Error(), "not implemented") || strings.Contains(err.Error(), "not supported") {
			t.Skipf("no UDP sockets here: %v", err)
		}
		t.Fatal(err)
	}
	want := `sent "hello", got "hello"`
	if !strings.Contains(out.String(), want) {
		t.Fatalf("demo printed %q, want it to contain %q", out.String(), want)
	}
	t.Log(out.String())
}
