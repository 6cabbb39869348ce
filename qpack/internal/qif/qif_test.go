package qif

import (
	"strings"
	"testing"

	"github.com/h3wasi/h3wasi/qpack"
)

func TestParse(t *testing.T) {
	in := "# comment\r\n:method\tGET\r\nx-empty\t\nx-tab\ta\tb\n\n\n# between\nb\t2\n"
	lists, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := [][]qpack.HeaderField{
		{{Name: ":method", Value: "GET"}, {Name: "x-empty"}, {Name: "x-tab", Value: "a\tb"}},
		{{Name: "b", Value: "2"}},
	}
	if len(lists) != len(want) || !Equal(lists[0], want[0]) || !Equal(lists[1], want[1]) {
		t.Fatalf("got %v", lists)
	}
	if _, err := Parse(strings.NewReader("no tab here\n")); err == nil {
		t.Fatal("line without a tab accepted")
	}
	var b strings.Builder
	if err := Write(&b, want); err != nil {
		t.Fatal(err)
	}
	if b.String() != ":method\tGET\nx-empty\t\nx-tab\ta\tb\n\nb\t2\n\n" {
		t.Fatalf("Write: %q", b.String())
	}
}

func TestParseName(t *testing.T) {
	tests := []struct {
		name string
		want Settings
		ok   bool
	}{
		{"fb-req.out.4096.100.1", Settings{4096, 100, 1}, true},
		{"x/netbsd-hq.out.0.0.0", Settings{0, 0, 0}, true},
		{"draft-examples.out", Settings{}, false},
		{"a.out.1.2", Settings{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseName(tt.name)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("%s: %v %v", tt.name, got, ok)
		}
	}
}

func TestBlocks(t *testing.T) {
	b := AppendBlock(nil, 0, []byte{1, 2})
	b = AppendBlock(b, 7, nil)
	blocks, err := ReadBlocks(b)
	if err != nil || len(blocks) != 2 || blocks[1].StreamID != 7 || len(blocks[0].Data) != 2 {
		t.Fatalf("%v %v", blocks, err)
	}
	for _, bad := range [][]byte{b[:5], b[:13]} {
		if _, err := ReadBlocks(bad); err == nil {
			t.Errorf("truncated %x accepted", bad)
		}
	}
}

func TestEncodeDecode(t *testing.T) {
	lists := [][]qpack.HeaderField{
		{{Name: ":method", Value: "GET"}, {Name: "x-a", Value: "1"}},
		{{Name: ":method", Value: "GET"}, {Name: "x-a", Value: "1"}},
	}
	for _, s := range []Settings{{0, 0, 0}, {256, 0, 1}, {256, 10, 0}} {
		data, err := Encode(lists, s)
		if err != nil {
			t.Fatal(err)
		}
		got, ids, err := Decode(data, s)
		if err != nil || len(got) != 2 || !Equal(got[1], lists[1]) || ids[1] != 2 {
			t.Fatalf("%v: %v %v %v", s, got, ids, err)
		}
	}
	if _, _, err := Decode([]byte{0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0xff}, Settings{}); err == nil {
		t.Fatal("bad section accepted")
	}
}
