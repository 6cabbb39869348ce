package http3

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/h3wasi/h3wasi/internal/quicwire"
)

// ftFrame is one frame as a test reads it back.
type ftFrame struct {
	typ     uint64
	payload []byte
}

// errFtTooLarge marks a payload over ftReadFrames' limit.
var errFtTooLarge = errors.New("payload over the test limit")

// ftReadFrames reads every frame of fr until the end of the stream: DATA payloads
// with readData in reads of chunk bytes, the others with readPayload up to limit
// (larger ones are skipped and recorded with a nil payload). It returns the frames
// read and the error that ended the stream (io.EOF at a clean end).
func ftReadFrames(fr *frameReader, chunk int, limit uint64) ([]ftFrame, error) {
	var frames []ftFrame
	buf := make([]byte, chunk)
	for {
		typ, length, err := fr.next()
		if err != nil {
			return frames, err
		}
		if fr.remaining != length {
			return frames, errors.New("remaining is not the frame's length")
		}
		f := ftFrame{typ: typ}
		if typ == frameData {
			f.payload = []byte{}
			for fr.remaining > 0 {
				n, err := fr.readData(buf)
				f.payload = append(f.payload, buf[:n]...)
				if err != nil {
					return append(frames, f), err
				}
				if n == 0 {
					return frames, errors.New("readData returned 0, nil before the end of the payload")
				}
			}
			if n, err := fr.readData(buf); n != 0 || err != nil {
				return frames, errors.New("readData past the end of the payload did not return 0, nil")
			}
		} else {
			p, err := fr.readPayload(limit, errFtTooLarge)
			switch {
			case err == errFtTooLarge:
				if fr.remaining != length {
					return frames, errors.New("readPayload consumed part of a payload over its limit")
				}
			case err != nil:
				return frames, err
			default:
				f.payload = bytes.Clone(p)
			}
		}
		frames = append(frames, f)
	}
}

// ftStream encodes frames as one stream.
func ftStream(frames ...ftFrame) []byte {
	var b []byte
	for _, f := range frames {
		b = appendFrame(b, f.typ, f.payload)
	}
	return b
}

// zeroNilReader returns (0, nil) before every real read, which io.Reader allows
// ("nothing happened").
type zeroNilReader struct {
	r    io.Reader
	flip bool
}

func (z *zeroNilReader) Read(p []byte) (int, error) {
	z.flip = !z.flip
	if z.flip {
		return 0, nil
	}
	return z.r.Read(p)
}

// ftReaders wraps a stream's bytes in readers that split them differently.
var ftReaders = []struct {
	name string
	wrap func([]byte) io.Reader
}{
	{"whole", func(b []byte) io.Reader { return bytes.NewReader(b) }},
	{"one-byte", func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) }},
	{"half", func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) }},
	{"data-eof", func(b []byte) io.Reader { return iotest.DataErrReader(bytes.NewReader(b)) }},
	{"zero-nil", func(b []byte) io.Reader { return &zeroNilReader{r: iotest.OneByteReader(bytes.NewReader(b))} }},
}

func TestFrameEncoding(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"empty DATA header", appendFrameHeader(nil, frameData, 0), "0000"},
		{"HEADERS", appendFrame(nil, frameHeaders, []byte("abc")), "0103616263"},
		{"two-byte length", appendFrameHeader(nil, frameData, 64), "004040"},
		{"four-byte length", appendFrameHeader(nil, frameData, 1<<14), "0080004000"},
		{"eight-byte length", appendFrameHeader(nil, frameData, 1<<30), "00c000000040000000"},
		{"GOAWAY 4", appendVarintFrame(nil, frameGoaway, 4), "070104"},
		{"GOAWAY 0", appendVarintFrame(nil, frameGoaway, 0), "070100"},
		{"MAX_PUSH_ID 16383", appendVarintFrame(nil, frameMaxPushID, 16383), "0d027fff"},
		{"CANCEL_PUSH 64", appendVarintFrame(nil, frameCancelPush, 64), "03024040"},
		{"PRIORITY_UPDATE type", appendFrameHeader(nil, framePriorityUpdate, 5), "800f070005"},
		{"reserved type", appendFrame(nil, 0x21, nil), "2100"},
		{"appends", appendFrame([]byte{0xff}, frameData, []byte{1}), "ff000101"},
	}
	for _, tt := range tests {
		if got := hex.EncodeToString(tt.got); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestFrameReaderSequence(t *testing.T) {
	big := testData(3*frameReaderBufSize + 17)
	headers := testData(300)
	frames := []ftFrame{
		{frameData, []byte("hello")},
		{frameHeaders, headers},
		{greaseValue(5), []byte("grease")},
		{frameGoaway, quicwire.AppendVarint(nil, 1<<20)},
		{frameSettings, nil},
		{frameData, nil},
		{frameData, big},
		{framePriorityUpdate, []byte("\x00u=1")},
		{0x3fff_ffff_ffff, []byte("unknown type, 8-byte varint")},
		{frameHeaders, testData(frameReaderBufSize + 1)}, // larger than the read-ahead
		{frameData, []byte{0}},
	}
	stream := ftStream(frames...)
	for _, rd := range ftReaders {
		for _, chunk := range []int{1, 7, frameReaderBufSize/2 - 1, frameReaderBufSize, 64 << 10} {
			got, err := ftReadFrames(newFrameReader(rd.wrap(stream)), chunk, 1<<20)
			if err != io.EOF {
				t.Fatalf("%s/%d: ended with %v, want io.EOF", rd.name, chunk, err)
			}
			if len(got) != len(frames) {
				t.Fatalf("%s/%d: %d frames, want %d", rd.name, chunk, len(got), len(frames))
			}
			for i, f := range frames {
				if got[i].typ != f.typ || !bytes.Equal(got[i].payload, f.payload) {
					t.Fatalf("%s/%d: frame %d is type 0x%x with %d bytes, want 0x%x with %d bytes",
						rd.name, chunk, i, got[i].typ, len(got[i].payload), f.typ, len(f.payload))
				}
			}
		}
	}
}

// TestFrameReaderSkip reads only the frame headers: next skips each payload.
func TestFrameReaderSkip(t *testing.T) {
	frames := []ftFrame{
		{frameData, testData(10000)},
		{frameHeaders, []byte("x")},
		{0x21, nil},
		{frameData, testData(frameReaderBufSize)},
		{frameGoaway, []byte{0}},
	}
	stream := ftStream(frames...)
	for _, rd := range ftReaders {
		fr := newFrameReader(rd.wrap(stream))
		for i, f := range frames {
			typ, length, err := fr.next()
			if err != nil || typ != f.typ || length != uint64(len(f.payload)) {
				t.Fatalf("%s: frame %d: next = 0x%x, %d, %v; want 0x%x, %d", rd.name, i, typ, length, err, f.typ, len(f.payload))
			}
		}
		if _, _, err := fr.next(); err != io.EOF {
			t.Fatalf("%s: after the last frame: %v, want io.EOF", rd.name, err)
		}
		// The end of the stream is sticky.
		if _, _, err := fr.next(); err != io.EOF {
			t.Fatalf("%s: second next at the end: %v, want io.EOF", rd.name, err)
		}
	}
}

func TestFrameReaderTruncated(t *testing.T) {
	// Each op runs on a fresh reader of the input and returns the error that the
	// truncated stream ends with.
	type op func(*frameReader) error
	nextTwice := func(fr *frameReader) error {
		if _, _, err := fr.next(); err != nil {
			return errors.New("first next failed: " + err.Error())
		}
		_, _, err := fr.next()
		return err
	}
	nextOnce := func(fr *frameReader) error { _, _, err := fr.next(); return err }
	payload := func(fr *frameReader) error {
		if _, _, err := fr.next(); err != nil {
			return errors.New("next failed: " + err.Error())
		}
		_, err := fr.readPayload(1<<10, errFtTooLarge)
		return err
	}
	data := func(fr *frameReader) error {
		if _, _, err := fr.next(); err != nil {
			return errors.New("next failed: " + err.Error())
		}
		buf := make([]byte, 3)
		for {
			n, err := fr.readData(buf)
			if err != nil {
				return err
			}
			if n == 0 {
				return errors.New("readData ended the payload early")
			}
		}
	}
	tests := []struct {
		name  string
		input string // hex
		op    op
		want  error
	}{
		{"empty stream", "", nextOnce, io.EOF},
		{"whole frame then end", "000161", nextTwice, io.EOF},
		{"empty frame then end", "2100", nextTwice, io.EOF},
		{"partial 2-byte type", "40", nextOnce, errTruncatedFrame},
		{"partial 8-byte type", "c00000", nextOnce, errTruncatedFrame},
		{"type without length", "01", nextOnce, errTruncatedFrame},
		{"partial length", "0140", nextOnce, errTruncatedFrame},
		{"partial 4-byte length", "01800000", nextOnce, errTruncatedFrame},
		{"short payload, readPayload", "01056162", payload, errTruncatedFrame},
		{"no payload, readPayload", "0105", payload, errTruncatedFrame},
		{"short payload, skipped", "01056162", nextTwice, errTruncatedFrame},
		{"short DATA, readData", "00056162", data, errTruncatedFrame},
		{"no DATA payload, readData", "0005", data, errTruncatedFrame},
		{"frame then partial type", "000040", nextTwice, errTruncatedFrame},
		{"frame then type only", "000000", nextTwice, errTruncatedFrame},
	}
	for _, tt := range tests {
		input, err := hex.DecodeString(tt.input)
		if err != nil {
			t.Fatal(err)
		}
		for _, rd := range ftReaders {
			err := tt.op(newFrameReader(rd.wrap(input)))
			if err != tt.want {
				t.Errorf("%s/%s: %v, want %v", tt.name, rd.name, err, tt.want)
				continue
			}
			if tt.want == errTruncatedFrame {
				var e *Error
				if !errors.As(err, &e) || e.Code != ErrCodeFrameError || !e.IsConnectionError() || e.Remote {
					t.Errorf("%s/%s: %#v is not a local H3_FRAME_ERROR connection error", tt.name, rd.name, err)
				}
			}
		}
	}
}

// TestFrameReaderStreamError checks that an error of the stream itself (a reset, a
// deadline) is returned as it is, not taken for a truncated frame.
func TestFrameReaderStreamError(t *testing.T) {
	errReset := errors.New("stream reset")
	tests := []struct {
		name  string
		input string
		op    func(*frameReader) error
	}{
		{"before a frame", "", func(fr *frameReader) error { _, _, err := fr.next(); return err }},
		{"inside a type", "40", func(fr *frameReader) error { _, _, err := fr.next(); return err }},
		{"inside a payload", "010561", func(fr *frameReader) error {
			fr.next()
			_, err := fr.readPayload(100, errFtTooLarge)
			return err
		}},
		{"inside DATA", "000561", func(fr *frameReader) error {
			fr.next()
			buf := make([]byte, 8<<10)
			for {
				if _, err := fr.readData(buf); err != nil {
					return err
				}
			}
		}},
		{"inside DATA read directly", "0080010000", func(fr *frameReader) error {
			fr.next()
			buf := make([]byte, 8<<10)
			for {
				if _, err := fr.readData(buf); err != nil {
					return err
				}
			}
		}},
		{"skipping", "000561", func(fr *frameReader) error {
			fr.next()
			_, _, err := fr.next()
			return err
		}},
	}
	for _, tt := range tests {
		input, _ := hex.DecodeString(tt.input)
		r := io.MultiReader(bytes.NewReader(input), iotest.ErrReader(errReset))
		if err := tt.op(newFrameReader(r)); err != errReset {
			t.Errorf("%s: %v, want the stream's error", tt.name, err)
		}
	}
}

func TestFrameReaderPayloadLimit(t *testing.T) {
	payload := testData(100)
	stream := ftStream(ftFrame{frameHeaders, payload}, ftFrame{frameGoaway, []byte{8}})
	for _, rd := range ftReaders {
		fr := newFrameReader(rd.wrap(stream))
		if _, _, err := fr.next(); err != nil {
			t.Fatal(err)
		}
		if p, err := fr.readPayload(99, errFtTooLarge); err != errFtTooLarge || p != nil {
			t.Fatalf("%s: readPayload(99) of 100 bytes = %d bytes, %v; want the limit's error", rd.name, len(p), err)
		}
		if fr.remaining != 100 {
			t.Fatalf("%s: a payload over the limit was consumed (%d left)", rd.name, fr.remaining)
		}
		// Nothing was consumed: the payload can still be read with a larger limit.
		p, err := fr.readPayload(100, errFtTooLarge)
		if err != nil || !bytes.Equal(p, payload) {
			t.Fatalf("%s: readPayload(100) = %d bytes, %v", rd.name, len(p), err)
		}
		typ, _, err := fr.next()
		if err != nil || typ != frameGoaway {
			t.Fatalf("%s: frame after: 0x%x, %v", rd.name, typ, err)
		}
		if p, err := fr.readPayload(0, errFtTooLarge); err != errFtTooLarge || p != nil {
			t.Fatalf("%s: readPayload(0) of a 1-byte payload: %v", rd.name, err)
		}
		if p, err := fr.readPayload(8, errFtTooLarge); err != nil || string(p) != "\x08" {
			t.Fatalf("%s: GOAWAY payload %x, %v", rd.name, p, err)
		}
		// An empty payload fits any limit.
		fr = newFrameReader(rd.wrap(ftStream(ftFrame{0x21, nil})))
		fr.next()
		if p, err := fr.readPayload(0, errFtTooLarge); err != nil || len(p) != 0 {
			t.Fatalf("%s: empty payload: %x, %v", rd.name, p, err)
		}
	}
}

// TestFrameReaderLargeData checks that DATA reads larger than the read-ahead go
// straight to the caller's slice, never past the frame.
func TestFrameReaderLargeData(t *testing.T) {
	payload := testData(1 << 20)
	stream := ftStream(ftFrame{frameData, payload}, ftFrame{frameHeaders, []byte("after")})
	fr := newFrameReader(bytes.NewReader(stream))
	if typ, length, err := fr.next(); err != nil || typ != frameData || length != uint64(len(payload)) {
		t.Fatalf("next: 0x%x %d %v", typ, length, err)
	}
	var got []byte
	buf := make([]byte, 256<<10)
	largest := 0
	for fr.remaining > 0 {
		n, err := fr.readData(buf)
		if err != nil {
			t.Fatal(err)
		}
		largest = max(largest, n)
		got = append(got, buf[:n]...)
	}
	if !bytes.Equal(got, payload) {
		t.Fatalf("payload differs (%d bytes read)", len(got))
	}
	if largest <= frameReaderBufSize {
		t.Errorf("largest read %d bytes: large reads are not bypassing the %d-byte buffer", largest, frameReaderBufSize)
	}
	if len(fr.buf) > frameReaderBufSize {
		t.Errorf("the read-ahead buffer grew to %d bytes", len(fr.buf))
	}
	typ, _, err := fr.next()
	if err != nil || typ != frameHeaders {
		t.Fatalf("frame after DATA: 0x%x, %v", typ, err)
	}
	if p, err := fr.readPayload(10, errFtTooLarge); err != nil || string(p) != "after" {
		t.Fatalf("HEADERS after DATA: %q, %v", p, err)
	}
}

func TestParseVarintPayload(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"00", 0, true},
		{"3f", 63, true},
		{"4040", 64, true},
		{"4001", 1, true}, // non-minimal encodings are valid
		{"c000000000000004", 4, true},
		{"", 0, false},
		{"40", 0, false},
		{"0000", 0, false}, // trailing byte
		{"c0000000", 0, false},
	}
	for _, tt := range tests {
		p, _ := hex.DecodeString(tt.in)
		v, err := parseVarintPayload(p, "GOAWAY")
		if tt.ok {
			if err != nil || v != tt.want {
				t.Errorf("%s: %d, %v; want %d", tt.in, v, err, tt.want)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Code != ErrCodeFrameError || !e.IsConnectionError() {
			t.Errorf("%s: %v, want an H3_FRAME_ERROR connection error", tt.in, err)
		} else if !strings.Contains(e.Reason, "GOAWAY") {
			t.Errorf("%s: reason %q does not name the frame", tt.in, e.Reason)
		}
	}
}

func TestIsReserved(t *testing.T) {
	tests := []struct {
		v    uint64
		want bool
	}{
		{0, false}, {0x20, false}, {0x21, true}, {0x22, false}, {0x3f, false},
		{0x40, true}, {0x5f, true}, {0x7e, true}, {0x7f, false}, {0x1f*1000 + 0x21, true},
		{0x1f*1000 + 0x22, false}, {0x1f*0x210842108421083 + 0x21, true}, // the largest below 2^62
		{quicwire.MaxVarint, false},
		{frameData, false}, {frameHeaders, false}, {frameSettings, false}, {framePriorityUpdate, false},
		{settingH3Datagram, false},
	}
	for _, tt := range tests {
		if got := isReserved(tt.v); got != tt.want {
			t.Errorf("isReserved(0x%x) = %v, want %v", tt.v, got, tt.want)
		}
	}
	for seed := uint64(0); seed < 200; seed++ {
		v := greaseValue(seed)
		if !isReserved(v) || v > quicwire.MaxVarint {
			t.Fatalf("greaseValue(%d) = 0x%x is not a reserved value", seed, v)
		}
		b := appendGreaseFrame(nil, seed)
		fr := newFrameReader(bytes.NewReader(b))
		typ, _, err := fr.next()
		if err != nil || typ != v {
			t.Fatalf("grease frame %x: 0x%x, %v", b, typ, err)
		}
		if _, err := fr.readPayload(16, errFtTooLarge); err != nil {
			t.Fatal(err)
		}
		if _, _, err := fr.next(); err != io.EOF {
			t.Fatalf("grease frame %x does not end at its length: %v", b, err)
		}
	}
}

func TestIsHTTP2Frame(t *testing.T) {
	for typ := uint64(0); typ < 0x40; typ++ {
		want := typ == 0x02 || typ == 0x06 || typ == 0x08 || typ == 0x09
		if isHTTP2Frame(typ) != want {
			t.Errorf("isHTTP2Frame(0x%x) = %v", typ, !want)
		}
	}
}
