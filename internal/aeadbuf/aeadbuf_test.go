package aeadbuf

import "testing"

func TestOverlap(t *testing.T) {
	b := make([]byte, 32)
	for _, tc := range []struct {
		name         string
		x, y         []byte
		any, inexact bool
	}{
		{"same", b[:16], b[:16], true, false},
		{"shifted", b[:16], b[1:17], true, true},
		{"adjacent", b[:16], b[16:], false, false},
		{"last byte", b[:16], b[15:20], true, true},
		{"empty", b[:0], b[:16], false, false},
		{"apart", b[:8], make([]byte, 8), false, false},
	} {
		if got := AnyOverlap(tc.x, tc.y); got != tc.any {
			t.Errorf("%s: AnyOverlap = %v", tc.name, got)
		}
		if got := InexactOverlap(tc.x, tc.y); got != tc.inexact {
			t.Errorf("%s: InexactOverlap = %v", tc.name, got)
		}
	}
}

func TestSliceForAppend(t *testing.T) {
	in := make([]byte, 3, 10)
	head, tail := SliceForAppend(in, 5)
	if len(head) != 8 || len(tail) != 5 || &head[0] != &in[0] {
		t.Fatalf("with room: head %d, tail %d, reallocated %v", len(head), len(tail), &head[0] != &in[0])
	}
	head, tail = SliceForAppend(in, 20)
	if len(head) != 23 || len(tail) != 20 || &head[0] == &in[0] {
		t.Fatalf("without room: head %d, tail %d", len(head), len(tail))
	}
}
