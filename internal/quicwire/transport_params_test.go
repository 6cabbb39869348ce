package quicwire

import (
	"bytes"
	"errors"
	"net/netip"
	"reflect"
	"testing"
)

// rfc9001ClientParams are the transport parameters inside the ClientHello of
// RFC 9001 Appendix A.2 (extension 0x39).
const rfc9001ClientParams = "0408ffffffffffffffff05048000ffff07048000ffff0801100104800075300901100f088394c8f03e51570806048000ffff"

func fullParams() TransportParameters {
	p := DefaultTransportParameters()
	p.OriginalDestinationConnectionID, p.HasOriginalDestinationConnectionID = []byte{1, 2, 3, 4, 5, 6, 7, 8}, true
	p.MaxIdleTimeout = 30000
	p.StatelessResetToken, p.HasStatelessResetToken = token16, true
	p.MaxUDPPayloadSize = 1452
	p.InitialMaxData = 1 << 24
	p.InitialMaxStreamDataBidiLocal = 1 << 20
	p.InitialMaxStreamDataBidiRemote = 1 << 21
	p.InitialMaxStreamDataUni = 1 << 22
	p.InitialMaxStreamsBidi = 100
	p.InitialMaxStreamsUni = 1 << 60
	p.AckDelayExponent = 20
	p.MaxAckDelay = 1<<14 - 1
	p.DisableActiveMigration = true
	p.PreferredAddress = PreferredAddress{
		IPv4:                netip.MustParseAddrPort("192.0.2.1:4433"),
		IPv6:                netip.MustParseAddrPort("[2001:db8::1]:4434"),
		ConnID:              []byte{9, 9, 9, 9},
		StatelessResetToken: [16]byte{15: 1},
	}
	p.HasPreferredAddress = true
	p.ActiveConnectionIDLimit = 8
	p.InitialSourceConnectionID, p.HasInitialSourceConnectionID = []byte{}, true
	p.RetrySourceConnectionID, p.HasRetrySourceConnectionID = []byte{7, 7}, true
	p.MaxDatagramFrameSize = 65535
	p.ChosenVersion, p.AvailableVersions, p.HasVersionInformation = Version1, []byte{0x6b, 0x33, 0x43, 0xcf, 0, 0, 0, 1}, true
	p.GreaseQUICBit = true
	return p
}

func TestTransportParametersRoundTrip(t *testing.T) {
	for _, p := range []TransportParameters{DefaultTransportParameters(), fullParams()} {
		b := p.Append(nil)
		got, err := ParseTransportParameters(b, true)
		if err != nil {
			t.Fatalf("parse %x: %v", b, err)
		}
		if !reflect.DeepEqual(got, p) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, p)
		}
	}
	if b := DefaultTransportParameters().Append(nil); len(b) != 0 {
		t.Errorf("defaults encode to %x, want nothing", b)
	}
}

func TestTransportParametersRFC9001(t *testing.T) {
	p, err := ParseTransportParameters(mustHex(t, rfc9001ClientParams), false)
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultTransportParameters()
	want.InitialMaxData = MaxVarint
	want.InitialMaxStreamDataBidiLocal = 0xffff
	want.InitialMaxStreamDataUni = 0xffff
	want.InitialMaxStreamsBidi = 16
	want.MaxIdleTimeout = 30000
	want.InitialMaxStreamsUni = 16
	want.InitialSourceConnectionID, want.HasInitialSourceConnectionID = mustHex(t, "8394c8f03e515708"), true
	want.InitialMaxStreamDataBidiRemote = 0xffff
	if !reflect.DeepEqual(p, want) {
		t.Errorf("got %+v\nwant %+v", p, want)
	}
}

func TestTransportParametersGreaseIgnored(t *testing.T) {
	var b []byte
	b = appendBytesParam(b, 31*5+27, []byte("grease"))
	b = appendIntParam(b, tpInitialMaxData, 77, 0)
	b = appendBytesParam(b, 0x7fff_ffff, []byte{1, 2, 3}) // unknown
	b = appendBytesParam(b, 31*5+27, nil)                 // duplicates of unknown IDs are not checked
	p, err := ParseTransportParameters(b, false)
	if err != nil || p.InitialMaxData != 77 {
		t.Errorf("got %+v, %v", p, err)
	}
}

func TestTransportParametersInvalid(t *testing.T) {
	intParam := func(id, v uint64) []byte { return appendIntParam(nil, id, v, ^uint64(0)) }
	pa := fullParams().PreferredAddress
	paBytes := pa.appendParam(nil)
	zeroCID := pa
	zeroCID.ConnID = nil
	tests := []struct {
		name     string
		b        []byte
		byServer bool
	}{
		{"max_udp_payload_size 1199", intParam(tpMaxUDPPayloadSize, 1199), true},
		{"ack_delay_exponent 21", intParam(tpAckDelayExponent, 21), true},
		{"max_ack_delay 2^14", intParam(tpMaxAckDelay, 1<<14), true},
		{"active_connection_id_limit 1", intParam(tpActiveConnectionIDLimit, 1), true},
		{"active_connection_id_limit 0", intParam(tpActiveConnectionIDLimit, 0), true},
		{"initial_max_streams_bidi 2^60+1", intParam(tpInitialMaxStreamsBidi, 1<<60+1), true},
		{"initial_max_streams_uni 2^60+1", intParam(tpInitialMaxStreamsUni, 1<<60+1), true},
		{"odcid from client", appendBytesParam(nil, tpOriginalDestinationConnectionID, []byte{1}), false},
		{"reset token from client", appendBytesParam(nil, tpStatelessResetToken, token16[:]), false},
		{"preferred_address from client", paBytes, false},
		{"retry scid from client", appendBytesParam(nil, tpRetrySourceConnectionID, []byte{1}), false},
		{"duplicate", append(intParam(tpInitialMaxData, 1), intParam(tpInitialMaxData, 1)...), true},
		{"duplicate flag", append(appendBytesParam(nil, tpDisableActiveMigration, nil), appendBytesParam(nil, tpDisableActiveMigration, nil)...), true},
		{"integer with trailing byte", appendBytesParam(nil, tpInitialMaxData, []byte{1, 2}), true},
		{"empty integer", appendBytesParam(nil, tpInitialMaxData, nil), true},
		{"truncated integer", appendBytesParam(nil, tpInitialMaxData, []byte{0x40}), true},
		{"short reset token", appendBytesParam(nil, tpStatelessResetToken, token16[:15]), true},
		{"flag with value", appendBytesParam(nil, tpDisableActiveMigration, []byte{0}), true},
		{"cid 21 bytes", appendBytesParam(nil, tpInitialSourceConnectionID, make([]byte, 21)), true},
		{"preferred_address zero-length cid", zeroCID.appendParam(nil), true},
		{"preferred_address truncated", appendBytesParam(nil, tpPreferredAddress, paBytes[3:20]), true},
		{"preferred_address trailing byte", appendBytesParam(nil, tpPreferredAddress, append(append([]byte{}, paBytes[2:]...), 0)), true},
		{"version_information 3 bytes", appendBytesParam(nil, tpVersionInformation, []byte{0, 0, 1}), true},
		{"version_information chosen 0", appendBytesParam(nil, tpVersionInformation, []byte{0, 0, 0, 0}), true},
		{"version_information available 0", appendBytesParam(nil, tpVersionInformation, []byte{0, 0, 0, 1, 0, 0, 0, 0}), true},
		{"truncated id", []byte{0x40}, true},
		{"length beyond end", []byte{0x04, 0x05, 0x01}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTransportParameters(tt.b, tt.byServer)
			var te *TransportError
			if !errors.As(err, &te) || te.Code != TransportParameterError {
				t.Errorf("%x: error %v, want TRANSPORT_PARAMETER_ERROR", tt.b, err)
			}
		})
	}
}

func FuzzTransportParameters(f *testing.F) {
	f.Add(mustHex(f, rfc9001ClientParams), false)
	f.Add(fullParams().Append(nil), true)
	f.Add(appendBytesParam(nil, 31*3+27, []byte{1}), true)
	f.Fuzz(func(t *testing.T, b []byte, byServer bool) {
		p, err := ParseTransportParameters(b, byServer)
		if err != nil {
			return
		}
		// Re-encoding is canonical, so parse(encode(p)) must be p again and
		// encode must then be stable.
		enc := p.Append(nil)
		p2, err := ParseTransportParameters(enc, byServer)
		if err != nil {
			t.Fatalf("re-parse of %x: %v", enc, err)
		}
		if enc2 := p2.Append(nil); !bytes.Equal(enc, enc2) {
			t.Fatalf("unstable encoding %x vs %x", enc, enc2)
		}
		if !reflect.DeepEqual(p, p2) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", p2, p)
		}
	})
}
