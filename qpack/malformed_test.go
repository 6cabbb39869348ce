package qpack

import (
	"errors"
	"strings"
	"testing"
)

// Malformed peer input: every case must fail with its RFC error code and
// never panic.

// smallTable is an encoder stream that sets capacity 64 and inserts a=b
// twice: the second insert evicts the first (each entry is 34 bytes).
const smallTable = "3f21 4161 0162 4161 0162"

func TestMalformedFieldSection(t *testing.T) {
	tests := []struct {
		name     string
		capacity uint64
		blocked  uint64
		encoder  string // encoder-stream bytes applied first
		section  string
	}{
		{"static index out of range", 220, 1, "", "0000 ff24"},
		{"static name index out of range", 220, 1, "", "0000 5f 54 0161"},
		{"dynamic index with empty table", 220, 1, "", "0000 80"},
		{"relative index beyond Base", 220, 1, b2Encoder, "0300 82"},
		{"post-base index at Required Insert Count", 220, 1, b2Encoder, "0380 11"},
		{"post-base index beyond Required Insert Count", 220, 1, b2Encoder, "0381 12"},
		{"reference to evicted entry", 220, 1, smallTable, "0300 81"},
		{"Required Insert Count larger than needed", 220, 1, b2Encoder, "0300 81"},
		{"encoded Required Insert Count out of range", 220, 1, "", "0d00"},
		{"Required Insert Count wraps to zero", 220, 1, "", "0100"},
		{"non-zero Required Insert Count with no table", 0, 1, "", "0200 80"},
		{"negative Base", 220, 1, b2Encoder, "0382 80"},
		{"too many blocked streams", 220, 0, "", "0200 80"},
		{"Huffman padding not all ones", 220, 1, "", "0000 51 81 00"},
		{"Huffman padding longer than 7 bits", 220, 1, "", "0000 51 82 1fff"},
		{"Huffman EOS", 220, 1, "", "0000 51 84 ffffffff"},
		{"integer overflow", 220, 1, "", "0000 ff ffffffffffffffffff 7f"},
		{"truncated prefix", 220, 1, "", "00"},
		{"truncated prefix integer", 220, 1, "", "ff"},
		{"truncated index", 220, 1, "", "0000 ff"},
		{"truncated string", 220, 1, "", "0000 510b 2f69"},
		{"truncated literal name", 220, 1, "", "0000 2f"},
		{"string too long", 220, 1, "", "0000 51 7f ffff03"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDecoder(DecoderConfig{MaxTableCapacity: tt.capacity, MaxBlockedStreams: tt.blocked})
			if tt.encoder != "" {
				if err := d.WriteEncoderStream(unhex(t, tt.encoder)); err != nil {
					t.Fatal(err)
				}
			}
			_, blocked, err := d.DecodeFieldSection(nil, 4, unhex(t, tt.section))
			if !errors.Is(err, ErrDecompressionFailed) {
				t.Fatalf("blocked=%v err=%v, want QPACK_DECOMPRESSION_FAILED", blocked, err)
			}
			var qe *Error
			if !errors.As(err, &qe) || qe.Code != 0x200 {
				t.Fatalf("error %v has no code 0x200", err)
			}
		})
	}
}

func TestMalformedEncoderStream(t *testing.T) {
	long := "4161 7f" + strings.Repeat("61", 0) // value length prefix only
	tests := []struct {
		name      string
		maxString uint64
		stream    string
	}{
		{"capacity above maximum", 0, "3fbe01"},
		{"insert larger than capacity", 0, "3f01 4161 0162"},
		{"insert with no capacity", 0, "4161 0162"},
		{"static name index out of range", 0, "3fbd01 ff24 0161"},
		{"dynamic name reference on empty table", 0, "3fbd01 80 0161"},
		{"dynamic name reference beyond insert count", 0, "3fbd01 4161 0162 81 0161"},
		{"duplicate of evicted entry", 0, smallTable + " 01"},
		{"duplicate beyond insert count", 0, "3fbd01 05"},
		{"integer overflow", 0, "3f ffffffffffffffffff 01"},
		{"Huffman EOS in value", 0, "3fbd01 4161 84 ffffffff"},
		{"Huffman padding in name", 0, "3fbd01 61 00 0162"},
		{"string longer than the limit", 16, "3fbd01 " + long + "ff01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDecoder(DecoderConfig{MaxTableCapacity: 220, MaxStringLength: tt.maxString})
			err := d.WriteEncoderStream(unhex(t, tt.stream))
			if !errors.Is(err, ErrEncoderStream) {
				t.Fatalf("err=%v, want QPACK_ENCODER_STREAM_ERROR", err)
			}
		})
	}
}

func TestMalformedDecoderStream(t *testing.T) {
	tests := []struct {
		name   string
		setup  bool // encode one section with a dynamic reference on stream 4
		stream string
	}{
		{"Section Acknowledgment for unknown stream", false, "84"},
		{"Section Acknowledgment twice", true, "84 84"},
		{"Insert Count Increment of zero", false, "00"},
		{"Insert Count Increment beyond inserts", false, "01"},
		{"Insert Count Increment beyond inserts after some", true, "02"},
		{"integer overflow", false, "3f ffffffffffffffffff 01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := NewEncoder(EncoderConfig{MaxTableCapacity: 220, MaxBlockedStreams: 1})
			if tt.setup {
				e.EncodeFieldSection(nil, 4, []HeaderField{hf("x-custom", "value")})
				if e.InsertCount() != 1 {
					t.Fatalf("insert count %d", e.InsertCount())
				}
			}
			err := e.WriteDecoderStream(unhex(t, tt.stream))
			if !errors.Is(err, ErrDecoderStream) {
				t.Fatalf("err=%v, want QPACK_DECODER_STREAM_ERROR", err)
			}
		})
	}
}

// TestStreamsSplitAnywhere feeds the encoder and decoder streams one byte at
// a time: instructions split across reads must be buffered, not rejected.
func TestStreamsSplitAnywhere(t *testing.T) {
	d := NewDecoder(DecoderConfig{MaxTableCapacity: 220, MaxBlockedStreams: 2})
	for _, b := range unhex(t, b2Encoder+b3Encoder) {
		if err := d.WriteEncoderStream([]byte{b}); err != nil {
			t.Fatal(err)
		}
	}
	if d.InsertCount() != 3 {
		t.Fatalf("insert count %d", d.InsertCount())
	}
	e := NewEncoder(EncoderConfig{MaxTableCapacity: 220, MaxBlockedStreams: 2})
	sec := e.EncodeFieldSection(nil, 1000, []HeaderField{hf("x-custom", "value")})
	ack := appendInt(nil, 0x80, 7, 1000) // two bytes
	for _, b := range ack {
		if err := e.WriteDecoderStream([]byte{b}); err != nil {
			t.Fatal(err)
		}
	}
	if len(sec) == 0 || e.KnownReceivedCount() != 1 {
		t.Fatalf("KRC %d", e.KnownReceivedCount())
	}
}

func TestFieldSectionTooLarge(t *testing.T) {
	d := NewDecoder(DecoderConfig{MaxFieldSectionSize: 40})
	sec := unhex(t, b1Section) // :path=/index.html, 48 bytes
	fields, _, err := d.DecodeFieldSection(nil, 0, sec)
	if err != ErrFieldSectionTooLarge || len(fields) != 0 {
		t.Fatalf("fields %v err %v", fields, err)
	}
}

func TestBlockedBytesLimit(t *testing.T) {
	d := NewDecoder(DecoderConfig{MaxTableCapacity: 220, MaxBlockedStreams: 10, MaxBlockedBytes: 4})
	if _, _, err := d.DecodeFieldSection(nil, 4, unhex(t, "0200 80")); err != nil {
		t.Fatal(err)
	}
	_, _, err := d.DecodeFieldSection(nil, 8, unhex(t, "0200 80"))
	if !errors.Is(err, ErrDecompressionFailed) {
		t.Fatalf("err %v", err)
	}
}
