package qpack

import (
	"strings"
	"testing"
)

// TestBlockedSlotPolicy checks how the encoder spends the peer's
// blocked-stream slots when no acknowledgment comes back: the first quarter
// freely, then only on sections that save enough through unacknowledged
// entries; once acknowledgments flow again, freely.
func TestBlockedSlotPolicy(t *testing.T) {
	e := NewEncoder(EncoderConfig{MaxTableCapacity: 4096, MaxBlockedStreams: 4})
	big := []HeaderField{
		{Name: "x-big-a", Value: strings.Repeat("a", 120)},
		{Name: "x-big-b", Value: strings.Repeat("b", 120)},
	}
	small := func(i int) []HeaderField {
		return []HeaderField{{Name: "x-small", Value: strings.Repeat("s", i+1)}}
	}
	encode := func(id uint64, fields []HeaderField) []byte {
		sec := e.EncodeFieldSection(nil, id, fields)
		e.AppendEncoderStream(nil)
		if uint64(e.BlockingStreams()) > e.cfg.MaxBlockedStreams {
			t.Fatalf("stream %d: %d blocking streams", id, e.BlockingStreams())
		}
		return sec
	}
	// Stream 0 inserts and references the big fields, then keeps sending
	// sections on the same stream (no new slot) until the quiet period
	// without acknowledgments is over.
	for i := 0; i <= slotQuietSections; i++ {
		encode(0, big)
	}
	if !e.slotsScarce() || e.BlockingStreams() != 1 {
		t.Fatalf("scarce %v, %d blocking", e.slotsScarce(), e.BlockingStreams())
	}
	encode(4, big) // second slot: saves a lot
	if e.BlockingStreams() != 2 {
		t.Fatalf("%d blocking streams after a high-saving section", e.BlockingStreams())
	}
	// A section whose only candidates are new fields would take the third
	// slot for nothing saved: it gets no dynamic references.
	if sec := encode(8, small(0)); sec[0] != 0 || e.BlockingStreams() != 2 {
		t.Fatalf("low-saving section took a slot: prefix %x, %d blocking", sec[:2], e.BlockingStreams())
	}
	encode(12, big)
	if e.BlockingStreams() != 3 {
		t.Fatalf("%d blocking streams after a second high-saving section", e.BlockingStreams())
	}
	// Acknowledgments arrive: slots come back and sections block freely.
	var ack []byte
	for i := 0; i <= slotQuietSections; i++ {
		ack = appendInt(ack, 0x80, 7, 0)
	}
	if err := e.WriteDecoderStream(ack); err != nil {
		t.Fatal(err)
	}
	if e.slotsScarce() {
		t.Fatal("slots still scarce after acknowledgments")
	}
	encode(16, small(1))
	encode(20, small(1)) // second sighting: inserted and referenced
	if !e.isBlocking(20) {
		t.Fatalf("section not blocking while slots are plentiful; blocking %v", e.blocking)
	}
}
