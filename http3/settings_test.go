package http3

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/h3wasi/h3wasi/internal/quicwire"
)

// stPayload encodes (id, value) pairs as a SETTINGS payload.
func stPayload(kv ...uint64) []byte {
	var p []byte
	for _, v := range kv {
		p = quicwire.AppendVarint(p, v)
	}
	return p
}

func TestParseSettings(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		want    settings
		code    ErrCode // 0: valid
	}{
		{"empty", nil, settings{}, 0},
		{"QPACK and field section", stPayload(0x01, 4096, 0x07, 100, 0x06, 1<<20),
			settings{qpackMaxTableCapacity: 4096, qpackBlockedStreams: 100, maxFieldSectionSize: 1 << 20}, 0},
		{"zero values", stPayload(0x01, 0, 0x07, 0, 0x06, 0), settings{}, 0},
		{"largest values", stPayload(0x06, quicwire.MaxVarint, 0x01, quicwire.MaxVarint),
			settings{maxFieldSectionSize: quicwire.MaxVarint, qpackMaxTableCapacity: quicwire.MaxVarint}, 0},
		{"extended CONNECT and datagrams", stPayload(0x08, 1, 0x33, 1),
			settings{enableConnectProtocol: true, datagrams: true}, 0},
		{"booleans off", stPayload(0x08, 0, 0x33, 0), settings{}, 0},
		// RFC 9114 section 7.2.4.1: unknown and reserved identifiers are ignored.
		{"reserved ids", stPayload(0x21, 7, 0x40, 0, 0x1f*1000+0x21, quicwire.MaxVarint), settings{}, 0},
		{"unknown ids", stPayload(0x1234, 1, 0x0, 5, 0x09, 3, 0x3fff_ffff, 2, 0x07, 3),
			settings{qpackBlockedStreams: 3}, 0},
		{"non-minimal varints", []byte{0x40, 0x01, 0x80, 0, 0x10, 0}, settings{qpackMaxTableCapacity: 4096}, 0},

		{"HTTP/2 ENABLE_PUSH 0x2", stPayload(0x02, 0), settings{}, ErrCodeSettingsError},
		{"HTTP/2 MAX_CONCURRENT_STREAMS 0x3", stPayload(0x03, 100), settings{}, ErrCodeSettingsError},
		{"HTTP/2 INITIAL_WINDOW_SIZE 0x4", stPayload(0x04, 65535), settings{}, ErrCodeSettingsError},
		{"HTTP/2 MAX_FRAME_SIZE 0x5", stPayload(0x05, 16384), settings{}, ErrCodeSettingsError},
		{"HTTP/2 setting after valid ones", stPayload(0x01, 10, 0x21, 0, 0x04, 1), settings{}, ErrCodeSettingsError},
		{"duplicate known", stPayload(0x01, 10, 0x01, 10), settings{}, ErrCodeSettingsError},
		{"duplicate unknown", stPayload(0x1234, 1, 0x1234, 2), settings{}, ErrCodeSettingsError},
		{"duplicate reserved", stPayload(0x21, 1, 0x21, 1), settings{}, ErrCodeSettingsError},
		{"duplicate, non-minimal", append(stPayload(0x06, 1), 0x40, 0x06, 0x01), settings{}, ErrCodeSettingsError},
		{"ENABLE_CONNECT_PROTOCOL 2", stPayload(0x08, 2), settings{}, ErrCodeSettingsError},
		{"H3_DATAGRAM 2", stPayload(0x33, 2), settings{}, ErrCodeSettingsError},

		{"identifier without value", stPayload(0x01), settings{}, ErrCodeFrameError},
		{"truncated identifier", []byte{0x40}, settings{}, ErrCodeFrameError},
		{"truncated value", []byte{0x01, 0x80, 0x00}, settings{}, ErrCodeFrameError},
		{"truncated after valid", append(stPayload(0x01, 1), 0x07), settings{}, ErrCodeFrameError},
	}
	for _, tt := range tests {
		s, err := parseSettings(tt.payload)
		if tt.code == 0 {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			} else if s != tt.want {
				t.Errorf("%s: %+v, want %+v", tt.name, s, tt.want)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Code != tt.code || !e.IsConnectionError() || e.Remote {
			t.Errorf("%s: %v, want a local %v connection error", tt.name, err, tt.code)
		}
	}
}

// TestSettingsFrameRoundTrip encodes SETTINGS frames and parses them back: every
// setting survives, and the reserved setting each frame carries is ignored.
func TestSettingsFrameRoundTrip(t *testing.T) {
	cases := []settings{
		{},
		{qpackMaxTableCapacity: DefaultQPACKMaxTableCapacity, qpackBlockedStreams: DefaultQPACKBlockedStreams,
			maxFieldSectionSize: DefaultMaxHeaderBytes},
		{enableConnectProtocol: true},
		{datagrams: true, maxFieldSectionSize: quicwire.MaxVarint},
		{qpackMaxTableCapacity: 1, qpackBlockedStreams: 1, maxFieldSectionSize: 1, enableConnectProtocol: true, datagrams: true},
	}
	for _, want := range cases {
		for seed := uint64(0); seed < 130; seed++ {
			b := appendSettingsFrame(nil, want, seed)
			fr := newFrameReader(bytes.NewReader(b))
			typ, _, err := fr.next()
			if err != nil || typ != frameSettings {
				t.Fatalf("%x: 0x%x, %v", b, typ, err)
			}
			p, err := fr.readPayload(maxControlFrame, errFtTooLarge)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := fr.next(); err != io.EOF {
				t.Fatalf("%x: frame does not end at its length: %v", b, err)
			}
			got, err := parseSettings(p)
			if err != nil || got != want {
				t.Fatalf("seed %d: %+v, %v; want %+v", seed, got, err, want)
			}
			// The frame carries exactly one reserved identifier, for greasing.
			reserved := 0
			for q := p; len(q) > 0; {
				id, n, _ := quicwire.ParseVarint(q)
				q = q[n:]
				_, n, _ = quicwire.ParseVarint(q)
				q = q[n:]
				if isReserved(id) {
					reserved++
				}
				if isHTTP2Setting(id) {
					t.Fatalf("seed %d: sent HTTP/2 setting 0x%x", seed, id)
				}
			}
			if reserved != 1 {
				t.Fatalf("seed %d: %d reserved settings, want 1", seed, reserved)
			}
		}
	}
}

func TestParsePriorityValues(t *testing.T) {
	tests := []struct {
		in   string
		want priority
		ok   bool
	}{
		{"", defaultPriority, true},
		{"  ", defaultPriority, true},
		{"u=0", priority{0, false}, true},
		{"u=7, i", priority{7, true}, true},
		{"u=7,i", priority{7, true}, true},
		{"i", priority{3, true}, true},
		{"i=?1", priority{3, true}, true},
		{"i=?0", priority{3, false}, true},
		{"u=5, i=?0", priority{5, false}, true},
		{"i, u=1", priority{1, true}, true},
		{"u=2, u=6", priority{6, false}, true}, // the last member wins (RFC 8941 section 3.2)
		{"i, i=?0", priority{3, false}, true},
		{"u=1;a=b, i;c", priority{1, true}, true}, // parameters are ignored
		{"\tu=4 ", priority{4, false}, true},
		// Out-of-range or mistyped values are ignored, the rest still applies.
		{"u=9", defaultPriority, true},
		{"u=8, i", priority{3, true}, true},
		{"u=-1", defaultPriority, true},
		{"u=1.5", defaultPriority, true},
		{"u=?1", defaultPriority, true},
		{"u", defaultPriority, true},
		{"i=1", defaultPriority, true},
		{"i=?2", defaultPriority, true},
		// Unknown members are ignored.
		{"foo=bar, u=2", priority{2, false}, true},
		{"*x, u=2", priority{2, false}, true},
		// Not a dictionary: ignored as a whole.
		{"U=1", defaultPriority, false},
		{"u=1,,i", defaultPriority, false},
		{"u=1,", defaultPriority, false},
		{",u=1", defaultPriority, false},
		{"=1", defaultPriority, false},
		{"1u=1", defaultPriority, false},
		{"u=1, !", defaultPriority, false},
		{"garbage!@#", defaultPriority, false},
		{"u\x00=1", defaultPriority, false},
	}
	for _, tt := range tests {
		got, ok := parsePriority(tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("parsePriority(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
