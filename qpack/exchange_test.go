package qpack

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestRandomExchange runs an encoder and a decoder against each other with
// random header lists, random delivery delays of the encoder and decoder
// streams (so sections arrive before their inserts and block), random
// cancellations and random settings. Any encoder mistake (evicting an entry
// still needed, exceeding the blocked-streams limit, a wrong Required
// Insert Count) shows up as a decoder error or a wrong header list.
func TestRandomExchange(t *testing.T) {
	for seed := uint64(1); seed <= 24; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { randomExchange(t, seed) })
	}
}

func randomExchange(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x9204))
	capacity := []uint64{0, 100, 256, 1024, 4096}[rng.IntN(5)]
	blocked := uint64(rng.IntN(4))
	enc := NewEncoder(EncoderConfig{MaxTableCapacity: capacity, MaxBlockedStreams: blocked})
	dec := NewDecoder(DecoderConfig{MaxTableCapacity: capacity, MaxBlockedStreams: blocked})
	var encQ, decQ []byte // stream bytes in flight
	want := map[uint64][]HeaderField{}
	got := map[uint64][]HeaderField{}
	cancelled := map[uint64]bool{}
	blockedCount := 0
	deliverEnc := func(all bool) {
		n := len(encQ)
		if !all && n > 0 {
			n = rng.IntN(n + 1)
		}
		if err := dec.WriteEncoderStream(encQ[:n]); err != nil {
			t.Fatalf("encoder stream: %v", err)
		}
		encQ = encQ[n:]
		for _, id := range dec.ReadyStreams(nil) {
			f, err := dec.ResumeFieldSection(nil, id)
			if err != nil {
				t.Fatalf("stream %d resumed: %v", id, err)
			}
			got[id] = f
		}
	}
	for i := 0; i < 150; i++ {
		id := uint64(i) * 4
		fields := randomFields(rng)
		want[id] = fields
		sec := enc.EncodeFieldSection(nil, id, fields)
		encQ = enc.AppendEncoderStream(encQ)
		if rng.IntN(2) == 0 {
			deliverEnc(false)
		}
		f, isBlocked, err := dec.DecodeFieldSection(nil, id, sec)
		if err != nil {
			t.Fatalf("stream %d (capacity %d, blocked %d): %v", id, capacity, blocked, err)
		}
		if isBlocked {
			blockedCount++
		}
		if !isBlocked {
			got[id] = f
		} else if rng.IntN(8) == 0 {
			dec.CancelStream(id)
			cancelled[id] = true
		}
		decQ = dec.AppendDecoderStream(decQ)
		if n := rng.IntN(len(decQ) + 1); rng.IntN(3) > 0 {
			if err := enc.WriteDecoderStream(decQ[:n]); err != nil {
				t.Fatalf("decoder stream: %v", err)
			}
			decQ = decQ[n:]
		}
	}
	deliverEnc(true)
	if err := enc.WriteDecoderStream(append(decQ, dec.AppendDecoderStream(nil)...)); err != nil {
		t.Fatalf("decoder stream: %v", err)
	}
	for id, w := range want {
		if cancelled[id] {
			continue
		}
		if !reflect.DeepEqual(stripSensitive(got[id]), stripSensitive(w)) {
			t.Fatalf("stream %d: got %v want %v", id, got[id], w)
		}
	}
	t.Logf("capacity %d, blocked streams %d: %d sections blocked, %d inserts, %d evictions",
		capacity, blocked, blockedCount, enc.InsertCount(), enc.table.dropped)
	if enc.BlockingStreams() != 0 || enc.unacked != 0 {
		t.Fatalf("after all acknowledgments: %d blocking, %d unacked", enc.BlockingStreams(), enc.unacked)
	}
}

var randomNames = []string{":method", ":path", ":authority", "user-agent", "cookie", "x-trace", "accept", "authorization", "x-big", "content-type"}

func randomFields(rng *rand.Rand) []HeaderField {
	n := 1 + rng.IntN(8)
	out := make([]HeaderField, n)
	for i := range out {
		name := randomNames[rng.IntN(len(randomNames))]
		value := fmt.Sprintf("v%d", rng.IntN(12))
		if name == "x-big" {
			value = fmt.Sprintf("%0*d", 40+rng.IntN(60), rng.IntN(5))
		}
		out[i] = HeaderField{Name: name, Value: value, Sensitive: rng.IntN(20) == 0}
	}
	return out
}

func stripSensitive(fs []HeaderField) []HeaderField {
	out := make([]HeaderField, len(fs))
	for i, f := range fs {
		out[i] = HeaderField{Name: f.Name, Value: f.Value}
	}
	return out
}

// TestSetPeerSettings starts an encoder without the peer's SETTINGS, as an
// HTTP/3 client does, then applies them.
func TestSetPeerSettings(t *testing.T) {
	e := NewEncoder(EncoderConfig{})
	d := NewDecoder(DecoderConfig{MaxTableCapacity: 1024, MaxBlockedStreams: 4})
	fields := []HeaderField{hf("x-custom", "value"), hf(":authority", "example.com")}
	for id := uint64(0); id < 12; id += 4 {
		if id == 4 {
			if err := e.SetPeerSettings(EncoderConfig{MaxTableCapacity: 1024, MaxBlockedStreams: 4}); err != nil {
				t.Fatal(err)
			}
		}
		sec := e.EncodeFieldSection(nil, id, fields)
		if err := d.WriteEncoderStream(e.AppendEncoderStream(nil)); err != nil {
			t.Fatal(err)
		}
		got, _, err := d.DecodeFieldSection(nil, id, sec)
		if err != nil || !reflect.DeepEqual(got, fields) {
			t.Fatalf("stream %d: %v %v", id, got, err)
		}
	}
	if e.InsertCount() == 0 {
		t.Fatal("dynamic table unused after SETTINGS")
	}
	if err := e.SetPeerSettings(EncoderConfig{}); err == nil {
		t.Fatal("settings changed after the table was used")
	}
}
