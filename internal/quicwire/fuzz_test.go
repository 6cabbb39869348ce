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
