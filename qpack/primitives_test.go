package qpack

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// RFC 7541 Appendix C.4 Huffman examples, plus the edge symbols.
func TestHuffman(t *testing.T) {
	tests := []struct{ in, hex string }{
		{"www.example.com", "f1e3c2e5f23a6ba0ab90f4ff"},
		{"no-cache", "a8eb10649cbf"},
		{"custom-key", "25a849e95ba97d7f"},
		{"custom-value", "25a849e95bb8e8b4bf"},
		{"302", "6402"},
		{"private", "aec3771a4b"},
		{"Mon, 21 Oct 2013 20:13:21 GMT", "d07abe941054d444a8200595040b8166e082a62d1bff"},
		{"", ""},
	}
	for _, tt := range tests {
		enc := AppendHuffman(nil, tt.in)
		if hex.EncodeToString(enc) != tt.hex {
			t.Errorf("encode %q = %x, want %s", tt.in, enc, tt.hex)
		}
		if HuffmanEncodedLen(tt.in) != len(enc) {
			t.Errorf("len %q = %d, want %d", tt.in, HuffmanEncodedLen(tt.in), len(enc))
		}
		dec, err := AppendHuffmanDecode(nil, enc)
		if err != nil || string(dec) != tt.in {
			t.Errorf("decode %x = %q, %v", enc, dec, err)
		}
	}
	// Every byte value, including the 30-bit codes.
	var all []byte
	for i := 0; i < 256; i++ {
		all = append(all, byte(i))
	}
	dec, err := AppendHuffmanDecode(nil, AppendHuffman(nil, string(all)))
	if err != nil || !bytes.Equal(dec, all) {
		t.Fatalf("all bytes: %v", err)
	}
}

func TestHuffmanInvalid(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		want error
	}{
		{"padding of zeros", "00", errHuffmanPadding},             // '0' (5 bits) + 000
		{"padding longer than 7 bits", "1fff", errHuffmanPadding}, // "0" (5 bits), then 11 ones
		{"EOS", "ffffffff", errHuffmanEOS},                        // 30 ones
		{"EOS after a symbol", "1fffffffff", errHuffmanEOS},       // '0' then ones
		{"truncated code", "fe", errHuffmanPadding},               // an unfinished 10-bit code
	}
	for _, tt := range tests {
		b, _ := hex.DecodeString(tt.hex)
		_, err := AppendHuffmanDecode(nil, b)
		if err != tt.want {
			t.Errorf("%s: err %v, want %v", tt.name, err, tt.want)
		}
		if !errors.Is(err, ErrDecompressionFailed) {
			t.Errorf("%s: not a decompression failure", tt.name)
		}
	}
}

// RFC 7541 Appendix C.1 integer examples, and limits.
func TestPrefixedInt(t *testing.T) {
	tests := []struct {
		v      uint64
		prefix uint8
		hex    string
	}{
		{10, 5, "0a"},
		{1337, 5, "1f9a0a"},
		{42, 8, "2a"},
		{30, 5, "1e"},
		{31, 5, "1f00"},
		{127, 7, "7f00"},
		{maxInt, 8, "ff80feffffffffffff3f"},
	}
	for _, tt := range tests {
		b := appendInt(nil, 0, tt.prefix, tt.v)
		if hex.EncodeToString(b) != tt.hex {
			t.Errorf("encode %d/%d = %x, want %s", tt.v, tt.prefix, b, tt.hex)
		}
		if intLen(tt.prefix, tt.v) != len(b) {
			t.Errorf("intLen %d/%d = %d, want %d", tt.v, tt.prefix, intLen(tt.prefix, tt.v), len(b))
		}
		v, n, err := readInt(b, tt.prefix)
		if err != nil || v != tt.v || n != len(b) {
			t.Errorf("decode %x = %d, %d, %v", b, v, n, err)
		}
		if _, _, err := readInt(b[:len(b)-1], tt.prefix); len(b) > 1 && err != errNeedMore {
			t.Errorf("truncated %x: %v", b, err)
		}
	}
	for _, bad := range []string{"ff80808080808080808001", "ffffffffffffffffff7f", "ff808080808080808040"} {
		b, _ := hex.DecodeString(bad)
		if _, _, err := readInt(b, 8); err != errIntOverflow {
			t.Errorf("%s: err %v, want overflow", bad, err)
		}
	}
}

func TestStringLiteral(t *testing.T) {
	for _, s := range []string{"", "a", "www.example.com", strings.Repeat("\xff", 40)} {
		b := appendString(nil, 0, 7, s)
		if len(b) != stringLen(7, s) {
			t.Errorf("%q: len %d, stringLen %d", s, len(b), stringLen(7, s))
		}
		raw, huff, n, err := readString(b, 7, 1<<20)
		if err != nil || n != len(b) {
			t.Fatalf("%q: %v", s, err)
		}
		got, err := decodeString(nil, raw, huff)
		if err != nil || string(got) != s {
			t.Errorf("%q: got %q %v", s, got, err)
		}
		// Huffman is used only when strictly shorter.
		if huff != (HuffmanEncodedLen(s) < len(s)) {
			t.Errorf("%q: huff=%v", s, huff)
		}
	}
}

func TestStaticTable(t *testing.T) {
	if StaticTableLen != 99 {
		t.Fatalf("static table has %d entries", StaticTableLen)
	}
	for _, tt := range []struct {
		i           uint64
		name, value string
	}{{0, ":authority", ""}, {17, ":method", "GET"}, {31, "accept-encoding", "gzip, deflate, br"},
		{85, "content-security-policy", "script-src 'none'; object-src 'none'; base-uri 'none'"},
		{98, "x-frame-options", "sameorigin"}} {
		n, v, ok := StaticEntry(tt.i)
		if !ok || n != tt.name || v != tt.value {
			t.Errorf("entry %d = %q %q", tt.i, n, v)
		}
	}
	if _, _, ok := StaticEntry(99); ok {
		t.Error("entry 99 exists")
	}
}

// TestSensitiveNeverIndexed checks that sensitive fields are sent as
// never-indexed literals, never inserted, and reported as sensitive.
func TestSensitiveNeverIndexed(t *testing.T) {
	e := NewEncoder(EncoderConfig{MaxTableCapacity: 4096, MaxBlockedStreams: 10})
	d := NewDecoder(DecoderConfig{MaxTableCapacity: 4096, MaxBlockedStreams: 10})
	fields := []HeaderField{
		{Name: "authorization", Value: "Basic dXNlcjpwYXNz"},
		{Name: "cookie", Value: "id=42"},
		{Name: "x-secret", Value: "s3cr3t", Sensitive: true},
		{Name: "cookie", Value: "long-session-cookie-value=0123456789abcdef"},
	}
	for i := uint64(0); i < 3; i++ {
		sec := e.EncodeFieldSection(nil, i*4, fields)
		if err := d.WriteEncoderStream(e.AppendEncoderStream(nil)); err != nil {
			t.Fatal(err)
		}
		got, _, err := d.DecodeFieldSection(nil, i*4, sec)
		if err != nil {
			t.Fatal(err)
		}
		for j, want := range []bool{true, true, true, false} {
			if got[j].Sensitive != want || got[j].Value != fields[j].Value {
				t.Fatalf("field %d: %+v", j, got[j])
			}
		}
		if err := e.WriteDecoderStream(d.AppendDecoderStream(nil)); err != nil {
			t.Fatal(err)
		}
	}
	for abs := e.table.dropped; abs < e.table.insertCount(); abs++ {
		if n := e.table.get(abs).name; n != "cookie" {
			t.Fatalf("sensitive field %q inserted", n)
		}
	}
	if e.InsertCount() != 1 {
		t.Fatalf("%d inserts, want only the long cookie", e.InsertCount())
	}
}
