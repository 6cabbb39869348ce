package qpack_test

import (
	"fmt"

	"github.com/h3wasi/h3wasi/qpack"
)

// Example shows an HTTP/3 client's encoder talking to a server's decoder:
// the encoder stream and the decoder stream carry table state between the
// two, and field sections travel in HEADERS frames.
func Example() {
	// Each side advertises its decoder limits in SETTINGS; the peer's
	// encoder must respect them.
	settings := qpack.DecoderConfig{MaxTableCapacity: 4096, MaxBlockedStreams: 16}
	dec := qpack.NewDecoder(settings)
	enc := qpack.NewEncoder(qpack.EncoderConfig{
		MaxTableCapacity:  settings.MaxTableCapacity,
		MaxBlockedStreams: settings.MaxBlockedStreams,
	})
	request := []qpack.HeaderField{
		{Name: ":method", Value: "GET"},
		{Name: ":scheme", Value: "https"},
		{Name: ":authority", Value: "example.com"},
		{Name: ":path", Value: "/"},
		{Name: "user-agent", Value: "h3wasi-example/1.0"},
		{Name: "authorization", Value: "Bearer secret", Sensitive: true},
	}
	for _, stream := range []uint64{0, 4} {
		// Client: encode, then write the encoder-stream bytes and the
		// HEADERS frame.
		headers := enc.EncodeFieldSection(nil, stream, request)
		encoderStream := enc.AppendEncoderStream(nil)

		// Server: feed the encoder stream, decode the HEADERS payload.
		if err := dec.WriteEncoderStream(encoderStream); err != nil {
			panic(err)
		}
		fields, blocked, err := dec.DecodeFieldSection(nil, stream, headers)
		if err != nil || blocked {
			panic(fmt.Sprint(blocked, err))
		}
		fmt.Printf("stream %d: %d bytes of HEADERS, %d on the encoder stream, %s=%s\n",
			stream, len(headers), len(encoderStream), fields[4].Name, fields[4].Value)

		// Server: acknowledgments go back on the decoder stream.
		if err := enc.WriteDecoderStream(dec.AppendDecoderStream(nil)); err != nil {
			panic(err)
		}
	}
	// Output:
	// stream 0: 19 bytes of HEADERS, 29 on the encoder stream, user-agent=h3wasi-example/1.0
	// stream 4: 19 bytes of HEADERS, 0 on the encoder stream, user-agent=h3wasi-example/1.0
}

// ExampleDecoder shows a blocked field section: it arrives before the
// encoder-stream insert it references and is decoded once the insert comes.
func ExampleDecoder() {
	enc := qpack.NewEncoder(qpack.EncoderConfig{MaxTableCapacity: 4096, MaxBlockedStreams: 1})
	dec := qpack.NewDecoder(qpack.DecoderConfig{MaxTableCapacity: 4096, MaxBlockedStreams: 1})
	fields := []qpack.HeaderField{{Name: "x-trace", Value: "abc"}}
	headers := enc.EncodeFieldSection(nil, 8, fields)
	encoderStream := enc.AppendEncoderStream(nil)

	_, blocked, _ := dec.DecodeFieldSection(nil, 8, headers)
	fmt.Println("blocked:", blocked)
	_ = dec.WriteEncoderStream(encoderStream)
	for _, id := range dec.ReadyStreams(nil) {
		got, err := dec.ResumeFieldSection(nil, id)
		fmt.Println(id, got, err)
	}
	fmt.Printf("decoder stream: %x\n", dec.AppendDecoderStream(nil))
	// Output:
	// blocked: true
	// 8 [{x-trace abc false}] <nil>
	// decoder stream: 88
}
