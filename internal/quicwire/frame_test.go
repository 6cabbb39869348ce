package quicwire

import (
	"bytes"
	"reflect"
	"testing"
)

// testFrame is implemented by every frame value; tests only (the hot path
// never puts frames behind an interface).
type testFrame interface {
	Append([]byte) []byte
	Len() int
}

// parseAny dispatches on the frame type: the test twin of a connection's
// frame loop.
func parseAny(b []byte) (testFrame, int, error) {
	t, _, err := ParseFrameType(b)
	if err != nil {
		return nil, 0, err
	}
	switch {
	case t == FrameTypePadding:
		return wrap(ParsePaddingFrame(b))
	case t == FrameTypePing:
		return wrap(ParsePingFrame(b))
	case t == FrameTypeAck || t == FrameTypeAckECN:
		return wrap(ParseAckFrame(b, nil))
	case t == FrameTypeResetStream:
		return wrap(ParseResetStreamFrame(b))
	case t == FrameTypeStopSending:
		return wrap(ParseStopSendingFrame(b))
	case t == FrameTypeCrypto:
		return wrap(ParseCryptoFrame(b))
	case t == FrameTypeNewToken:
		return wrap(ParseNewTokenFrame(b))
	case t.IsStream():
		return wrap(ParseStreamFrame(b))
	case t == FrameTypeMaxData:
		return wrap(ParseMaxDataFrame(b))
	case t == FrameTypeMaxStreamData:
		return wrap(ParseMaxStreamDataFrame(b))
	case t == FrameTypeMaxStreamsBidi || t == FrameTypeMaxStreamsUni:
		return wrap(ParseMaxStreamsFrame(b))
	case t == FrameTypeDataBlocked:
		return wrap(ParseDataBlockedFrame(b))
	case t == FrameTypeStreamDataBlocked:
		return wrap(ParseStreamDataBlockedFrame(b))
	case t == FrameTypeStreamsBlockedBidi || t == FrameTypeStreamsBlockedUni:
		return wrap(ParseStreamsBlockedFrame(b))
	case t == FrameTypeNewConnectionID:
		return wrap(ParseNewConnectionIDFrame(b))
	case t == FrameTypeRetireConnectionID:
		return wrap(ParseRetireConnectionIDFrame(b))
	case t == FrameTypePathChallenge:
		return wrap(ParsePathChallengeFrame(b))
	case t == FrameTypePathResponse:
		return wrap(ParsePathResponseFrame(b))
	case t == FrameTypeConnectionClose || t == FrameTypeConnectionCloseApp:
		return wrap(ParseConnectionCloseFrame(b))
	case t == FrameTypeHandshakeDone:
		return wrap(ParseHandshakeDoneFrame(b))
	case t == FrameTypeDatagram || t == FrameTypeDatagramWithLength:
		return wrap(ParseDatagramFrame(b))
	}
	panic("ParseFrameType returned an unhandled type " + t.String())
}

func wrap[F testFrame](f F, n int, err error) (testFrame, int, error) {
	if err != nil {
		return nil, 0, err
	}
	return f, n, nil
}

var token16 = [16]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}

// sampleFrames has at least one frame of every type and every variant.
func sampleFrames() []testFrame {
	data := []byte("hello, world")
	return []testFrame{
		PaddingFrame{Count: 1},
		PaddingFrame{Count: 37},
		PingFrame{},
		AckFrame{Ranges: []AckRange{{0, 0}}},
		AckFrame{Ranges: []AckRange{{Smallest: 90, Largest: 100}, {Smallest: 50, Largest: 60}, {Smallest: 0, Largest: 48}}, AckDelay: 1234},
		AckFrame{Ranges: []AckRange{{Smallest: 1 << 40, Largest: MaxVarint}, {Smallest: 2, Largest: 5}}, HasECN: true, ECT0: 1, ECT1: 1 << 20, ECNCE: MaxVarint},
		ResetStreamFrame{StreamID: 4, ErrorCode: 0x10c, FinalSize: 1 << 33},
		StopSendingFrame{StreamID: 1<<62 - 1, ErrorCode: 0},
		CryptoFrame{Offset: 0, Data: data},
		CryptoFrame{Offset: 1 << 20, Data: []byte{}},
		NewTokenFrame{Token: []byte{1, 2, 3}},
		StreamFrame{StreamID: 0, Data: data},
		StreamFrame{StreamID: 0, Data: data, Fin: true},
		StreamFrame{StreamID: 4, Offset: 77, Data: data},
		StreamFrame{StreamID: 4, Offset: 77, Data: data, Fin: true},
		StreamFrame{StreamID: 8, Data: data, OmitLength: true},
		StreamFrame{StreamID: 8, Data: []byte{}, Fin: true, OmitLength: true},
		StreamFrame{StreamID: 12, Offset: 1 << 50, Data: data, OmitLength: true},
		StreamFrame{StreamID: 12, Offset: 1 << 50, Data: data, Fin: true, OmitLength: true},
		MaxDataFrame{MaximumData: 1 << 30},
		MaxStreamDataFrame{StreamID: 3, MaximumStreamData: 1 << 16},
		MaxStreamsFrame{Bidi: true, MaximumStreams: 100},
		MaxStreamsFrame{Bidi: false, MaximumStreams: 1 << 60},
		DataBlockedFrame{MaximumData: 63},
		StreamDataBlockedFrame{StreamID: 7, MaximumStreamData: 64},
		StreamsBlockedFrame{Bidi: true, MaximumStreams: 1},
		StreamsBlockedFrame{Bidi: false, MaximumStreams: 1 << 60},
		NewConnectionIDFrame{SequenceNumber: 5, RetirePriorTo: 5, ConnID: []byte{1, 2, 3, 4, 5, 6, 7, 8}, StatelessResetToken: token16},
		NewConnectionIDFrame{SequenceNumber: 1, ConnID: bytes.Repeat([]byte{9}, 20)},
		RetireConnectionIDFrame{SequenceNumber: 17},
		PathChallengeFrame{Data: [8]byte{1, 2, 3, 4, 5, 6, 7, 8}},
		PathResponseFrame{Data: [8]byte{8, 7, 6, 5, 4, 3, 2, 1}},
		ConnectionCloseFrame{ErrorCode: uint64(FrameEncodingError), FrameType: 0x08, Reason: []byte("bad stream")},
		ConnectionCloseFrame{ErrorCode: uint64(CryptoError(40)), Reason: []byte{}},
		ConnectionCloseFrame{App: true, ErrorCode: 0x100, Reason: []byte("bye")},
		HandshakeDoneFrame{},
		DatagramFrame{Data: data},
		DatagramFrame{Data: data, OmitLength: true},
		DatagramFrame{Data: []byte{}},
	}
}

func TestFrameRoundTrip(t *testing.T) {
	for _, f := range sampleFrames() {
		b := f.Append([]byte{0xee})[1:]
		if len(b) != f.Len() {
			t.Errorf("%#v: Len %d, encoded %d bytes", f, f.Len(), len(b))
		}
		got, n, err := parseAny(b)
		if err != nil {
			t.Errorf("%#v: parse %x: %v", f, b, err)
			continue
		}
		if n != len(b) {
			t.Errorf("%#v: consumed %d of %d", f, n, len(b))
		}
		if !reflect.DeepEqual(got, f) {
			t.Errorf("round trip:\n got %#v\nwant %#v", got, f)
		}
	}
}

// TestFramePayloadWalk parses a payload of every sample frame back to back,
// as a connection does; frames without a length must come last, so they are
// skipped here.
func TestFramePayloadWalk(t *testing.T) {
	var payload []byte
	var want []testFrame
	for _, f := range sampleFrames() {
		switch v := f.(type) {
		case StreamFrame:
			if v.OmitLength {
				continue
			}
		case DatagramFrame:
			if v.OmitLength {
				continue
			}
		case PaddingFrame:
			continue // adjacent padding runs would merge
		}
		payload = f.Append(payload)
		want = append(want, f)
	}
	for i := 0; len(payload) > 0; i++ {
		f, n, err := parseAny(payload)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !reflect.DeepEqual(f, want[i]) {
			t.Fatalf("frame %d: got %#v, want %#v", i, f, want[i])
		}
		payload = payload[n:]
	}
}

// rfc9001ClientCrypto is the CRYPTO frame of RFC 9001 Appendix A.2.
const rfc9001ClientCrypto = "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e86804fe3a47f06a2b69484c" +
	"00000413011302010000c000000010000e00000b6578616d706c652e636f6dff01000100000a00080006001d" +
	"0017001800100007000504616c706e000500050100000000003300260024001d00209370b2c9caa47fbabaf4" +
	"559fedba753de171fa71f50f1ce15d43e994ec74d748002b0003020304000d0010000e040305030603020308" +
	"0408050806002d00020101001c00024001003900320408ffffffffffffffff05048000ffff07048000ffff08" +
	"01100104800075300901100f088394c8f03e51570806048000ffff"

// rfc9001ServerPayload is the server Initial payload of RFC 9001 Appendix A.3.
const rfc9001ServerPayload = "02000000000600405a020000560303eefce7f7b37ba1d1632e96677825ddf73988cfc79825df566dc5430b9a04" +
	"5a1200130100002e00330024001d00209d3c940d89690b84d08a60993c144eca684d1081287c834d5311bcf32bb9da1a002b00020304"

// TestRFC9001Payloads parses the Initial payloads of RFC 9001 Appendix A.
func TestRFC9001Payloads(t *testing.T) {
	client := append(mustHex(t, rfc9001ClientCrypto), make([]byte, 1162-245)...)
	c, n, err := ParseCryptoFrame(client)
	if err != nil || c.Offset != 0 || len(c.Data) != 241 || n != 245 || c.Data[0] != 1 {
		t.Fatalf("client CRYPTO: %d bytes at %d, n=%d, %v", len(c.Data), c.Offset, n, err)
	}
	p, m, err := ParsePaddingFrame(client[n:])
	if err != nil || p.Count != 1162-245 || n+m != len(client) {
		t.Errorf("client PADDING: %+v %d %v", p, m, err)
	}
	server := mustHex(t, rfc9001ServerPayload)
	ack, n, err := ParseAckFrame(server, nil)
	if err != nil || ack.Largest() != 0 || len(ack.Ranges) != 1 || ack.AckDelay != 0 || n != 5 {
		t.Fatalf("server ACK: %+v %d %v", ack, n, err)
	}
	c, m, err = ParseCryptoFrame(server[n:])
	if err != nil || len(c.Data) != 90 || n+m != len(server) {
		t.Errorf("server CRYPTO: %d bytes, %v", len(c.Data), err)
	}
	if !bytes.Equal(c.Append(nil), server[n:]) {
		t.Error("server CRYPTO does not re-encode identically")
	}
}
