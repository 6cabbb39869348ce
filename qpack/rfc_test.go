package qpack

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
)

// unhex decodes the hex dumps of RFC 9204 Appendix B (spaces ignored).
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The byte strings of RFC 9204 Appendix B.
const (
	b1Section   = "0000 510b 2f69 6e64 6578 2e68 746d 6c"
	b2Encoder   = "3fbd01 c00f 7777 772e 6578 616d 706c 652e 636f 6d c10c 2f73 616d 706c 652f 7061 7468"
	b2Section   = "0381 10 11"
	b2Decoder   = "84"
	b3Encoder   = "4a63 7573 746f 6d2d 6b65 790c 6375 7374 6f6d 2d76 616c 7565"
	b3Decoder   = "01"
	b4Encoder   = "02"
	b4Section   = "0500 80 c1 81"
	b4Decoder   = "48"
	b5Encoder   = "810d 6375 7374 6f6d 2d76 616c 7565 32"
	b5TableSize = 215
)

func hf(name, value string) HeaderField { return HeaderField{Name: name, Value: value} }

// TestRFCAppendixBDecoder feeds the Appendix B exchange to a Decoder and
// checks the decoded fields and every decoder-stream byte.
func TestRFCAppendixBDecoder(t *testing.T) {
	d := NewDecoder(DecoderConfig{MaxTableCapacity: 220, MaxBlockedStreams: 2})
	decode := func(stream uint64, sec string, want []HeaderField) {
		t.Helper()
		got, blocked, err := d.DecodeFieldSection(nil, stream, unhex(t, sec))
		if err != nil || blocked {
			t.Fatalf("stream %d: blocked=%v err=%v", stream, blocked, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("stream %d: got %v want %v", stream, got, want)
		}
	}
	expectDecoderStream := func(want string) {
		t.Helper()
		if got := d.AppendDecoderStream(nil); !bytes.Equal(got, unhex(t, want)) {
			t.Fatalf("decoder stream %x, want %s", got, want)
		}
	}
	// B.1
	decode(0, b1Section, []HeaderField{hf(":path", "/index.html")})
	expectDecoderStream("")
	// B.2
	if err := d.WriteEncoderStream(unhex(t, b2Encoder)); err != nil {
		t.Fatal(err)
	}
	decode(4, b2Section, []HeaderField{hf(":authority", "www.example.com"), hf(":path", "/sample/path")})
	expectDecoderStream(b2Decoder)
	// B.3
	if err := d.WriteEncoderStream(unhex(t, b3Encoder)); err != nil {
		t.Fatal(err)
	}
	expectDecoderStream(b3Decoder)
	// B.4: the section arrives before the Duplicate and blocks; the stream
	// is then cancelled.
	_, blocked, err := d.DecodeFieldSection(nil, 8, unhex(t, b4Section))
	if err != nil || !blocked {
		t.Fatalf("B.4 section: blocked=%v err=%v", blocked, err)
	}
	d.CancelStream(8)
	expectDecoderStream(b4Decoder)
	if err := d.WriteEncoderStream(unhex(t, b4Encoder)); err != nil {
		t.Fatal(err)
	}
	if r := d.ReadyStreams(nil); len(r) != 0 {
		t.Fatalf("cancelled stream reported ready: %v", r)
	}
	// The same section, now decodable.
	decode(8, b4Section, []HeaderField{hf(":authority", "www.example.com"), hf(":path", "/"), hf("custom-key", "custom-value")})
	// B.5
	if err := d.WriteEncoderStream(unhex(t, b5Encoder)); err != nil {
		t.Fatal(err)
	}
	if size, _ := d.TableSize(); size != b5TableSize || d.InsertCount() != 5 {
		t.Fatalf("table size %d inserts %d", size, d.InsertCount())
	}
}

// TestRFCAppendixBEncoder reproduces the encoder side of Appendix B byte
// for byte: instructions, field sections, and handling of the decoder's
// instructions (acknowledgment, increment, cancellation).
func TestRFCAppendixBEncoder(t *testing.T) {
	e := NewEncoder(EncoderConfig{MaxTableCapacity: 220, MaxBlockedStreams: 2, DisableHuffman: true})
	check := func(what string, got []byte, want string) {
		t.Helper()
		if !bytes.Equal(got, unhex(t, want)) {
			t.Fatalf("%s: got %x want %s", what, got, want)
		}
	}
	// B.1: no dynamic table use for a unique :path.
	check("B.1 section", e.EncodeFieldSection(nil, 0, []HeaderField{hf(":path", "/index.html")}), b1Section)
	check("B.1 encoder", e.AppendEncoderStream(nil), "")
	// B.2: two inserts, then a section referencing them with post-base
	// indexes.
	st := &sectionState{streamID: 4, canRef: true, canBlock: true}
	for _, f := range []HeaderField{hf(":authority", "www.example.com"), hf(":path", "/sample/path")} {
		if _, ok := e.insert(st, &f); !ok {
			t.Fatal("insert refused")
		}
	}
	check("B.2 encoder", e.AppendEncoderStream(nil), b2Encoder)
	sec := e.EncodeFieldSection(nil, 4, []HeaderField{hf(":authority", "www.example.com"), hf(":path", "/sample/path")})
	if len(sec) != 4 {
		t.Fatalf("B.2 section %x: want 4 bytes", sec)
	}
	e.reps = []rep{{kind: repDynamic, idx: 0}, {kind: repDynamic, idx: 1}}
	check("B.2 section (post-base)", e.appendReps(e.appendPrefix(nil, 2, 0), 0), b2Section)
	if e.BlockingStreams() != 1 {
		t.Fatalf("blocking streams %d", e.BlockingStreams())
	}
	if err := e.WriteDecoderStream(unhex(t, b2Decoder)); err != nil {
		t.Fatal(err)
	}
	if e.KnownReceivedCount() != 2 || e.BlockingStreams() != 0 {
		t.Fatalf("after ack: KRC %d blocking %d", e.KnownReceivedCount(), e.BlockingStreams())
	}
	// B.3: speculative insert with a literal name.
	if _, ok := e.insert(st, &HeaderField{Name: "custom-key", Value: "custom-value"}); !ok {
		t.Fatal("insert refused")
	}
	check("B.3 encoder", e.AppendEncoderStream(nil), b3Encoder)
	if err := e.WriteDecoderStream(unhex(t, b3Decoder)); err != nil {
		t.Fatal(err)
	}
	if e.KnownReceivedCount() != 3 {
		t.Fatalf("KRC %d", e.KnownReceivedCount())
	}
	// B.4: duplicate the oldest entry, which is draining, and reference it.
	if _, ok := e.duplicate(0); !ok {
		t.Fatal("duplicate refused")
	}
	check("B.4 encoder", e.AppendEncoderStream(nil), b4Encoder)
	check("B.4 section", e.EncodeFieldSection(nil, 8, []HeaderField{hf(":authority", "www.example.com"), hf(":path", "/"), hf("custom-key", "custom-value")}), b4Section)
	if e.table.get(2).refs != 1 || e.table.get(3).refs != 1 {
		t.Fatal("references not counted")
	}
	if err := e.WriteDecoderStream(unhex(t, b4Decoder)); err != nil {
		t.Fatal(err)
	}
	if e.table.get(2).refs != 0 || e.table.get(3).refs != 0 || e.BlockingStreams() != 0 {
		t.Fatal("cancellation did not release references")
	}
	// B.5: an insert with a dynamic name reference evicts entry 0.
	if _, ok := e.insert(st, &HeaderField{Name: "custom-key", Value: "custom-value2"}); !ok {
		t.Fatal("insert refused")
	}
	check("B.5 encoder", e.AppendEncoderStream(nil), b5Encoder)
	if e.table.size != b5TableSize || e.table.dropped != 1 {
		t.Fatalf("table size %d dropped %d", e.table.size, e.table.dropped)
	}
}

// TestRequiredInsertCountWrap checks the Required Insert Count encoding
// (RFC 9204 Section 4.5.1.1), including the RFC's example: with a 100-byte
// table (3 entries) and 10 inserts received, an encoded value of 4 means 9.
func TestRequiredInsertCountWrap(t *testing.T) {
	d := NewDecoder(DecoderConfig{MaxTableCapacity: 100})
	d.table.dropped = 10 // pretend 10 inserts were received and evicted
	if ric, err := d.decodeRIC(4); err != nil || ric != 9 {
		t.Fatalf("decodeRIC(4) = %d, %v; want 9", ric, err)
	}
	e := NewEncoder(EncoderConfig{MaxTableCapacity: 100})
	for inserts := uint64(0); inserts < 40; inserts++ {
		d.table.dropped = inserts
		// Every RIC a conformant encoder may send: up to MaxEntries
		// beyond what the decoder has (blocked), and any live entry.
		for ric := max(inserts, 3) - 3 + 1; ric <= inserts+3; ric++ {
			b := e.appendPrefix(nil, ric, ric)
			enc, _, _ := readInt(b, 8)
			got, err := d.decodeRIC(enc)
			if err != nil || got != ric {
				t.Fatalf("inserts %d: RIC %d encoded %d decoded %d, %v", inserts, ric, enc, got, err)
			}
		}
	}
}
