package quicwire

import (
	"bytes"
	"errors"
	"testing"
)

// rfc9001ClientInitialHeader is the unprotected header of RFC 9001 Appendix A.2.
const rfc9001ClientInitialHeader = "c300000001088394c8f03e5157080000449e00000002"

// rfc9001ServerInitialHeader is the unprotected header of RFC 9001 Appendix A.3.
const rfc9001ServerInitialHeader = "c1000000010008f067a5502a4262b50040750001"

// rfc9001Retry is the Retry packet of RFC 9001 Appendix A.4.
const rfc9001Retry = "ff000000010008f067a5502a4262b5746f6b656e04a265ba2eff4d829058fb3f0f2496ba"

func TestParseRFC9001ClientInitial(t *testing.T) {
	hdr := mustHex(t, rfc9001ClientInitialHeader)
	pkt := append(append([]byte{}, hdr...), make([]byte, 1182-4)...)
	h, err := ParseLongHeader(pkt)
	if err != nil {
		t.Fatal(err)
	}
	if h.Type != PacketInitial || h.Version != Version1 || h.FirstByte != 0xc3 {
		t.Errorf("type %v version %x first %x", h.Type, h.Version, h.FirstByte)
	}
	if !bytes.Equal(h.DstConnID, mustHex(t, "8394c8f03e515708")) || len(h.SrcConnID) != 0 || len(h.Token) != 0 {
		t.Errorf("dcid %x scid %x token %x", h.DstConnID, h.SrcConnID, h.Token)
	}
	if h.Length != 1182 || h.PNOffset != 18 || h.End != len(pkt) {
		t.Errorf("length %d pnOffset %d end %d", h.Length, h.PNOffset, h.End)
	}
	// Re-encode: AppendLongHeader writes the same bytes.
	b, lenOff, pnOff := AppendLongHeader(nil, PacketInitial, Version1, h.DstConnID, nil, nil, 2, 4)
	PatchLength(b, lenOff, 1182)
	if !bytes.Equal(b, hdr) || pnOff != 18 || lenOff != 16 {
		t.Errorf("AppendLongHeader = %x (len@%d pn@%d), want %x", b, lenOff, pnOff, hdr)
	}
	if n := LongHeaderLen(PacketInitial, h.DstConnID, nil, nil, 4); n != len(hdr) {
		t.Errorf("LongHeaderLen = %d, want %d", n, len(hdr))
	}
}

func TestParseRFC9001ServerInitial(t *testing.T) {
	hdr := mustHex(t, rfc9001ServerInitialHeader)
	pkt := append(append([]byte{}, hdr...), make([]byte, 0x75-2)...)
	h, err := ParseLongHeader(pkt)
	if err != nil {
		t.Fatal(err)
	}
	if h.Type != PacketInitial || len(h.DstConnID) != 0 || !bytes.Equal(h.SrcConnID, mustHex(t, "f067a5502a4262b5")) {
		t.Errorf("header %+v", h)
	}
	if h.Length != 0x75 || h.End != len(pkt) {
		t.Errorf("length %d end %d", h.Length, h.End)
	}
}

func TestParseRetry(t *testing.T) {
	pkt := mustHex(t, rfc9001Retry)
	h, err := ParseLongHeader(pkt)
	if err != nil {
		t.Fatal(err)
	}
	if h.Type != PacketRetry || string(h.Token) != "token" || len(h.RetryIntegrityTag) != 16 || h.End != len(pkt) {
		t.Errorf("retry header %+v", h)
	}
	b := AppendRetry(nil, Version1, nil, h.SrcConnID, h.Token, 0x0f)
	b = append(b, h.RetryIntegrityTag...)
	if !bytes.Equal(b, pkt) {
		t.Errorf("AppendRetry = %x, want %x", b, pkt)
	}
	pseudo := AppendRetryPseudoPacket(nil, mustHex(t, "8394c8f03e515708"), pkt[:len(pkt)-16])
	if pseudo[0] != 8 || len(pseudo) != 9+len(pkt)-16 {
		t.Errorf("pseudo-packet %x", pseudo)
	}
}

func TestVersionNegotiation(t *testing.T) {
	dcid, scid := []byte{1, 2, 3}, []byte{4, 5, 6, 7, 8}
	pkt := AppendVersionNegotiation(nil, dcid, scid, []uint32{Version2, Version1, 0x1a2a3a4a}, 0x7f)
	h, err := ParseLongHeader(pkt)
	if err != nil {
		t.Fatal(err)
	}
	if h.Type != PacketVersionNegotiation || h.Version != 0 || !bytes.Equal(h.DstConnID, dcid) || !bytes.Equal(h.SrcConnID, scid) {
		t.Errorf("VN header %+v", h)
	}
	if h.NumVersions() != 3 || h.VersionAt(0) != Version2 || h.VersionAt(1) != Version1 || h.VersionAt(2) != 0x1a2a3a4a {
		t.Errorf("versions %x", h.SupportedVersions)
	}
	for _, bad := range [][]byte{pkt[:len(pkt)-1], pkt[:len(pkt)-12]} {
		if _, err := ParseLongHeader(bad); err == nil {
			t.Errorf("malformed VN %x accepted", bad)
		}
	}
}

// TestLongHeaderRoundTrip covers every long-header type in v1 and v2.
func TestLongHeaderRoundTrip(t *testing.T) {
	dcid, scid, token := []byte{0xde, 0xad, 0xbe, 0xef}, []byte{1, 2, 3, 4, 5, 6, 7, 8}, []byte("tok")
	for _, version := range []uint32{Version1, Version2} {
		for _, typ := range []PacketType{PacketInitial, Packet0RTT, PacketHandshake} {
			for pnLen := 1; pnLen <= 4; pnLen++ {
				b, lenOff, pnOff := AppendLongHeader([]byte{0xff}, typ, version, dcid, scid, token, 0x01020304, pnLen)
				payload := 20
				b = append(b, make([]byte, payload)...)
				PatchLength(b, lenOff, pnLen+payload)
				coalesced := append(b, 0xc0, 0, 0) // junk after the packet
				h, err := ParseLongHeader(coalesced[1:])
				if err != nil {
					t.Fatalf("v%x %v pn%d: %v", version, typ, pnLen, err)
				}
				wantTok := []byte(nil)
				if typ == PacketInitial {
					wantTok = token
				}
				if h.Type != typ || h.Version != version || !bytes.Equal(h.DstConnID, dcid) || !bytes.Equal(h.SrcConnID, scid) ||
					!bytes.Equal(h.Token, wantTok) || h.PNOffset != pnOff-1 || h.End != len(b)-1 || int(h.FirstByte&3)+1 != pnLen {
					t.Errorf("v%x %v pn%d: got %+v (pnOff %d, len %d)", version, typ, pnLen, h, pnOff, len(b))
				}
				pn, ok := ReadPacketNumber(b[pnOff:], pnLen)
				if !ok || pn != 0x01020304&(1<<(8*pnLen)-1) {
					t.Errorf("packet number %x", pn)
				}
			}
		}
	}
}

func TestV2TypeBits(t *testing.T) {
	tests := []struct {
		typ  PacketType
		bits byte
	}{{PacketInitial, 1}, {Packet0RTT, 2}, {PacketHandshake, 3}, {PacketRetry, 0}}
	for _, tt := range tests {
		if got := longTypeBits(Version2, tt.typ); got != tt.bits {
			t.Errorf("v2 %v bits = %d, want %d", tt.typ, got, tt.bits)
		}
		if got := longTypeBits(Version1, tt.typ); got != byte(tt.typ-PacketInitial) {
			t.Errorf("v1 %v bits = %d", tt.typ, got)
		}
	}
}

func TestShortHeader(t *testing.T) {
	dcid := []byte{9, 8, 7, 6, 5, 4, 3, 2}
	b, pnOff := AppendShortHeader(nil, dcid, 654360564, 3, true, true)
	b = append(b, 1)
	if b[0] != 0x40|0x20|0x04|2 || pnOff != 9 {
		t.Errorf("first byte %x pnOff %d", b[0], pnOff)
	}
	h, err := ParseHeader(b, len(dcid))
	if err != nil {
		t.Fatal(err)
	}
	if h.Type != Packet1RTT || !bytes.Equal(h.DstConnID, dcid) || h.PNOffset != 9 || h.End != len(b) {
		t.Errorf("short header %+v", h)
	}
	// RFC 9001 Appendix A.5: empty DCID, 3-byte packet number.
	b, _ = AppendShortHeader(nil, nil, 654360564, 3, false, false)
	if !bytes.Equal(b, mustHex(t, "4200bff4")) {
		t.Errorf("RFC 9001 A.5 header = %x", b)
	}
	got, err := PeekDstConnID(append(b, 1), 0)
	if err != nil || len(got) != 0 {
		t.Errorf("PeekDstConnID = %x, %v", got, err)
	}
}

func TestUnknownVersion(t *testing.T) {
	long := bytes.Repeat([]byte{7}, 200)
	b := appendLongPrefix(nil, 0xc0, 0xfaceb00c, long, []byte{1})
	h, err := ParseLongHeader(append(b, 1, 2, 3))
	if err != nil || h.Type != PacketUnknownVersion || !bytes.Equal(h.DstConnID, long) || h.Version != 0xfaceb00c {
		t.Errorf("unknown version: %+v, %v", h, err)
	}
	got, err := PeekDstConnID(b, 8)
	if err != nil || !bytes.Equal(got, long) {
		t.Errorf("PeekDstConnID = %x, %v", got, err)
	}
}

func TestMalformedHeaders(t *testing.T) {
	tests := []struct {
		name string
		hex  string
	}{
		{"empty", ""},
		{"too short", "c000000001"},
		{"dcid beyond end", "c00000000114aabb"},
		{"dcid over 20 in v1", "c00000000115" + "000000000000000000000000000000000000000000" + "00"},
		{"no scid length", "c0000000010100"},
		{"truncated token length", "c000000001000040"},
		{"token beyond end", "c0000000010000" + "05aabb"},
		{"truncated length", "c0000000010000" + "00" + "40"},
		{"length beyond end", "c0000000010000" + "00" + "05" + "01"},
		{"retry without tag", "f0000000010000" + "aabbcc"},
		{"short header form bit", "40"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseLongHeader(mustHex(t, tt.hex))
			var te *TransportError
			if !errors.As(err, &te) || te.Code != ProtocolViolation {
				t.Errorf("error %v, want PROTOCOL_VIOLATION", err)
			}
		})
	}
	if _, err := ParseShortHeader([]byte{0x40, 1, 2}, 8); err == nil {
		t.Error("short header shorter than its connection ID accepted")
	}
	if _, err := ParseShortHeader([]byte{0xc0, 1, 2}, 0); err == nil {
		t.Error("long header accepted as short")
	}
	if _, err := ParseShortHeader([]byte{0x40, 1, 2}, 21); err == nil {
		t.Error("connection ID length 21 accepted")
	}
	if _, err := PeekDstConnID([]byte{0xc0, 0, 0, 0, 1, 9, 1}, 0); err == nil {
		t.Error("PeekDstConnID accepted a truncated DCID")
	}
}

func TestPacketNumberCoding(t *testing.T) {
	// RFC 9000 Appendix A.2 and A.3 examples.
	if n := PacketNumberLen(0xac5c02, 0xabe8b3, true); n != 2 {
		t.Errorf("PacketNumberLen(0xac5c02) = %d, want 2", n)
	}
	if n := PacketNumberLen(0xace8fe, 0xabe8b3, true); n != 3 {
		t.Errorf("PacketNumberLen(0xace8fe) = %d, want 3", n)
	}
	if pn := DecodePacketNumber(0xa82f30ea, true, 0x9b32, 2); pn != 0xa82f9b32 {
		t.Errorf("DecodePacketNumber = %x, want a82f9b32", pn)
	}
	if pn := DecodePacketNumber(0, false, 0, 1); pn != 0 {
		t.Errorf("first packet decodes as %d", pn)
	}
	if n := PacketNumberLen(0, 0, false); n != 1 {
		t.Errorf("PacketNumberLen(first) = %d", n)
	}
	// Round trip over a range of distances.
	for _, largest := range []uint64{0, 200, 1 << 20, 1<<40 + 7} {
		for _, d := range []uint64{1, 100, 1000, 70000, 1 << 23} {
			pn := largest + d
			l := PacketNumberLen(pn, largest, true)
			tr, _ := ReadPacketNumber(AppendPacketNumber(nil, pn, l), l)
			if got := DecodePacketNumber(largest, true, tr, l); got != pn {
				t.Errorf("largest %d pn %d len %d: decoded %d", largest, pn, l, got)
			}
		}
	}
}

func TestConnID(t *testing.T) {
	raw := []byte{1, 2, 3, 4}
	c, ok := MakeConnID(raw)
	if !ok || c.Len() != 4 || !c.Equal(raw) || c.Equal(raw[:3]) || c.String() != "01020304" || !bytes.Equal(c.Bytes(), raw) {
		t.Errorf("ConnID %v", c)
	}
	raw[0] = 9 // the ConnID holds a copy
	if c.Bytes()[0] != 1 {
		t.Error("ConnID aliases its input")
	}
	m := map[ConnID]int{c: 1}
	d, _ := MakeConnID([]byte{1, 2, 3, 4})
	if m[d] != 1 {
		t.Error("equal ConnIDs are different map keys")
	}
	if _, ok := MakeConnID(make([]byte, 21)); ok {
		t.Error("21-byte ConnID accepted")
	}
	var empty ConnID
	if empty.Len() != 0 || len(empty.Bytes()) != 0 {
		t.Error("zero ConnID not empty")
	}
}

// TestCoalescedPackets splits a datagram of Initial + Handshake + 1-RTT
// packets using Header.End.
func TestCoalescedPackets(t *testing.T) {
	dcid, scid := []byte{1, 2, 3, 4, 5, 6, 7, 8}, []byte{9}
	var dgram []byte
	want := []PacketType{PacketInitial, PacketHandshake, Packet1RTT}
	for _, typ := range want[:2] {
		var lenOff int
		dgram, lenOff, _ = AppendLongHeader(dgram, typ, Version2, dcid, scid, nil, 1, 1)
		dgram = append(dgram, make([]byte, 30)...)
		PatchLength(dgram, lenOff, 31)
	}
	dgram, _ = AppendShortHeader(dgram, dcid, 1, 1, false, false)
	dgram = append(dgram, make([]byte, 30)...)
	var got []PacketType
	for rest := dgram; len(rest) > 0; {
		h, err := ParseHeader(rest, len(dcid))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(h.DstConnID, dcid) {
			t.Errorf("%v: dcid %x", h.Type, h.DstConnID)
		}
		got = append(got, h.Type)
		rest = rest[h.End:]
	}
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("split into %v, want %v", got, want)
	}
}

// TestZeroAllocs guards the hot-path codecs against allocating.
func TestZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	dcid := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	buf := make([]byte, 0, 2048)
	stream := StreamFrame{StreamID: 4, Offset: 100, Data: make([]byte, 1000)}
	ack := AckFrame{Ranges: []AckRange{{10, 20}, {1, 5}}, AckDelay: 9}
	crypto := CryptoFrame{Offset: 5, Data: make([]byte, 100)}
	streamEnc, ackEnc, cryptoEnc := stream.Append(nil), ack.Append(nil), crypto.Append(nil)
	long, lenOff, _ := AppendLongHeader(nil, PacketHandshake, Version1, dcid, dcid, nil, 1, 2)
	long = append(long, make([]byte, 40)...)
	PatchLength(long, lenOff, 42)
	ranges := make([]AckRange, 0, 4)
	tests := []struct {
		name string
		f    func()
	}{
		{"StreamFrame.Append", func() { buf = stream.Append(buf[:0]) }},
		{"ParseStreamFrame", func() { _, _, _ = ParseStreamFrame(streamEnc) }},
		{"AckFrame.Append", func() { buf = ack.Append(buf[:0]) }},
		{"ParseAckFrame", func() { _, _, _ = ParseAckFrame(ackEnc, ranges) }},
		{"CryptoFrame.Append", func() { buf = crypto.Append(buf[:0]) }},
		{"ParseCryptoFrame", func() { _, _, _ = ParseCryptoFrame(cryptoEnc) }},
		{"AppendLongHeader", func() { buf, _, _ = AppendLongHeader(buf[:0], PacketInitial, Version1, dcid, dcid, dcid, 9, 4) }},
		{"ParseLongHeader", func() { _, _ = ParseHeader(long, 8) }},
		{"AppendShortHeader", func() { buf, _ = AppendShortHeader(buf[:0], dcid, 9, 4, true, false) }},
		{"ParseShortHeader", func() { _, _ = ParseHeader(streamEnc, 8) }},
		{"PaddingFrame.Append", func() { buf = PaddingFrame{Count: 500}.Append(buf[:0]) }},
		{"malformed header", func() { _, _ = ParseHeader([]byte{0xc0, 0, 0}, 8) }},
		{"AppendVarintLen", func() { buf = AppendVarintLen(buf[:0], 5, 4) }},
		{"PeekDstConnID", func() { _, _ = PeekDstConnID(long, 8) }},
	}
	for _, tt := range tests {
		if n := testing.AllocsPerRun(50, tt.f); n != 0 {
			t.Errorf("%s: %.1f allocs/op, want 0", tt.name, n)
		}
	}
}

func TestPacketTypeString(t *testing.T) {
	for pt, want := range map[PacketType]string{PacketInitial: "Initial", Packet0RTT: "0-RTT", Packet1RTT: "1-RTT",
		PacketVersionNegotiation: "VersionNegotiation", PacketUnknownVersion: "UnknownVersion", 99: "PacketType(?)"} {
		if got := pt.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", pt, got, want)
		}
	}
}

// TestRFC9369Vectors parses the QUIC v2 headers of RFC 9369 Appendix A and
// re-encodes them.
func TestRFC9369Vectors(t *testing.T) {
	tests := []struct {
		name, hex  string
		typ        PacketType
		dcid, scid string
		length     int
		pnLen      int
		pn         uint64
	}{
		{"client Initial", "d36b3343cf088394c8f03e5157080000449e00000002", PacketInitial, "8394c8f03e515708", "", 1182, 4, 2},
		{"server Initial", "d16b3343cf0008f067a5502a4262b50040750001", PacketInitial, "", "f067a5502a4262b5", 0x75, 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := mustHex(t, tt.hex)
			h, err := ParseLongHeader(append(append([]byte{}, hdr...), make([]byte, tt.length)...))
			if err != nil {
				t.Fatal(err)
			}
			if h.Type != tt.typ || h.Version != Version2 || int(h.Length) != tt.length ||
				!bytes.Equal(h.DstConnID, mustHex(t, tt.dcid)) || !bytes.Equal(h.SrcConnID, mustHex(t, tt.scid)) {
				t.Errorf("parsed %+v", h)
			}
			b, lenOff, _ := AppendLongHeader(nil, tt.typ, Version2, h.DstConnID, h.SrcConnID, nil, tt.pn, tt.pnLen)
			PatchLength(b, lenOff, tt.length)
			if !bytes.Equal(b, hdr) {
				t.Errorf("AppendLongHeader = %x, want %x", b, hdr)
			}
		})
	}
	retry := mustHex(t, "cf6b3343cf0008f067a5502a4262b5746f6b656ec8646ce8bfe33952d955543665dcc7b6")
	h, err := ParseLongHeader(retry)
	if err != nil || h.Type != PacketRetry || string(h.Token) != "token" {
		t.Fatalf("v2 Retry: %+v, %v", h, err)
	}
	if b := append(AppendRetry(nil, Version2, nil, h.SrcConnID, h.Token, 0x0f), h.RetryIntegrityTag...); !bytes.Equal(b, retry) {
		t.Errorf("AppendRetry v2 = %x", b)
	}
}
