package quicproto

import (
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/internal/quicwire"
)

// FuzzConnFrames writes arbitrary frame bytes to an established connection in a correctly
// protected 1-RTT packet, so the whole frame-processing state machine is reached: it must
// never panic, and whatever it sends must parse.
func FuzzConnFrames(f *testing.F) {
	seeds := [][]byte{
		enc(quicwire.PingFrame{}),
		enc(quicwire.StreamFrame{StreamID: 0, Data: []byte("hello"), Fin: true}),
		enc(quicwire.StreamFrame{StreamID: 2, Offset: 10, Data: []byte("uni")}),
		enc(quicwire.AckFrame{Ranges: []quicwire.AckRange{{Smallest: 0, Largest: 2}}}),
		enc(quicwire.CryptoFrame{Offset: 0, Data: []byte{4, 0, 0, 1, 0}}),
		enc(quicwire.ResetStreamFrame{StreamID: 0, ErrorCode: 1, FinalSize: 0}),
		enc(quicwire.StopSendingFrame{StreamID: 1, ErrorCode: 2}),
		enc(quicwire.MaxDataFrame{MaximumData: 1 << 30}),
		enc(quicwire.MaxStreamDataFrame{StreamID: 1, MaximumStreamData: 100}),
		enc(quicwire.MaxStreamsFrame{Bidi: true, MaximumStreams: 1000}),
		enc(quicwire.NewConnectionIDFrame{SequenceNumber: 5, RetirePriorTo: 2, ConnID: []byte{1, 2, 3, 4}}),
		enc(quicwire.RetireConnectionIDFrame{SequenceNumber: 1}),
		enc(quicwire.PathChallengeFrame{Data: [8]byte{1}}),
		enc(quicwire.ConnectionCloseFrame{App: true, ErrorCode: 3, Reason: []byte("bye")}),
		append(enc(quicwire.StreamFrame{StreamID: 4, Data: []byte("a")}), enc(quicwire.DataBlockedFrame{MaximumData: 5})...),
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		tc := newTestConn(t)
		tc.writeFrames(payload)
		tc.advance(30 * time.Millisecond)
		tc.readFrames() // decrypts and parses everything sent, failing on malformed frames
	})
}

// FuzzEndpointDatagram gives arbitrary datagrams to a server endpoint: header parsing,
// version negotiation, Initial handling and stateless resets must never panic.
func FuzzEndpointDatagram(f *testing.F) {
	ccfg, scfg := testConfigs(f, 77)
	client, err := NewClientConn(ccfg, 0, testServerAddr)
	if err != nil {
		f.Fatal(err)
	}
	buf := make([]byte, 1500)
	n, _, _ := client.Send(0, buf)
	f.Add(append([]byte(nil), buf[:n]...)) // a real client Initial
	f.Add([]byte{0x40, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24})
	f.Add(append([]byte{0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0}, make([]byte, 1200)...))
	f.Fuzz(func(t *testing.T, d []byte) {
		ep, err := NewEndpoint(EndpointConfig{Conn: scfg, Server: true})
		if err != nil {
			t.Fatal(err)
		}
		c := ep.Route(0, testClientAddr, d)
		out := make([]byte, 1500)
		for i := 0; i < 10; i++ {
			if _, _, ok := ep.Send(0, out); !ok {
				break
			}
		}
		if c != nil {
			c.HandleTimeout(int64(time.Second))
		}
	})
}

// FuzzOpenToken feeds arbitrary tokens to the address validation token opener.
func FuzzOpenToken(f *testing.F) {
	var key [32]byte
	_, scfg := testConfigs(f, 3)
	s, err := newTokenSealer(key, scfg.Rand)
	if err != nil {
		f.Fatal(err)
	}
	tok, _ := s.appendToken(nil, tokenKindRetry, 5, testClientAddr, []byte{1, 2, 3, 4, 5, 6, 7, 8}, []byte{9, 9})
	f.Add(tok)
	tok, _ = s.appendToken(nil, tokenKindNewToken, 5, testClientAddr, nil, nil)
	f.Add(tok)
	f.Fuzz(func(t *testing.T, b []byte) {
		ot, err := s.openToken(b, testClientAddr)
		if err == nil && ot.kind != tokenKindRetry && ot.kind != tokenKindNewToken {
			t.Fatalf("opened a token of kind %x", ot.kind)
		}
	})
}
