package quicwire

import (
	"errors"
	"testing"
)

// TestMalformedFrames has one case per malformed input with its exact error
// code and the frame type the error must carry.
func TestMalformedFrames(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		code ErrorCode
		ft   FrameType
	}{
		{"empty", "", FrameEncodingError, 0},
		{"unknown type 0x1f", "1f", FrameEncodingError, 0x1f},
		{"unknown type 0x21", "21", FrameEncodingError, 0x21},
		{"unknown two-byte type", "4100", FrameEncodingError, 0x100},
		{"non-minimal PING type", "4001", ProtocolViolation, FrameTypePing},
		{"non-minimal STREAM type", "80000008", ProtocolViolation, 0x08},
		{"truncated type", "40", FrameEncodingError, 0},
		{"ACK truncated", "0205", FrameEncodingError, FrameTypeAck},
		{"ACK first range below zero", "0205000006", FrameEncodingError, FrameTypeAck},
		{"ACK gap below zero", "02050001020500", FrameEncodingError, FrameTypeAck},
		{"ACK range length below zero", "02050001020002", FrameEncodingError, FrameTypeAck},
		{"ACK range count beyond input", "020500050000", FrameEncodingError, FrameTypeAck},
		{"ACK_ECN missing counts", "03050000000102", FrameEncodingError, FrameTypeAckECN},
		{"RESET_STREAM truncated", "040102", FrameEncodingError, FrameTypeResetStream},
		{"STOP_SENDING truncated", "0501", FrameEncodingError, FrameTypeStopSending},
		{"CRYPTO data beyond end", "060005aabb", FrameEncodingError, FrameTypeCrypto},
		{"CRYPTO beyond 2^62-1", "06ffffffffffffffff01aa", FrameEncodingError, FrameTypeCrypto},
		{"NEW_TOKEN empty", "0700", FrameEncodingError, FrameTypeNewToken},
		{"NEW_TOKEN truncated", "0705aa", FrameEncodingError, FrameTypeNewToken},
		{"STREAM length beyond end", "0a0005aabb", FrameEncodingError, 0x0a},
		{"STREAM missing offset", "0c", FrameEncodingError, 0x0c},
		{"STREAM offset+len beyond 2^62-1", "0e00ffffffffffffffff01aa", FrameEncodingError, 0x0e},
		{"STREAM no-LEN beyond 2^62-1", "0c00fffffffffffffffeaabb", FrameEncodingError, 0x0c},
		{"MAX_DATA truncated", "10", FrameEncodingError, FrameTypeMaxData},
		{"MAX_STREAM_DATA truncated", "1101", FrameEncodingError, FrameTypeMaxStreamData},
		{"MAX_STREAMS bidi above 2^60", "12d000000000000001", FrameEncodingError, FrameTypeMaxStreamsBidi},
		{"MAX_STREAMS uni above 2^60", "13d000000000000001", FrameEncodingError, FrameTypeMaxStreamsUni},
		{"DATA_BLOCKED truncated", "1440", FrameEncodingError, FrameTypeDataBlocked},
		{"STREAM_DATA_BLOCKED truncated", "1501", FrameEncodingError, FrameTypeStreamDataBlocked},
		{"STREAMS_BLOCKED above 2^60", "16d000000000000001", FrameEncodingError, FrameTypeStreamsBlockedBidi},
		{"STREAMS_BLOCKED uni above 2^60", "17d000000000000001", FrameEncodingError, FrameTypeStreamsBlockedUni},
		{"NEW_CONNECTION_ID length 0", "180100" + "00" + "000102030405060708090a0b0c0d0e0f", FrameEncodingError, FrameTypeNewConnectionID},
		{"NEW_CONNECTION_ID length 21", "180100" + "15" + "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324", FrameEncodingError, FrameTypeNewConnectionID},
		{"NEW_CONNECTION_ID retire > seq", "180102" + "01aa" + "000102030405060708090a0b0c0d0e0f", FrameEncodingError, FrameTypeNewConnectionID},
		{"NEW_CONNECTION_ID short token", "180100" + "01aa" + "000102", FrameEncodingError, FrameTypeNewConnectionID},
		{"NEW_CONNECTION_ID no length", "180100", FrameEncodingError, FrameTypeNewConnectionID},
		{"RETIRE_CONNECTION_ID truncated", "19", FrameEncodingError, FrameTypeRetireConnectionID},
		{"PATH_CHALLENGE short", "1a01020304050607", FrameEncodingError, FrameTypePathChallenge},
		{"PATH_RESPONSE short", "1b", FrameEncodingError, FrameTypePathResponse},
		{"CONNECTION_CLOSE reason beyond end", "1c070805aa", FrameEncodingError, FrameTypeConnectionClose},
		{"CONNECTION_CLOSE missing frame type", "1c07", FrameEncodingError, FrameTypeConnectionClose},
		{"CONNECTION_CLOSE app truncated", "1d01", FrameEncodingError, FrameTypeConnectionCloseApp},
		{"DATAGRAM length beyond end", "3105aa", FrameEncodingError, FrameTypeDatagramWithLength},
		{"DATAGRAM missing length", "31", FrameEncodingError, FrameTypeDatagramWithLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := parseAny(mustHex(t, tt.hex))
			var te *TransportError
			if !errors.As(err, &te) {
				t.Fatalf("error %v, want a *TransportError", err)
			}
			if te.Code != tt.code || FrameType(te.FrameType) != tt.ft {
				t.Errorf("got %v (frame 0x%x), want %v (frame 0x%x)", te.Code, te.FrameType, tt.code, uint64(tt.ft))
			}
		})
	}
}

// TestParserWrongType checks that a parser given another frame type (or
// nothing) refuses it instead of misreading it.
func TestParserWrongType(t *testing.T) {
	parsers := map[string]func([]byte) error{
		"Ping":               func(b []byte) error { _, _, err := ParsePingFrame(b); return err },
		"ResetStream":        func(b []byte) error { _, _, err := ParseResetStreamFrame(b); return err },
		"StopSending":        func(b []byte) error { _, _, err := ParseStopSendingFrame(b); return err },
		"Crypto":             func(b []byte) error { _, _, err := ParseCryptoFrame(b); return err },
		"NewToken":           func(b []byte) error { _, _, err := ParseNewTokenFrame(b); return err },
		"MaxData":            func(b []byte) error { _, _, err := ParseMaxDataFrame(b); return err },
		"MaxStreamData":      func(b []byte) error { _, _, err := ParseMaxStreamDataFrame(b); return err },
		"MaxStreams":         func(b []byte) error { _, _, err := ParseMaxStreamsFrame(b); return err },
		"DataBlocked":        func(b []byte) error { _, _, err := ParseDataBlockedFrame(b); return err },
		"StreamDataBlocked":  func(b []byte) error { _, _, err := ParseStreamDataBlockedFrame(b); return err },
		"StreamsBlocked":     func(b []byte) error { _, _, err := ParseStreamsBlockedFrame(b); return err },
		"NewConnectionID":    func(b []byte) error { _, _, err := ParseNewConnectionIDFrame(b); return err },
		"RetireConnectionID": func(b []byte) error { _, _, err := ParseRetireConnectionIDFrame(b); return err },
		"PathChallenge":      func(b []byte) error { _, _, err := ParsePathChallengeFrame(b); return err },
		"PathResponse":       func(b []byte) error { _, _, err := ParsePathResponseFrame(b); return err },
		"ConnectionClose":    func(b []byte) error { _, _, err := ParseConnectionCloseFrame(b); return err },
		"Datagram":           func(b []byte) error { _, _, err := ParseDatagramFrame(b); return err },
	}
	wrong := HandshakeDoneFrame{}.Append(make([]byte, 0, 64))
	wrong = append(wrong, make([]byte, 40)...)
	for name, parse := range parsers {
		if err := parse(nil); err == nil {
			t.Errorf("%s: empty input accepted", name)
		}
		if err := parse(wrong); err == nil {
			t.Errorf("%s: HANDSHAKE_DONE accepted", name)
		}
	}
	if _, _, err := ParseHandshakeDoneFrame([]byte{1}); err == nil {
		t.Error("HandshakeDone: PING accepted")
	}
	ping := []byte{byte(FrameTypePing)}
	if _, _, err := ParseStreamFrame(ping); err == nil {
		t.Error("ParseStreamFrame accepted PING")
	}
	if _, _, err := ParseAckFrame([]byte{byte(FrameTypeResetStream), 0, 0, 0}, nil); err == nil {
		t.Error("ParseAckFrame accepted RESET_STREAM")
	}
	if _, _, err := ParsePaddingFrame(ping); err == nil {
		t.Error("ParsePaddingFrame accepted PING")
	}
}

func TestAckFrameReusesRanges(t *testing.T) {
	f := AckFrame{Ranges: []AckRange{{10, 20}, {5, 7}, {1, 2}}, AckDelay: 3}
	b := f.Append(nil)
	buf := make([]AckRange, 0, 8)
	got, _, err := ParseAckFrame(b, buf)
	if err != nil {
		t.Fatal(err)
	}
	if &got.Ranges[0] != &buf[:1][0] || got.Largest() != 20 {
		t.Errorf("ranges not parsed into the caller's slice: %v", got.Ranges)
	}
	allocs := testing.AllocsPerRun(100, func() {
		got, _, _ = ParseAckFrame(b, got.Ranges)
	})
	if allocs != 0 && !raceEnabled {
		t.Errorf("ParseAckFrame allocates %.1f times per run", allocs)
	}
}

func TestMaxDataLen(t *testing.T) {
	tests := []struct {
		name  string
		f     interface{ MaxDataLen(int) int }
		space int
		want  int
	}{
		{"stream no room", StreamFrame{StreamID: 4}, 2, -1},
		{"stream empty fits", StreamFrame{StreamID: 4}, 3, 0},
		{"stream 1-byte len", StreamFrame{StreamID: 4}, 10, 7},
		{"stream boundary 63", StreamFrame{StreamID: 4}, 66, 63},
		{"stream boundary 64 needs 2-byte len", StreamFrame{StreamID: 4}, 67, 63},
		{"stream 2-byte len", StreamFrame{StreamID: 4}, 68, 64},
		{"stream with offset", StreamFrame{StreamID: 4, Offset: 1000}, 1200, 1200 - 1 - 1 - 2 - 2},
		{"stream omit length", StreamFrame{StreamID: 4, OmitLength: true}, 1200, 1198},
		{"crypto", CryptoFrame{Offset: 70}, 1200, 1200 - 1 - 2 - 2},
		{"crypto no room", CryptoFrame{}, 2, -1},
		{"datagram", DatagramFrame{}, 100, 97},
		{"datagram omit length", DatagramFrame{OmitLength: true}, 100, 99},
		{"datagram no room", DatagramFrame{OmitLength: true}, 0, -1},
	}
	for _, tt := range tests {
		if got := tt.f.MaxDataLen(tt.space); got != tt.want {
			t.Errorf("%s: MaxDataLen(%d) = %d, want %d", tt.name, tt.space, got, tt.want)
		}
	}
	// Exhaustively: the result fits and one more byte does not.
	big := make([]byte, 20001)
	for space := 0; space < 20000; space += 7 {
		f := StreamFrame{StreamID: 1 << 20, Offset: 99}
		n := f.MaxDataLen(space)
		if n < 0 {
			continue
		}
		f.Data = big[:n]
		if f.Len() > space {
			t.Fatalf("space %d: %d bytes gives Len %d", space, n, f.Len())
		}
		f.Data = big[:n+1]
		if f.Len() <= space {
			t.Fatalf("space %d: %d bytes still fit", space, n+1)
		}
	}
}

func TestFrameTypeTable(t *testing.T) {
	tests := []struct {
		ft                 FrameType
		i, z, h, one, elic bool
	}{
		{FrameTypePadding, true, true, true, true, false},
		{FrameTypePing, true, true, true, true, true},
		{FrameTypeAck, true, false, true, true, false},
		{FrameTypeAckECN, true, false, true, true, false},
		{FrameTypeResetStream, false, true, false, true, true},
		{FrameTypeCrypto, true, false, true, true, true},
		{FrameTypeNewToken, false, false, false, true, true},
		{0x0b, false, true, false, true, true},
		{FrameTypeMaxStreamsUni, false, true, false, true, true},
		{FrameTypeNewConnectionID, false, true, false, true, true},
		{FrameTypePathChallenge, false, true, false, true, true},
		{FrameTypePathResponse, false, false, false, true, true},
		{FrameTypeConnectionClose, true, true, true, true, false},
		{FrameTypeConnectionCloseApp, false, true, false, true, false},
		{FrameTypeHandshakeDone, false, false, false, true, true},
		{FrameTypeDatagram, false, true, false, true, true},
		{FrameTypeDatagramWithLength, false, true, false, true, true},
		{0x1f, false, false, false, false, false},
	}
	for _, tt := range tests {
		got := [5]bool{tt.ft.AllowedIn(PacketInitial), tt.ft.AllowedIn(Packet0RTT), tt.ft.AllowedIn(PacketHandshake),
			tt.ft.AllowedIn(Packet1RTT), tt.ft.IsAckEliciting()}
		want := [5]bool{tt.i, tt.z, tt.h, tt.one, tt.elic}
		if got != want {
			t.Errorf("%v (0x%x): I/0/H/1/ack-eliciting = %v, want %v", tt.ft, uint64(tt.ft), got, want)
		}
	}
	if !FrameTypePathResponse.IsProbing() || FrameTypePing.IsProbing() {
		t.Error("IsProbing wrong")
	}
	if FrameTypeAck.AllowedIn(PacketRetry) {
		t.Error("frames allowed in Retry")
	}
}

func TestErrorStrings(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&TransportError{Code: FrameEncodingError, FrameType: 0x0a, Reason: "x"}, "quic: FRAME_ENCODING_ERROR in frame STREAM: x"},
		{&TransportError{Code: CryptoError(0x28)}, "quic: CRYPTO_ERROR(0x128)"},
		{&TransportError{Code: NoViablePath}, "quic: NO_VIABLE_PATH"},
		{&TransportError{Code: VersionNegotiationError}, "quic: VERSION_NEGOTIATION_ERROR"},
		{&TransportError{Code: 0x1234, FrameType: 0x99}, "quic: 0x1234 in frame FrameType(0x99)"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	if a, ok := CryptoError(80).TLSAlert(); !ok || a != 80 {
		t.Error("TLSAlert round trip")
	}
	if _, ok := ProtocolViolation.TLSAlert(); ok {
		t.Error("PROTOCOL_VIOLATION is not a crypto error")
	}
	err := error(&TransportError{Code: ProtocolViolation, Reason: "r"})
	if !errors.Is(err, &TransportError{Code: ProtocolViolation}) || errors.Is(err, &TransportError{Code: InternalError}) {
		t.Error("errors.Is does not match on the code")
	}
}
