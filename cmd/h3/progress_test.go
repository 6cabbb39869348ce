package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestProgressLines(t *testing.T) {
	for _, tc := range []struct {
		s    progressState
		want string
	}{
		{progressState{done: 0, total: 1 << 20, elapsed: 0},
			"  0.0% [>                             ]        0 B / 1.0 MiB           0 B/s  eta --:--:--"},
		{progressState{done: 512 << 10, total: 1 << 20, elapsed: time.Second},
			" 50.0% [===============>              ]  512.0 KiB / 1.0 MiB     512.0 KiB/s  eta 0:00:01"},
		{progressState{done: 1 << 20, total: 1 << 20, elapsed: 2 * time.Second},
			"100.0% [==============================]    1.0 MiB / 1.0 MiB     512.0 KiB/s  eta 0:00:00"},
		{progressState{done: 3 << 30, total: -1, elapsed: 3723 * time.Second},
			"   3.0 GiB   844.9 KiB/s  1:02:03"},
	} {
		if got := downloadMeterLine(tc.s); got != tc.want {
			t.Errorf("downloadMeterLine(%+v)\n got %q\nwant %q", tc.s, got, tc.want)
		}
	}
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 5 << 40: "5.0 TiB", 5000 << 40: "5000.0 TiB"} {
		if got := formatSize(n); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestProgressMeter draws, clears for other output, and ends with a newline; a
// nil meter does nothing.
func TestProgressMeter(t *testing.T) {
	var nilMeter *progressMeter
	nilMeter.addTotal(1)
	nilMeter.add(1)
	nilMeter.set(1)
	nilMeter.finish()
	ran := false
	nilMeter.above(func() { ran = true })
	if !ran {
		t.Error("a nil meter's above did not run f")
	}

	var out bytes.Buffer
	p := newProgressMeter(&out, func(s progressState) string { return strings.Repeat("#", int(s.done)) })
	p.addTotal(10)
	p.add(5) // the first add draws
	if out.String() != "\r#####" {
		t.Fatalf("after add: %q", out.String())
	}
	p.above(func() { out.WriteString("line\n") })
	if out.String() != "\r#####\r     \rline\n\r#####" {
		t.Fatalf("after above: %q", out.String())
	}
	out.Reset()
	p.set(3)
	p.finish()
	p.finish()
	p.add(1)
	// A shorter line is padded over the longer one.
	if got := out.String(); got != "\r###  \n" {
		t.Errorf("after finish: %q", got)
	}
}
