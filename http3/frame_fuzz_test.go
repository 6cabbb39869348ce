package http3

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/h3wasi/h3wasi/internal/quicwire"
)

// ffSeedStreams are real frame sequences: what a control stream and request
// streams carry.
func ffSeedStreams() [][]byte {
	var ctrl []byte
	ctrl = appendSettingsFrame(ctrl, settings{qpackMaxTableCapacity: 4096, qpackBlockedStreams: 16,
		maxFieldSectionSize: 1 << 16, enableConnectProtocol: true, datagrams: true}, 3)
	ctrl = appendGreaseFrame(ctrl, 4)
	ctrl = appendVarintFrame(ctrl, frameMaxPushID, 10)
	ctrl = appendFrame(ctrl, framePriorityUpdate, []byte("\x04u=1, i"))
	ctrl = appendVarintFrame(ctrl, frameGoaway, 1<<30)
	var req []byte
	req = appendFrame(req, frameHeaders, []byte{0, 0, 0xd1, 0xd7, 0xc1, 0x50, 0x01, 'x'})
	req = appendFrame(req, frameData, testData(100))
	req = appendGreaseFrame(req, 9)
	req = appendFrame(req, frameData, nil)
	req = appendFrame(req, frameData, testData(5000))
	req = appendFrame(req, frameHeaders, []byte{0, 0, 0x23, 'a', 'b', 'c', 0x01, 'd'})
	return [][]byte{
		nil,
		ctrl,
		req,
		appendSettingsFrame(nil, settings{}, 0),
		appendFrameHeader(nil, frameData, 1<<40), // a length far beyond the data
		appendFrameHeader(nil, frameHeaders, 100), // truncated
		{0xc0, 0, 0, 0, 0, 0, 0},                  // truncated type
		append(appendVarintFrame(nil, frameCancelPush, 1), 0x40),
	}
}

// ffFrameLimit bounds the payloads FuzzFrameReader reads whole, as the control
// stream and HEADERS do.
const ffFrameLimit = 64 << 10

func FuzzFrameReader(f *testing.F) {
	for i, s := range ffSeedStreams() {
		f.Add(s, uint8(i))
	}
	f.Fuzz(func(t *testing.T, stream []byte, mode uint8) {
		// The reference: whole reads, DATA read in 64 KiB slices.
		want, wantErr := ftReadFrames(newFrameReader(bytes.NewReader(stream)), 64<<10, ffFrameLimit)
		if wantErr != io.EOF && wantErr != errTruncatedFrame {
			t.Fatalf("ended with %v, want io.EOF or a truncated frame", wantErr)
		}
		total := 0
		for _, fr := range want {
			total += len(fr.payload)
			if len(fr.payload) > ffFrameLimit && fr.typ != frameData {
				t.Fatalf("readPayload returned %d bytes over a limit of %d", len(fr.payload), ffFrameLimit)
			}
		}
		if total > len(stream) {
			t.Fatalf("read %d payload bytes from a %d-byte stream", total, len(stream))
		}

		// Another split of the same bytes gives the same frames.
		var r io.Reader = bytes.NewReader(stream)
		switch mode % 4 {
		case 1:
			r = iotest.OneByteReader(r)
		case 2:
			r = iotest.HalfReader(r)
		case 3:
			r = &zeroNilReader{r: iotest.DataErrReader(r)}
		}
		chunk := 1 + int(mode>>2)*97
		fr := newFrameReader(r)
		got, gotErr := ftReadFrames(fr, chunk, ffFrameLimit)
		if gotErr != wantErr {
			t.Fatalf("mode %d: ended with %v, reference %v", mode, gotErr, wantErr)
		}
		if len(got) != len(want) {
			t.Fatalf("mode %d: %d frames, reference %d", mode, len(got), len(want))
		}
		for i := range want {
			if got[i].typ != want[i].typ || !bytes.Equal(got[i].payload, want[i].payload) {
				t.Fatalf("mode %d: frame %d differs", mode, i)
			}
		}
		if len(fr.buf) > max(ffFrameLimit, frameReaderBufSize) {
			t.Fatalf("read-ahead buffer of %d bytes", len(fr.buf))
		}

		// Skipping every payload sees the same frame types.
		fr = newFrameReader(bytes.NewReader(stream))
		for i := 0; ; i++ {
			typ, _, err := fr.next()
			if err != nil {
				if err != wantErr {
					t.Fatalf("skipping: ended with %v, reference %v", err, wantErr)
				}
				break
			}
			if i == len(want) && wantErr == errTruncatedFrame {
				continue // the header of the truncated frame
			}
			if i >= len(want) || typ != want[i].typ {
				t.Fatalf("skipping: frame %d is 0x%x", i, typ)
			}
		}
	})
}

func FuzzParseSettings(f *testing.F) {
	f.Add([]byte{})
	f.Add(stPayload(0x01, 4096, 0x07, 100, 0x06, 1<<20, 0x08, 1, 0x33, 1))
	f.Add(stPayload(0x21, 7, 0x1234, 0))
	f.Add(stPayload(0x01, 1, 0x01, 1))
	f.Add(stPayload(0x04, 0))
	f.Add([]byte{0x01, 0x80})
	for seed := uint64(0); seed < 4; seed++ {
		b := appendSettingsFrame(nil, settings{qpackMaxTableCapacity: seed << 10, maxFieldSectionSize: 1 << seed}, seed)
		fr := newFrameReader(bytes.NewReader(b))
		fr.next()
		p, _ := fr.readPayload(1<<10, errFtTooLarge)
		f.Add(bytes.Clone(p))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		s, err := parseSettings(p)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || !e.IsConnectionError() ||
				(e.Code != ErrCodeSettingsError && e.Code != ErrCodeFrameError) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		// A valid payload has no HTTP/2 setting and no duplicate.
		seen := map[uint64]bool{}
		for q := p; len(q) > 0; {
			id, n, err := quicwire.ParseVarint(q)
			if err != nil {
				t.Fatal("accepted a truncated payload")
			}
			q = q[n:]
			if _, n, err = quicwire.ParseVarint(q); err != nil {
				t.Fatal("accepted a truncated payload")
			}
			q = q[n:]
			if isHTTP2Setting(id) || seen[id] {
				t.Fatalf("accepted setting 0x%x (HTTP/2 or duplicate)", id)
			}
			seen[id] = true
		}
		// What we parsed encodes and parses back the same.
		b := appendSettingsFrame(nil, s, uint64(len(p)))
		fr := newFrameReader(bytes.NewReader(b))
		if _, _, err := fr.next(); err != nil {
			t.Fatal(err)
		}
		q, err := fr.readPayload(maxControlFrame, errFtTooLarge)
		if err != nil {
			t.Fatal(err)
		}
		if s2, err := parseSettings(q); err != nil || s2 != s {
			t.Fatalf("re-encoded %+v parses as %+v, %v", s, s2, err)
		}
	})
}

func FuzzParsePriority(f *testing.F) {
	for _, s := range []string{"", "u=0", "u=7, i", "i=?0", "u=9", "i", "u=1;a=b, i;c", "U=1", "u=1,,i",
		"foo=bar, u=2", "garbage!@#", "u=-1", "u=?1", "\tu=4 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := parsePriority(s)
		if p.urgency > 7 {
			t.Fatalf("urgency %d", p.urgency)
		}
		if !ok && p != defaultPriority {
			t.Fatalf("not ok, but %+v", p)
		}
		if p2, ok2 := parsePriority(s); p2 != p || ok2 != ok {
			t.Fatal("not deterministic")
		}
		// A later member overrides: appending one to a valid dictionary sets it.
		if ok && strings.Trim(s, " \t") != "" {
			if p2, ok2 := parsePriority(s + ", u=0"); !ok2 || p2.urgency != 0 || p2.incremental != p.incremental {
				t.Fatalf("%q: %+v, %v after appending u=0 to %+v", s, p2, ok2, p)
			}
		}
	})
}
