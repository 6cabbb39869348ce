package quicwire

import (
	"bytes"
	"reflect"
	"testing"
)

func FuzzFrames(f *testing.F) {
	var all []byte
	for _, fr := range sampleFrames() {
		b := fr.Append(nil)
		f.Add(b)
		all = fr.Append(all)
	}
	f.Add(all)
	// RFC 9001 Appendix A.3: the server Initial payload (ACK + CRYPTO).
	f.Add(mustHex(f, rfc9001ServerPayload))
	f.Add(append(mustHex(f, rfc9001ClientCrypto), make([]byte, 900)...))
	f.Fuzz(func(t *testing.T, payload []byte) {
		// A packet payload is at most ~1500 bytes; longer inputs only make
		// each run (and the fuzzer's minimization) slower.
		if len(payload) > 1500 {
			return
		}
		for len(payload) > 0 {
			fr, n, err := parseAny(payload)
			if err != nil {
				return
			}
			if n <= 0 || n > len(payload) {
				t.Fatalf("consumed %d of %d", n, len(payload))
			}
			enc := fr.Append(nil)
			if len(enc) != fr.Len() {
				t.Fatalf("%#v: Len %d, encoded %d", fr, fr.Len(), len(enc))
			}
			again, m, err := parseAny(enc)
			if err != nil || m != len(enc) {
				t.Fatalf("%#v: re-parse of %x: %d, %v", fr, enc, m, err)
			}
			if !reflect.DeepEqual(again, fr) {
				t.Fatalf("round trip:\n got %#v\nwant %#v", again, fr)
			}
			payload = payload[n:]
		}
	})
}

func FuzzHeader(f *testing.F) {
	client := append(mustHex(f, rfc9001ClientInitialHeader), make([]byte, 1182-4)...)
	f.Add(client, 8)
	f.Add(append(mustHex(f, rfc9001ServerInitialHeader), make([]byte, 0x75-2)...), 0)
	f.Add(mustHex(f, rfc9001Retry), 0)
	f.Add(AppendVersionNegotiation(nil, []byte{1}, []byte{2, 3}, []uint32{Version1, Version2}, 0), 0)
	f.Add(mustHex(f, "4200bff401"), 0)
	f.Add(append(mustHex(f, "d36b3343cf088394c8f03e5157080000449e00000002"), make([]byte, 1182-4)...), 0)
	f.Add(mustHex(f, "cf6b3343cf0008f067a5502a4262b5746f6b656ec8646ce8bfe33952d955543665dcc7b6"), 0)
	hs, lo, _ := AppendLongHeader(nil, PacketHandshake, Version2, []byte{1, 2, 3, 4}, []byte{5}, nil, 7, 2)
	PatchLength(hs, lo, 2)
	f.Add(hs, 4)
	f.Fuzz(func(t *testing.T, b []byte, cidLen int) {
		h, err := ParseHeader(b, cidLen)
		if err != nil {
			return
		}
		if h.End > len(b) || h.PNOffset > h.End {
			t.Fatalf("offsets out of range: %+v for %d bytes", h, len(b))
		}
		dcid, err := PeekDstConnID(b, cidLen)
		if err != nil || !bytes.Equal(dcid, h.DstConnID) {
			t.Fatalf("PeekDstConnID = %x, %v; header says %x", dcid, err, h.DstConnID)
		}
		switch h.Type {
		case PacketInitial, Packet0RTT, PacketHandshake:
			checkLongReencode(t, h)
		}
	})
}

// checkLongReencode encodes a parsed long header again and parses it back.
func checkLongReencode(t *testing.T, h Header) {
	if h.Length > MaxPatchedLength {
		return
	}
	pnLen := int(h.FirstByte&3) + 1
	b, lenOff, pnOff := AppendLongHeader(nil, h.Type, h.Version, h.DstConnID, h.SrcConnID, h.Token, 0, pnLen)
	body := int(h.Length)
	if body < pnLen {
		body = pnLen
	}
	b = append(b, make([]byte, body-pnLen)...)
	PatchLength(b, lenOff, body)
	h2, err := ParseLongHeader(b)
	if err != nil {
		t.Fatalf("re-parse of %x: %v", b, err)
	}
	if h2.Type != h.Type || h2.Version != h.Version || !bytes.Equal(h2.DstConnID, h.DstConnID) ||
		!bytes.Equal(h2.SrcConnID, h.SrcConnID) || !bytes.Equal(h2.Token, h.Token) ||
		h2.PNOffset != pnOff || h2.End != len(b) {
		t.Fatalf("re-encode mismatch: %+v vs %+v", h2, h)
	}
}

// FuzzStreamFrameEncode drives the STREAM encoder with arbitrary field values:
// Len must match Append, parsing must give the frame back, and MaxDataLen
// must be exact.
func FuzzStreamFrameEncode(f *testing.F) {
	f.Add(uint64(4), uint64(0), uint16(12), false, false, 1200)
	f.Add(uint64(1<<40), uint64(1<<50), uint16(0), true, true, 20)
	f.Add(uint64(MaxVarint), uint64(MaxVarint-100), uint16(100), true, false, 16384)
	data := make([]byte, 1<<16)
	f.Fuzz(func(t *testing.T, id, off uint64, n uint16, fin, omit bool, space int) {
		id, off = id&MaxVarint, off&MaxVarint
		if off+uint64(n) > MaxVarint {
			return
		}
		fr := StreamFrame{StreamID: id, Offset: off, Data: data[:n], Fin: fin, OmitLength: omit}
		enc := fr.Append(nil)
		if len(enc) != fr.Len() {
			t.Fatalf("%+v: Len %d, encoded %d", fr, fr.Len(), len(enc))
		}
		got, m, err := ParseStreamFrame(enc)
		if err != nil || m != len(enc) || got.StreamID != id || got.Offset != off || len(got.Data) != int(n) ||
			got.Fin != fin || got.OmitLength != omit {
			t.Fatalf("%+v: parsed %+v, %d, %v", fr, got, m, err)
		}
		if space < 0 || space > 1<<17 {
			return
		}
		max := fr.MaxDataLen(space)
		if max < 0 {
			fr.Data = nil
			if fr.Len() <= space {
				t.Fatalf("space %d: MaxDataLen -1 but an empty frame fits", space)
			}
			return
		}
		big := make([]byte, max+1)
		fr.Data = big[:max]
		if fr.Len() > space {
			t.Fatalf("space %d: %d bytes give Len %d", space, max, fr.Len())
		}
		fr.Data = big
		if fr.Len() <= space {
			t.Fatalf("space %d: %d bytes still fit", space, max+1)
		}
	})
}

// FuzzAckFrameEncode builds ACK frames from arbitrary gap and length lists.
func FuzzAckFrameEncode(f *testing.F) {
	f.Add(uint64(1000), []byte{3, 0, 5, 1, 200, 7}, uint64(25), true)
	f.Add(uint64(MaxVarint), []byte{255, 255, 255, 255}, uint64(0), false)
	f.Fuzz(func(t *testing.T, largest uint64, steps []byte, delay uint64, ecn bool) {
		largest &= MaxVarint
		delay &= MaxVarint
		// Each pair of bytes is a (length, gap) to the next range, scaled
		// so that ranges reach both small and large varint sizes.
		var ranges []AckRange
		hi := largest
		for i := 0; ; i += 2 {
			length := uint64(0)
			if i < len(steps) {
				length = uint64(steps[i]) << (steps[i] % 32)
			}
			if length > hi {
				length = hi
			}
			ranges = append(ranges, AckRange{Smallest: hi - length, Largest: hi})
			if i+1 >= len(steps) {
				break
			}
			gap := uint64(steps[i+1]) << (steps[i+1] % 24)
			lo := hi - length
			if lo < gap+2 {
				break
			}
			hi = lo - gap - 2
		}
		fr := AckFrame{Ranges: ranges, AckDelay: delay, HasECN: ecn}
		if ecn {
			fr.ECT0, fr.ECT1, fr.ECNCE = largest, delay, 1
		}
		enc := fr.Append(nil)
		if len(enc) != fr.Len() {
			t.Fatalf("Len %d, encoded %d", fr.Len(), len(enc))
		}
		got, n, err := ParseAckFrame(enc, nil)
		if err != nil || n != len(enc) || !reflect.DeepEqual(got, fr) {
			t.Fatalf("round trip of %+v: %+v, %d, %v", fr, got, n, err)
		}
	})
}
