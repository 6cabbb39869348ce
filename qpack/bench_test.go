package qpack

import "testing"

// A typical browser request and response header list.
var (
	benchRequest = []HeaderField{
		{Name: ":method", Value: "GET"},
		{Name: ":scheme", Value: "https"},
		{Name: ":authority", Value: "www.example.com"},
		{Name: ":path", Value: "/static/js/app.3f9a1c.js"},
		{Name: "sec-ch-ua", Value: `"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"`},
		{Name: "sec-ch-ua-mobile", Value: "?0"},
		{Name: "user-agent", Value: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"},
		{Name: "sec-ch-ua-platform", Value: `"Linux"`},
		{Name: "accept", Value: "*/*"},
		{Name: "sec-fetch-site", Value: "same-origin"},
		{Name: "sec-fetch-mode", Value: "no-cors"},
		{Name: "sec-fetch-dest", Value: "script"},
		{Name: "referer", Value: "https://www.example.com/"},
		{Name: "accept-encoding", Value: "gzip, deflate, br, zstd"},
		{Name: "accept-language", Value: "en-US,en;q=0.9"},
		{Name: "cookie", Value: "session=4f3c2a1b9e8d7c6b5a49382716051234; theme=dark; consent=yes"},
	}
	benchResponse = []HeaderField{
		{Name: ":status", Value: "200"},
		{Name: "content-type", Value: "application/javascript"},
		{Name: "content-length", Value: "48213"},
		{Name: "date", Value: "Wed, 25 Nov 2026 21:00:00 GMT"},
		{Name: "cache-control", Value: "public, max-age=31536000"},
		{Name: "etag", Value: `"5f3c-61a2b3c4d5e6f"`},
		{Name: "last-modified", Value: "Tue, 24 Nov 2026 10:00:00 GMT"},
		{Name: "server", Value: "h3wasi"},
		{Name: "vary", Value: "accept-encoding"},
		{Name: "content-encoding", Value: "br"},
		{Name: "strict-transport-security", Value: "max-age=31536000; includesubdomains"},
		{Name: "x-content-type-options", Value: "nosniff"},
		{Name: "alt-svc", Value: `h3=":443"; ma=86400`},
	}
)

// warm returns an encoder and decoder that have exchanged fields a few
// times, with every acknowledgment delivered.
func warm(b *testing.B, fields []HeaderField) (*Encoder, *Decoder, []byte) {
	e := NewEncoder(EncoderConfig{MaxTableCapacity: 4096, MaxBlockedStreams: 100})
	d := NewDecoder(DecoderConfig{MaxTableCapacity: 4096, MaxBlockedStreams: 100})
	var sec []byte
	for i := uint64(0); i < 4; i++ {
		sec = e.EncodeFieldSection(sec[:0], i*4, fields)
		if err := d.WriteEncoderStream(e.AppendEncoderStream(nil)); err != nil {
			b.Fatal(err)
		}
		if _, _, err := d.DecodeFieldSection(nil, i*4, sec); err != nil {
			b.Fatal(err)
		}
		if err := e.WriteDecoderStream(d.AppendDecoderStream(nil)); err != nil {
			b.Fatal(err)
		}
	}
	return e, d, sec
}

func benchEncode(b *testing.B, fields []HeaderField) {
	e, _, _ := warm(b, fields)
	var sec, ack []byte
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := uint64(i+16) * 4
		sec = e.EncodeFieldSection(sec[:0], id, fields)
		// The peer acknowledges each section, as in steady state.
		ack = appendInt(ack[:0], 0x80, 7, id)
		if err := e.WriteDecoderStream(ack); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(sec)))
}

func benchDecode(b *testing.B, fields []HeaderField) {
	_, d, sec := warm(b, fields)
	out := make([]HeaderField, 0, len(fields))
	var ds []byte
	b.ReportAllocs()
	b.SetBytes(int64(len(sec)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var err error
		out, _, err = d.DecodeFieldSection(out[:0], uint64(i)*4, sec)
		if err != nil {
			b.Fatal(err)
		}
		ds = d.AppendDecoderStream(ds[:0])
	}
}

func BenchmarkEncodeRequest(b *testing.B)  { benchEncode(b, benchRequest) }
func BenchmarkEncodeResponse(b *testing.B) { benchEncode(b, benchResponse) }
func BenchmarkDecodeRequest(b *testing.B)  { benchDecode(b, benchRequest) }
func BenchmarkDecodeResponse(b *testing.B) { benchDecode(b, benchResponse) }

// BenchmarkDecodeLiteralRequest decodes a request with no dynamic table:
// every value is a (mostly Huffman) literal.
func BenchmarkDecodeLiteralRequest(b *testing.B) {
	e := NewEncoder(EncoderConfig{})
	d := NewDecoder(DecoderConfig{})
	sec := e.EncodeFieldSection(nil, 0, benchRequest)
	out := make([]HeaderField, 0, len(benchRequest))
	b.ReportAllocs()
	b.SetBytes(int64(len(sec)))
	for i := 0; i < b.N; i++ {
		var err error
		if out, _, err = d.DecodeFieldSection(out[:0], 0, sec); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHuffmanDecode(b *testing.B) {
	src := AppendHuffman(nil, benchRequest[6].Value)
	var dst []byte
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for i := 0; i < b.N; i++ {
		var err error
		if dst, err = AppendHuffmanDecode(dst[:0], src); err != nil {
			b.Fatal(err)
		}
	}
}
