package quicwire

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestVarintRFCExamples checks RFC 9000 Appendix A.1.
func TestVarintRFCExamples(t *testing.T) {
	tests := []struct {
		hex     string
		v       uint64
		minimal bool
	}{
		{"c2197c5eff14e88c", 151288809941952652, true},
		{"9d7f3e7d", 494878333, true},
		{"7bbd", 15293, true},
		{"25", 37, true},
		{"4025", 37, false},
	}
	for _, tt := range tests {
		b := mustHex(t, tt.hex)
		v, n, err := ParseVarint(b)
		if err != nil || v != tt.v || n != len(b) {
			t.Errorf("ParseVarint(%s) = %d, %d, %v; want %d, %d", tt.hex, v, n, err, tt.v, len(b))
		}
		if !tt.minimal {
			continue
		}
		if got := AppendVarint(nil, tt.v); !bytes.Equal(got, b) {
			t.Errorf("AppendVarint(%d) = %x, want %s", tt.v, got, tt.hex)
		}
		if VarintLen(tt.v) != len(b) {
			t.Errorf("VarintLen(%d) = %d, want %d", tt.v, VarintLen(tt.v), len(b))
		}
	}
}

func TestVarintBoundaries(t *testing.T) {
	tests := []struct {
		v uint64
		n int
	}{
		{0, 1}, {63, 1}, {64, 2}, {16383, 2}, {16384, 4},
		{1<<30 - 1, 4}, {1 << 30, 8}, {MaxVarint, 8},
	}
	for _, tt := range tests {
		b := AppendVarint([]byte{0xaa}, tt.v)
		if len(b) != 1+tt.n || VarintLen(tt.v) != tt.n {
			t.Errorf("%d: encoded %d bytes, VarintLen %d; want %d", tt.v, len(b)-1, VarintLen(tt.v), tt.n)
		}
		v, n, err := ParseVarint(b[1:])
		if err != nil || v != tt.v || n != tt.n {
			t.Errorf("%d: parsed %d, %d, %v", tt.v, v, n, err)
		}
		// Every forced length that can hold v must decode to v.
		for _, l := range []int{1, 2, 4, 8} {
			if tt.v > maxForVarintLen(l) {
				continue
			}
			fb := AppendVarintLen(nil, tt.v, l)
			v, n, err := ParseVarint(fb)
			if err != nil || v != tt.v || n != l {
				t.Errorf("forced %d/%d: parsed %d, %d, %v", tt.v, l, v, n, err)
			}
		}
	}
}

func TestVarintTruncated(t *testing.T) {
	for _, s := range []string{"", "40", "80ffff", "c0ffffffffffff"} {
		_, _, err := ParseVarint(mustHex(t, s))
		var te *TransportError
		if !errors.As(err, &te) || te.Code != FrameEncodingError {
			t.Errorf("ParseVarint(%q) error = %v, want FRAME_ENCODING_ERROR", s, err)
		}
	}
}

func TestVarintPanics(t *testing.T) {
	tests := []struct {
		name string
		f    func()
	}{
		{"AppendVarint too large", func() { AppendVarint(nil, MaxVarint+1) }},
		{"AppendVarintLen bad length", func() { AppendVarintLen(nil, 1, 3) }},
		{"AppendVarintLen too small", func() { AppendVarintLen(nil, 64, 1) }},
		{"PutVarintLen too small", func() { PutVarintLen(make([]byte, 2), 16384, 2) }},
	}
	for _, tt := range tests {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tt.name)
				}
			}()
			tt.f()
		}()
	}
}

func TestPutVarintLenPatch(t *testing.T) {
	b := AppendVarintLen([]byte{1}, 0, 2)
	PutVarintLen(b[1:], 1182, 2)
	if !bytes.Equal(b, []byte{1, 0x44, 0x9e}) {
		t.Errorf("patched = %x", b)
	}
}

func FuzzVarint(f *testing.F) {
	for _, s := range []string{"c2197c5eff14e88c", "9d7f3e7d", "7bbd", "25", "4025", "", "c0"} {
		f.Add(mustHex(f, s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, n, err := ParseVarint(b)
		if err != nil {
			return
		}
		if n > len(b) || v > MaxVarint || n < VarintLen(v) {
			t.Fatalf("ParseVarint(%x) = %d, %d", b, v, n)
		}
		enc := AppendVarintLen(nil, v, n)
		if !bytes.Equal(enc, b[:n]) {
			t.Fatalf("re-encoding %d in %d bytes = %x, input %x", v, n, enc, b[:n])
		}
		if v2, n2, _ := ParseVarint(AppendVarint(nil, v)); v2 != v || n2 != VarintLen(v) {
			t.Fatalf("minimal round trip of %d gave %d, %d", v, v2, n2)
		}
	})
}
