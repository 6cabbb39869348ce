package quicwire_test

import (
	"fmt"

	"github.com/h3wasi/h3wasi/internal/quicwire"
)

// A receive loop: dispatch on the frame type, parse, advance.
func ExampleParseFrameType() {
	var payload []byte
	payload = quicwire.PingFrame{}.Append(payload)
	payload = quicwire.AckFrame{Ranges: []quicwire.AckRange{{Smallest: 3, Largest: 7}, {Smallest: 0, Largest: 1}}}.Append(payload)
	payload = quicwire.StreamFrame{StreamID: 4, Data: []byte("hi"), Fin: true, OmitLength: true}.Append(payload)

	ranges := make([]quicwire.AckRange, 0, 8) // reused across packets
	for len(payload) > 0 {
		t, _, err := quicwire.ParseFrameType(payload)
		if err != nil {
			fmt.Println(err)
			return
		}
		if !t.AllowedIn(quicwire.Packet1RTT) {
			fmt.Println("PROTOCOL_VIOLATION")
			return
		}
		var n int
		switch {
		case t == quicwire.FrameTypePing:
			_, n, err = quicwire.ParsePingFrame(payload)
			fmt.Println("PING")
		case t == quicwire.FrameTypeAck || t == quicwire.FrameTypeAckECN:
			var f quicwire.AckFrame
			f, n, err = quicwire.ParseAckFrame(payload, ranges)
			ranges = f.Ranges
			fmt.Println("ACK", f.Ranges)
		case t.IsStream():
			var f quicwire.StreamFrame
			f, n, err = quicwire.ParseStreamFrame(payload)
			fmt.Printf("STREAM %d %q fin=%v\n", f.StreamID, f.Data, f.Fin)
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		payload = payload[n:]
	}
	// Output:
	// PING
	// ACK [{3 7} {0 1}]
	// STREAM 4 "hi" fin=true
}

// Building a Handshake packet: header with a reserved Length, frames that fit,
// then the Length patched before the payload is sealed.
func ExampleAppendLongHeader() {
	const tagLen = 16 // AEAD tag, appended by packet protection
	dcid, scid := []byte{1, 2, 3, 4}, []byte{5, 6, 7, 8}
	pkt := make([]byte, 0, 1200)
	pkt, lengthOff, pnOff := quicwire.AppendLongHeader(pkt, quicwire.PacketHandshake, quicwire.Version1, dcid, scid, nil, 0, 1)

	crypto := quicwire.CryptoFrame{Offset: 0}
	room := cap(pkt) - len(pkt) - tagLen
	data := make([]byte, 5000) // more handshake data than fits
	crypto.Data = data[:crypto.MaxDataLen(room)]
	pkt = crypto.Append(pkt)

	quicwire.PatchLength(pkt, lengthOff, len(pkt)-pnOff+tagLen)
	h, _ := quicwire.ParseLongHeader(append(pkt, make([]byte, tagLen)...))
	fmt.Println(h.Type, len(crypto.Data), h.End)
	// Output: Handshake 1162 1200
}
