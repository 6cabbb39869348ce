package qpack_test

import (
	"testing"

	"github.com/h3wasi/h3wasi/qpack"
)

// encodeDelayedAcks encodes lists on streams 1, 2, ... for a decoder that
// receives each section and its encoder-stream bytes lag sections later (a
// round trip with lag requests in flight) and acknowledges at once. It
// checks that the encoder never counts more blocking streams than allowed,
// that the decoder accepts and decodes every section, and returns the
// number of bytes sent on the encoder stream and request streams.
func encodeDelayedAcks(t *testing.T, lists [][]qpack.HeaderField, size, blocked uint64, lag int) int {
	t.Helper()
	enc := qpack.NewEncoder(qpack.EncoderConfig{MaxTableCapacity: size, MaxBlockedStreams: blocked})
	dec := qpack.NewDecoder(qpack.DecoderConfig{MaxTableCapacity: size, MaxBlockedStreams: blocked})
	type flight struct {
		id      uint64
		es, sec []byte
	}
	var inFlight []flight
	got := make(map[uint64][]qpack.HeaderField, len(lists))
	deliver := func(f flight) {
		if err := dec.WriteEncoderStream(f.es); err != nil {
			t.Fatalf("encoder stream: %v", err)
		}
		for _, id := range dec.ReadyStreams(nil) {
			fields, err := dec.ResumeFieldSection(nil, id)
			if err != nil {
				t.Fatalf("stream %d resumed: %v", id, err)
			}
			got[id] = fields
		}
		fields, isBlocked, err := dec.DecodeFieldSection(nil, f.id, f.sec)
		if err != nil {
			t.Fatalf("stream %d: %v", f.id, err)
		}
		if !isBlocked {
			got[f.id] = fields
		}
		if err := enc.WriteDecoderStream(dec.AppendDecoderStream(nil)); err != nil {
			t.Fatalf("decoder stream: %v", err)
		}
	}
	total := 0
	for i, l := range lists {
		f := flight{id: uint64(i + 1)}
		f.sec = enc.EncodeFieldSection(nil, f.id, l)
		f.es = enc.AppendEncoderStream(nil)
		total += len(f.es) + len(f.sec)
		if n := enc.BlockingStreams(); uint64(n) > blocked {
			t.Fatalf("stream %d: %d blocking streams, limit %d", f.id, n, blocked)
		}
		inFlight = append(inFlight, f)
		if len(inFlight) > lag {
			deliver(inFlight[0])
			inFlight = inFlight[1:]
		}
	}
	for _, f := range inFlight {
		deliver(f)
	}
	for i, want := range lists {
		if g := got[uint64(i+1)]; len(g) != len(want) || !equalFields(g, want) {
			t.Fatalf("stream %d: got %v, want %v", i+1, g, want)
		}
	}
	return total
}

func equalFields(a, b []qpack.HeaderField) bool {
	for i := range a {
		if a[i].Name != b[i].Name || a[i].Value != b[i].Value {
			return false
		}
	}
	return len(a) == len(b)
}

// TestDelayedAcks round-trips corpus QIFs with acknowledgments that lag by
// a number of sections (never, for the last lag), so that the encoder runs
// out of blocked-stream slots and gets them back.
func TestDelayedAcks(t *testing.T) {
	names := []string{"netbsd", "fb-resp"}
	if !testing.Short() {
		names = append(names, "fb-req")
	}
	for _, name := range names {
		lists := loadQIF(t, name)
		for _, size := range []uint64{256, 4096} {
			for _, blocked := range []uint64{1, 4, 100} {
				for _, lag := range []int{1, 20, 200, len(lists)} {
					encodeDelayedAcks(t, lists, size, blocked, lag)
				}
			}
		}
	}
}
