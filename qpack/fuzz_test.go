package qpack

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// corpusSeeds returns a few blocks (encoder stream, field sections) from the
// offline interop corpus, as real encodings to seed the fuzzers with.
func corpusSeeds(f *testing.F, encoderStream bool) [][]byte {
	var out [][]byte
	for _, name := range []string{"ls-qpack/netbsd.out.256.100.0", "nghttp3/netbsd.out.512.100.1", "ls-qpack/fb-resp.out.4096.100.1"} {
		b, err := os.ReadFile(filepath.Join("testdata/interop/encoded/qpack-05", name))
		if err != nil {
			f.Fatal(err)
		}
		for n := 0; len(b) >= 12 && n < 8; n++ {
			id := binary.BigEndian.Uint64(b)
			l := int(binary.BigEndian.Uint32(b[8:]))
			if l > len(b)-12 {
				break
			}
			if (id == 0) == encoderStream {
				out = append(out, b[12:12+l])
			}
			b = b[12+l:]
		}
	}
	return out
}

// FuzzDecodeFieldSection decodes arbitrary field sections against a table
// filled by an arbitrary encoder stream.
func FuzzDecodeFieldSection(f *testing.F) {
	f.Add(unhex(f, b2Encoder), unhex(f, b2Section))
	f.Add(unhex(f, b2Encoder+b3Encoder+b4Encoder), unhex(f, b4Section))
	f.Add([]byte{}, unhex(f, b1Section))
	for _, s := range corpusSeeds(f, false) {
		f.Add(unhex(f, b2Encoder), s)
	}
	f.Fuzz(func(t *testing.T, enc, section []byte) {
		d := NewDecoder(DecoderConfig{MaxTableCapacity: 4096, MaxBlockedStreams: 2, InitialTableCapacity: 4096})
		_ = d.WriteEncoderStream(enc)
		fields, blocked, err := d.DecodeFieldSection(nil, 4, section)
		checkErr(t, err, CodeDecompressionFailed)
		if err == nil && !blocked {
			var size uint64
			for _, fl := range fields {
				size += fl.Size()
			}
			if size > DefaultMaxFieldSectionSize {
				t.Fatalf("section of %d bytes exceeds the limit", size)
			}
		}
		d.AppendDecoderStream(nil)
	})
}

// FuzzEncoderStream feeds arbitrary encoder-stream bytes in two chunks.
func FuzzEncoderStream(f *testing.F) {
	f.Add(unhex(f, b2Encoder+b3Encoder+b4Encoder+b5Encoder), 5)
	f.Add(unhex(f, smallTable+"01"), 3)
	for _, s := range corpusSeeds(f, true) {
		f.Add(s, len(s)/2)
	}
	f.Fuzz(func(t *testing.T, b []byte, split int) {
		if split < 0 || split > len(b) {
			split = len(b) / 2
		}
		d := NewDecoder(DecoderConfig{MaxTableCapacity: 4096, MaxStringLength: 1024})
		err := d.WriteEncoderStream(b[:split])
		if err == nil {
			err = d.WriteEncoderStream(b[split:])
		}
		checkErr(t, err, CodeEncoderStreamError)
		if size, capacity := d.TableSize(); size > capacity {
			t.Fatalf("table size %d over capacity %d", size, capacity)
		}
		if len(d.encBuf) > 2*1024+32 {
			t.Fatalf("buffered %d bytes of a partial instruction", len(d.encBuf))
		}
	})
}

// FuzzDecoderStream feeds arbitrary decoder-stream bytes to an encoder with
// outstanding sections.
func FuzzDecoderStream(f *testing.F) {
	f.Add(unhex(f, "84 01 48"))
	f.Add(unhex(f, "02 88 c8"))
	f.Add(unhex(f, "ff ffffffffffffffffff 01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		e := NewEncoder(EncoderConfig{MaxTableCapacity: 4096, MaxBlockedStreams: 4})
		e.EncodeFieldSection(nil, 4, []HeaderField{hf("x-a", "1"), hf("x-b", "2")})
		e.EncodeFieldSection(nil, 8, []HeaderField{hf("x-a", "1"), hf("x-c", "3")})
		err := e.WriteDecoderStream(b)
		checkErr(t, err, CodeDecoderStreamError)
		if e.KnownReceivedCount() > e.InsertCount() {
			t.Fatalf("KRC %d beyond insert count %d", e.KnownReceivedCount(), e.InsertCount())
		}
		// The encoder must keep working after any valid feedback.
		if err == nil {
			e.EncodeFieldSection(nil, 12, []HeaderField{hf("x-a", "1"), hf("x-d", "4")})
		}
	})
}

// FuzzHuffman decodes arbitrary input and checks the round trip of
// whatever decodes.
func FuzzHuffman(f *testing.F) {
	f.Add([]byte("www.example.com"))
	f.Add(AppendHuffman(nil, "custom-value"))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		enc := AppendHuffman(nil, string(b))
		dec, err := AppendHuffmanDecode(nil, enc)
		if err != nil || !bytes.Equal(dec, b) {
			t.Fatalf("round trip of %x: %x %v", b, dec, err)
		}
		if len(enc) != HuffmanEncodedLen(string(b)) {
			t.Fatalf("length %d, predicted %d", len(enc), HuffmanEncodedLen(string(b)))
		}
		out, err := AppendHuffmanDecode(nil, b)
		checkErr(t, err, CodeDecompressionFailed)
		if err == nil && !bytes.Equal(AppendHuffman(nil, string(out)), b) {
			t.Fatalf("%x decodes to %q, which does not encode back", b, out)
		}
	})
}

// checkErr fails unless err is nil or an *Error with the wanted code.
func checkErr(t *testing.T, err error, code ErrorCode) {
	t.Helper()
	if err == nil || err == ErrFieldSectionTooLarge {
		return
	}
	var qe *Error
	if !errors.As(err, &qe) || qe.Code != code {
		t.Fatalf("error %v (%T), want code %v", err, err, code)
	}
}

// FuzzRoundTrip encodes arbitrary header lists (built from the input:
// fields separated by 0x00, name and value by 0x01, lists by 0x02) with a
// small table and decodes them back.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte(":method\x01GET\x00x-a\x01\x00\x02x-a\x01\x00cookie\x01id=1"), uint8(1))
	f.Add([]byte("\x01\x00\x01\x02\x02user-agent\x01Mozilla/5.0 (X11)"), uint8(0))
	f.Fuzz(func(t *testing.T, b []byte, blocked uint8) {
		e := NewEncoder(EncoderConfig{MaxTableCapacity: 128, MaxBlockedStreams: uint64(blocked % 3)})
		d := NewDecoder(DecoderConfig{MaxTableCapacity: 128, MaxBlockedStreams: uint64(blocked % 3)})
		for i, list := range bytes.Split(b, []byte{2}) {
			var fields []HeaderField
			for _, fl := range bytes.Split(list, []byte{0}) {
				name, value, _ := bytes.Cut(fl, []byte{1})
				fields = append(fields, HeaderField{Name: string(name), Value: string(value)})
			}
			id := uint64(i) * 4
			sec := e.EncodeFieldSection(nil, id, fields)
			if err := d.WriteEncoderStream(e.AppendEncoderStream(nil)); err != nil {
				t.Fatal(err)
			}
			got, blockedNow, err := d.DecodeFieldSection(nil, id, sec)
			if err != nil || blockedNow {
				t.Fatalf("list %d: blocked=%v %v", i, blockedNow, err)
			}
			if len(got) != len(fields) {
				t.Fatalf("list %d: %d fields, want %d", i, len(got), len(fields))
			}
			for j := range got {
				if got[j].Name != fields[j].Name || got[j].Value != fields[j].Value {
					t.Fatalf("list %d field %d: %+v", i, j, got[j])
				}
			}
			if blocked&4 == 0 { // sometimes never acknowledge
				if err := e.WriteDecoderStream(d.AppendDecoderStream(nil)); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}
