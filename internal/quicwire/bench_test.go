package quicwire

import "testing"

var benchSink int

func BenchmarkStreamFrameAppend(b *testing.B) {
	f := StreamFrame{StreamID: 4, Offset: 1 << 20, Data: make([]byte, 1200)}
	buf := make([]byte, 0, 1500)
	b.ReportAllocs()
	b.SetBytes(int64(len(f.Data)))
	for i := 0; i < b.N; i++ {
		buf = f.Append(buf[:0])
	}
	benchSink = len(buf)
}

func BenchmarkStreamFrameParse(b *testing.B) {
	enc := StreamFrame{StreamID: 4, Offset: 1 << 20, Data: make([]byte, 1200)}.Append(nil)
	b.ReportAllocs()
	b.SetBytes(int64(len(enc)))
	for i := 0; i < b.N; i++ {
		f, n, err := ParseStreamFrame(enc)
		if err != nil {
			b.Fatal(err)
		}
		benchSink = n + len(f.Data)
	}
}

func benchAck() AckFrame {
	return AckFrame{
		Ranges: []AckRange{{Smallest: 9990, Largest: 10000}, {Smallest: 9900, Largest: 9980},
			{Smallest: 9000, Largest: 9800}, {Smallest: 5000, Largest: 8000}, {Smallest: 0, Largest: 4000}},
		AckDelay: 200, HasECN: true, ECT0: 9000,
	}
}

func BenchmarkAckFrameAppend(b *testing.B) {
	f := benchAck()
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = f.Append(buf[:0])
		benchSink = f.Len()
	}
}

func BenchmarkAckFrameParse(b *testing.B) {
	enc := benchAck().Append(nil)
	ranges := make([]AckRange, 0, 16)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		f, n, err := ParseAckFrame(enc, ranges)
		if err != nil {
			b.Fatal(err)
		}
		ranges = f.Ranges
		benchSink = n
	}
}

func BenchmarkCryptoFrameAppend(b *testing.B) {
	f := CryptoFrame{Offset: 300, Data: make([]byte, 1000)}
	buf := make([]byte, 0, 1500)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = f.Append(buf[:0])
	}
	benchSink = len(buf)
}

func BenchmarkCryptoFrameParse(b *testing.B) {
	enc := CryptoFrame{Offset: 300, Data: make([]byte, 1000)}.Append(nil)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		f, n, err := ParseCryptoFrame(enc)
		if err != nil {
			b.Fatal(err)
		}
		benchSink = n + len(f.Data)
	}
}

var benchDCID, benchSCID = []byte{1, 2, 3, 4, 5, 6, 7, 8}, []byte{8, 7, 6, 5, 4, 3, 2, 1}

func BenchmarkLongHeaderAppend(b *testing.B) {
	buf := make([]byte, 0, 1500)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var lenOff int
		buf, lenOff, _ = AppendLongHeader(buf[:0], PacketInitial, Version1, benchDCID, benchSCID, nil, uint64(i), 2)
		PatchLength(buf, lenOff, 1200)
	}
	benchSink = len(buf)
}

func BenchmarkLongHeaderParse(b *testing.B) {
	pkt, lenOff, _ := AppendLongHeader(nil, PacketInitial, Version1, benchDCID, benchSCID, []byte("token"), 1, 2)
	pkt = append(pkt, make([]byte, 1198)...)
	PatchLength(pkt, lenOff, 1200)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		h, err := ParseHeader(pkt, 8)
		if err != nil {
			b.Fatal(err)
		}
		benchSink = h.End
	}
}

func BenchmarkShortHeaderAppend(b *testing.B) {
	buf := make([]byte, 0, 1500)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf, _ = AppendShortHeader(buf[:0], benchDCID, uint64(i), 2, false, true)
	}
	benchSink = len(buf)
}

func BenchmarkShortHeaderParse(b *testing.B) {
	pkt, _ := AppendShortHeader(nil, benchDCID, 1, 2, false, true)
	pkt = append(pkt, make([]byte, 1200)...)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		h, err := ParseHeader(pkt, 8)
		if err != nil {
			b.Fatal(err)
		}
		benchSink = h.End
	}
}

func BenchmarkPeekDstConnID(b *testing.B) {
	pkt, _ := AppendShortHeader(nil, benchDCID, 1, 2, false, true)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		d, _ := PeekDstConnID(pkt, 8)
		benchSink = len(d)
	}
}

func BenchmarkVarint(b *testing.B) {
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = AppendVarint(buf[:0], uint64(i)<<20)
		v, _, _ := ParseVarint(buf)
		benchSink = int(v)
	}
}
