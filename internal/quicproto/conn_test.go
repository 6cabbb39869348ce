package quicproto

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/internal/quicwire"
)

// testConn drives one connection (the server side of a completed handshake) frame by
// frame under a virtual clock: it writes frames in 1-RTT packets protected with the
// client's keys and decrypts what the connection sends back, in the style of
// golang.org/x/net/quic's tests.
type testConn struct {
	t    testing.TB
	now  int64
	c    *Conn // the connection under test
	peer *Conn // its real peer, used for keys and connection IDs only
	addr netip.AddrPort
	buf  []byte
}

// sentFrameView is one frame the connection sent.
type sentFrameView struct {
	typ quicwire.FrameType
	raw []byte
}

var (
	testClientAddr = netip.MustParseAddrPort("10.0.0.1:4000")
	testServerAddr = netip.MustParseAddrPort("10.0.0.2:443")
)

// newTestConn completes a handshake between a client and a server by passing datagrams
// directly (no loss, 10 ms one way) and returns the server connection under test.
func newTestConn(t testing.TB, opts ...func(client, server *Config)) *testConn {
	t.Helper()
	tc := newTestConnRaw(t, opts...)
	tc.ackAll()
	return tc
}

// newTestConnRaw is newTestConn without the final acknowledgement of the server's packets
// (crafting that ACK uses up a client packet number).
func newTestConnRaw(t testing.TB, opts ...func(client, server *Config)) *testConn {
	t.Helper()
	ccfg, scfg := testConfigs(t, 42)
	for _, o := range opts {
		o(ccfg, scfg)
	}
	sep, err := NewEndpoint(EndpointConfig{Conn: scfg, Server: true})
	if err != nil {
		t.Fatal(err)
	}
	client, err := NewClientConn(ccfg, 0, testServerAddr)
	if err != nil {
		t.Fatal(err)
	}
	tc := &testConn{t: t, peer: client, addr: testClientAddr, buf: make([]byte, 2048)}
	for i := 0; i < 50 && (tc.c == nil || !client.handshakeConfirmed || !tc.c.handshakeConfirmed); i++ {
		tc.now += int64(10 * time.Millisecond)
		for {
			n, _, ok := client.Send(tc.now, tc.buf)
			if !ok {
				break
			}
			if c := sep.Route(tc.now, testClientAddr, append([]byte(nil), tc.buf[:n]...)); c != nil {
				tc.c = c
			}
		}
		if tc.c == nil {
			continue
		}
		tc.now += int64(10 * time.Millisecond)
		for {
			n, _, ok := tc.c.Send(tc.now, tc.buf)
			if !ok {
				break
			}
			client.Receive(tc.now, testServerAddr, append([]byte(nil), tc.buf[:n]...))
		}
	}
	if tc.c == nil || !tc.c.handshakeConfirmed || !client.handshakeConfirmed {
		t.Fatal("handshake did not complete")
	}
	tc.drainEvents()
	return tc
}

func (tc *testConn) drainEvents() {
	for {
		if _, ok := tc.c.NextEvent(); !ok {
			return
		}
	}
}

// ackAll acknowledges every 1-RTT packet the connection sent, so that no PTO fires.
func (tc *testConn) ackAll() {
	if n := tc.c.spaces[levelApp].nextPN; n > 0 {
		tc.writeFrames(enc(quicwire.AckFrame{Ranges: []quicwire.AckRange{{Smallest: 0, Largest: n - 1}}}))
	}
}

// advance moves the clock and runs the connection's timers.
func (tc *testConn) advance(d time.Duration) {
	tc.now += int64(d)
	if dl := tc.c.Deadline(); dl > 0 && dl <= tc.now {
		tc.c.HandleTimeout(tc.now)
	}
}

// writeFrames sends the encoded frames to the connection in one 1-RTT packet.
func (tc *testConn) writeFrames(frames ...[]byte) {
	tc.t.Helper()
	p := tc.peer
	sp := &p.spaces[levelApp]
	pn := sp.nextPN
	sp.nextPN++
	dcid := p.peer.current().id
	b, pnOff := quicwire.AppendShortHeader(nil, dcid.Bytes(), pn, 4, false, false)
	for _, f := range frames {
		b = append(b, f...)
	}
	for len(b) < pnOff+4+16 {
		b = append(b, 0) // PADDING, so that the header protection sample exists
	}
	b, err := p.keyUpd.keys.Seal(b, pnOff, 4, pn)
	if err != nil {
		tc.t.Fatal(err)
	}
	tc.c.Receive(tc.now, tc.addr, b)
}

// readFrames collects every frame the connection sends now.
func (tc *testConn) readFrames() []sentFrameView {
	tc.t.Helper()
	var out []sentFrameView
	for i := 0; ; i++ {
		if i == 1000 {
			tc.t.Fatal("connection keeps sending")
		}
		n, _, ok := tc.c.Send(tc.now, tc.buf)
		if !ok {
			break
		}
		out = append(out, tc.parseDatagram(append([]byte(nil), tc.buf[:n]...))...)
	}
	return out
}

// parseDatagram decrypts a datagram of the connection with the peer's keys.
func (tc *testConn) parseDatagram(d []byte) []sentFrameView {
	tc.t.Helper()
	var out []sentFrameView
	for len(d) > 0 {
		var payload []byte
		var n int
		if quicwire.IsLongHeader(d[0]) {
			h, err := quicwire.ParseLongHeader(d)
			if err != nil {
				tc.t.Fatalf("connection sent a bad long header: %v", err)
			}
			lvl := levelHandshake
			if h.Type == quicwire.PacketInitial {
				lvl = levelInitial
			}
			sp := &tc.peer.spaces[lvl]
			if sp.open == nil {
				tc.t.Fatalf("%v packet without keys", h.Type)
			}
			_, payload, err = sp.open.Open(d[:h.End], h.PNOffset, sp.largestRecv)
			if err != nil {
				tc.t.Fatalf("cannot open %v packet: %v", h.Type, err)
			}
			n = h.End
		} else {
			// The connection may have switched to a connection ID the test issued.
			pnOff := 1 + tc.c.peer.current().id.Len()
			var err error
			_, payload, err = tc.peer.keyUpd.keys.Open(d, pnOff, tc.peer.spaces[levelApp].largestRecv, tc.now)
			if err != nil {
				tc.t.Fatalf("cannot open 1-RTT packet: %v", err)
			}
			n = len(d)
		}
		out = append(out, splitFrames(tc.t, payload)...)
		d = d[n:]
	}
	return out
}

// splitFrames splits a decrypted payload into frames (PADDING runs are skipped).
func splitFrames(t testing.TB, p []byte) []sentFrameView {
	t.Helper()
	var out []sentFrameView
	for len(p) > 0 {
		ft, _, err := quicwire.ParseFrameType(p)
		if err != nil {
			t.Fatalf("connection sent a bad frame: %v", err)
		}
		n := frameLen(t, ft, p)
		if ft != quicwire.FrameTypePadding {
			out = append(out, sentFrameView{typ: ft, raw: p[:n]})
		}
		p = p[n:]
	}
	return out
}

// frameLen returns the length of the frame at the start of p.
func frameLen(t testing.TB, ft quicwire.FrameType, p []byte) int {
	var n int
	var err error
	switch {
	case ft == quicwire.FrameTypePadding:
		n = 1
		for n < len(p) && p[n] == 0 {
			n++
		}
	case ft == quicwire.FrameTypePing || ft == quicwire.FrameTypeHandshakeDone:
		n = 1
	case ft == quicwire.FrameTypeAck || ft == quicwire.FrameTypeAckECN:
		_, n, err = quicwire.ParseAckFrame(p, nil)
	case ft == quicwire.FrameTypeCrypto:
		_, n, err = quicwire.ParseCryptoFrame(p)
	case ft.IsStream():
		_, n, err = quicwire.ParseStreamFrame(p)
	case ft == quicwire.FrameTypeConnectionClose || ft == quicwire.FrameTypeConnectionCloseApp:
		_, n, err = quicwire.ParseConnectionCloseFrame(p)
	case ft == quicwire.FrameTypeNewConnectionID:
		_, n, err = quicwire.ParseNewConnectionIDFrame(p)
	case ft == quicwire.FrameTypeRetireConnectionID:
		_, n, err = quicwire.ParseRetireConnectionIDFrame(p)
	case ft == quicwire.FrameTypePathResponse:
		_, n, err = quicwire.ParsePathResponseFrame(p)
	case ft == quicwire.FrameTypePathChallenge:
		_, n, err = quicwire.ParsePathChallengeFrame(p)
	case ft == quicwire.FrameTypeNewToken:
		_, n, err = quicwire.ParseNewTokenFrame(p)
	case ft == quicwire.FrameTypeResetStream:
		_, n, err = quicwire.ParseResetStreamFrame(p)
	case ft == quicwire.FrameTypeStopSending:
		_, n, err = quicwire.ParseStopSendingFrame(p)
	case ft == quicwire.FrameTypeMaxData:
		_, n, err = quicwire.ParseMaxDataFrame(p)
	case ft == quicwire.FrameTypeMaxStreamData:
		_, n, err = quicwire.ParseMaxStreamDataFrame(p)
	case ft == quicwire.FrameTypeMaxStreamsBidi || ft == quicwire.FrameTypeMaxStreamsUni:
		_, n, err = quicwire.ParseMaxStreamsFrame(p)
	case ft == quicwire.FrameTypeDataBlocked:
		_, n, err = quicwire.ParseDataBlockedFrame(p)
	case ft == quicwire.FrameTypeStreamDataBlocked:
		_, n, err = quicwire.ParseStreamDataBlockedFrame(p)
	case ft == quicwire.FrameTypeStreamsBlockedBidi || ft == quicwire.FrameTypeStreamsBlockedUni:
		_, n, err = quicwire.ParseStreamsBlockedFrame(p)
	default:
		t.Fatalf("unexpected frame type %v sent", ft)
	}
	if err != nil {
		t.Fatalf("connection sent a malformed %v: %v", ft, err)
	}
	return n
}

// find returns the first sent frame of type ft.
func find(frames []sentFrameView, ft quicwire.FrameType) (sentFrameView, bool) {
	for _, f := range frames {
		if f.typ == ft {
			return f, true
		}
	}
	return sentFrameView{}, false
}

// wantClose checks that the connection closed with a transport error code and sent a
// CONNECTION_CLOSE carrying it.
func (tc *testConn) wantClose(code ErrorCode) {
	tc.t.Helper()
	frames := tc.readFrames()
	var te *TransportError
	if err := tc.c.Err(); !errors.As(err, &te) || te.Code != code {
		tc.t.Fatalf("connection error = %v, want %v", err, code)
	}
	f, ok := find(frames, quicwire.FrameTypeConnectionClose)
	if !ok {
		tc.t.Fatalf("no CONNECTION_CLOSE sent; frames %v", frames)
	}
	cc, _, _ := quicwire.ParseConnectionCloseFrame(f.raw)
	if ErrorCode(cc.ErrorCode) != code {
		tc.t.Fatalf("CONNECTION_CLOSE code = %v, want %v", ErrorCode(cc.ErrorCode), code)
	}
}

// enc helpers keep the tables short.
func enc(f interface{ Append([]byte) []byte }) []byte { return f.Append(nil) }

func TestAckDelay(t *testing.T) {
	tc := newTestConn(t)
	tc.writeFrames(enc(quicwire.PingFrame{}))
	if frames := tc.readFrames(); len(frames) != 0 {
		t.Fatalf("one ack-eliciting packet answered at once: %v", frames)
	}
	tc.advance(24 * time.Millisecond)
	if frames := tc.readFrames(); len(frames) != 0 {
		t.Fatalf("ACK sent before max_ack_delay: %v", frames)
	}
	tc.advance(time.Millisecond)
	if _, ok := find(tc.readFrames(), quicwire.FrameTypeAck); !ok {
		t.Fatal("no ACK after max_ack_delay")
	}
	// The second ack-eliciting packet is acknowledged immediately (RFC 9000 13.2.2).
	tc.writeFrames(enc(quicwire.PingFrame{}))
	tc.writeFrames(enc(quicwire.PingFrame{}))
	if _, ok := find(tc.readFrames(), quicwire.FrameTypeAck); !ok {
		t.Fatal("no immediate ACK after two ack-eliciting packets")
	}
	// A gap is acknowledged immediately too (RFC 9000 13.2.1).
	tc.peer.spaces[levelApp].nextPN += 3
	tc.writeFrames(enc(quicwire.PingFrame{}))
	f, ok := find(tc.readFrames(), quicwire.FrameTypeAck)
	if !ok {
		t.Fatal("no immediate ACK after a gap")
	}
	ack, _, _ := quicwire.ParseAckFrame(f.raw, nil)
	if len(ack.Ranges) < 2 {
		t.Errorf("ACK after a gap has ranges %v", ack.Ranges)
	}
	// Non-ack-eliciting packets are not acknowledged on their own.
	tc.ackAll()
	tc.writeFrames(enc(quicwire.PaddingFrame{Count: 3}))
	tc.advance(30 * time.Millisecond)
	if frames := tc.readFrames(); len(frames) > 0 {
		t.Errorf("answer to a PADDING packet: %v", frames)
	}
}

func TestPathChallenge(t *testing.T) {
	tc := newTestConn(t)
	tc.writeFrames(enc(quicwire.PathChallengeFrame{Data: [8]byte{1, 2, 3, 4, 5, 6, 7, 8}}))
	tc.advance(25 * time.Millisecond)
	f, ok := find(tc.readFrames(), quicwire.FrameTypePathResponse)
	if !ok {
		t.Fatal("no PATH_RESPONSE")
	}
	if r, _, _ := quicwire.ParsePathResponseFrame(f.raw); r.Data != [8]byte{1, 2, 3, 4, 5, 6, 7, 8} {
		t.Errorf("PATH_RESPONSE data %x", r.Data)
	}
}

// TestFrameErrors writes one frame that breaks an RFC 9000 rule and checks the connection
// closes with the error code the RFC names.
func TestFrameErrors(t *testing.T) {
	big := make([]byte, 600)
	cases := []struct {
		name   string
		frames [][]byte
		code   ErrorCode
	}{
		{"HANDSHAKE_DONE from client", [][]byte{enc(quicwire.HandshakeDoneFrame{})}, ProtocolViolation},
		{"NEW_TOKEN from client", [][]byte{enc(quicwire.NewTokenFrame{Token: []byte{1}})}, ProtocolViolation},
		{"unknown frame type", [][]byte{{0x40, 0x50}}, FrameEncodingError},
		{"truncated STREAM", [][]byte{{0x0a, 0x00, 0x10, 0x01}}, FrameEncodingError},
		{"DATAGRAM not negotiated", [][]byte{enc(quicwire.DatagramFrame{Data: []byte{1}})}, ProtocolViolation},
		{"ACK of unsent packet", [][]byte{enc(quicwire.AckFrame{Ranges: []quicwire.AckRange{{Smallest: 0, Largest: 1000}}})}, ProtocolViolation},
		{"STREAM on server uni stream", [][]byte{enc(quicwire.StreamFrame{StreamID: 3, Data: []byte("x")})}, StreamStateError},
		{"STREAM on unopened server bidi stream", [][]byte{enc(quicwire.StreamFrame{StreamID: 1, Data: []byte("x")})}, StreamStateError},
		{"MAX_STREAM_DATA on client uni stream", [][]byte{enc(quicwire.MaxStreamDataFrame{StreamID: 2, MaximumStreamData: 10})}, StreamStateError},
		{"STREAM beyond stream limit", [][]byte{enc(quicwire.StreamFrame{StreamID: 4 * 100, Data: []byte("x")})}, StreamLimitError},
		{"STREAM beyond flow control", [][]byte{enc(quicwire.StreamFrame{StreamID: 0, Offset: defaultStreamWindow, Data: []byte("x")})}, FlowControlError},
		{"connection flow control exceeded", [][]byte{
			enc(quicwire.StreamFrame{StreamID: 0, Offset: 500000, Data: []byte("x")}),
			enc(quicwire.StreamFrame{StreamID: 4, Offset: 500000, Data: []byte("x")})}, FlowControlError},
		{"uni stream beyond stream limit", [][]byte{enc(quicwire.StreamFrame{StreamID: 4*100 + 2, Data: []byte("x")})}, StreamLimitError},
		{"final size changed", [][]byte{enc(quicwire.StreamFrame{StreamID: 0, Data: []byte("abc"), Fin: true}),
			enc(quicwire.StreamFrame{StreamID: 0, Data: []byte("abcd"), Fin: true})}, FinalSizeError},
		{"RESET_STREAM below received data", [][]byte{enc(quicwire.StreamFrame{StreamID: 0, Data: []byte("abc")}),
			enc(quicwire.ResetStreamFrame{StreamID: 0, FinalSize: 1})}, FinalSizeError},
		{"RESET_STREAM on server uni stream", [][]byte{enc(quicwire.ResetStreamFrame{StreamID: 3})}, StreamStateError},
		{"STOP_SENDING on client uni stream", [][]byte{enc(quicwire.StopSendingFrame{StreamID: 2})}, StreamStateError},
		{"STOP_SENDING on unopened server stream", [][]byte{enc(quicwire.StopSendingFrame{StreamID: 5})}, StreamStateError},
		{"STREAM_DATA_BLOCKED on server uni stream", [][]byte{enc(quicwire.StreamDataBlockedFrame{StreamID: 3})}, StreamStateError},
		{"MAX_DATA truncated", [][]byte{bytes.Repeat([]byte{0x01}, 20), {0x10}}, FrameEncodingError},
		{"MAX_STREAMS above 2^60", [][]byte{{0x12, 0xd0, 0, 0, 0, 0, 0, 0, 1}}, FrameEncodingError},
		{"RETIRE_CONNECTION_ID never issued", [][]byte{enc(quicwire.RetireConnectionIDFrame{SequenceNumber: 100})}, ProtocolViolation},
		{"too many connection IDs", [][]byte{
			enc(quicwire.NewConnectionIDFrame{SequenceNumber: 10, ConnID: []byte{1, 1, 1, 1}, StatelessResetToken: [16]byte{1}}),
			enc(quicwire.NewConnectionIDFrame{SequenceNumber: 11, ConnID: []byte{2, 2, 2, 2}, StatelessResetToken: [16]byte{2}}),
			enc(quicwire.NewConnectionIDFrame{SequenceNumber: 12, ConnID: []byte{3, 3, 3, 3}, StatelessResetToken: [16]byte{3}}),
			enc(quicwire.NewConnectionIDFrame{SequenceNumber: 13, ConnID: []byte{4, 4, 4, 4}, StatelessResetToken: [16]byte{4}}),
		}, ConnectionIDLimitError},
		{"connection ID sequence reused", [][]byte{
			enc(quicwire.NewConnectionIDFrame{SequenceNumber: 1, ConnID: []byte{9, 9, 9, 9}, StatelessResetToken: [16]byte{1}}),
		}, ProtocolViolation},
		{"CRYPTO beyond buffer", [][]byte{enc(quicwire.CryptoFrame{Offset: maxCryptoBuffer, Data: big[:10]})}, CryptoBufferExceeded},
		{"empty packet", [][]byte{}, ProtocolViolation},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestConn(t)
			if len(tc.frames) == 0 {
				c.writeEmptyPacket()
			} else {
				c.writeFrames(tc.frames...)
			}
			c.wantClose(tc.code)
		})
	}
}

// writeEmptyPacket sends a 1-RTT packet with no frame at all (only possible with a long
// packet number, so that header protection has its sample).
func (tc *testConn) writeEmptyPacket() {
	p := tc.peer
	sp := &p.spaces[levelApp]
	pn := sp.nextPN
	sp.nextPN++
	dcid := p.peer.current().id
	b, pnOff := quicwire.AppendShortHeader(nil, dcid.Bytes(), pn, 4, false, false)
	b, err := p.keyUpd.keys.Seal(b, pnOff, 4, pn)
	if err != nil {
		tc.t.Fatal(err)
	}
	tc.c.Receive(tc.now, tc.addr, b)
}

// TestDrainingSendsNothing: after the peer's CONNECTION_CLOSE the connection drains: it
// reports the peer's error and sends nothing more, even when packets keep arriving.
func TestDrainingSendsNothing(t *testing.T) {
	tc := newTestConn(t)
	tc.writeFrames(enc(quicwire.ConnectionCloseFrame{ErrorCode: uint64(ProtocolViolation), Reason: []byte("oops")}))
	var te *TransportError
	if !errors.As(tc.c.Err(), &te) || te.Code != ProtocolViolation {
		t.Fatalf("error %v", tc.c.Err())
	}
	tc.writeFrames(enc(quicwire.PingFrame{}))
	tc.advance(50 * time.Millisecond)
	if frames := tc.readFrames(); len(frames) != 0 {
		t.Fatalf("draining connection sent %v", frames)
	}
	tc.advance(10 * time.Second)
	if !tc.c.Done() {
		t.Fatal("draining did not end after three PTOs")
	}
}

// TestClosingRepeatsClose: a closing connection answers further packets with its
// CONNECTION_CLOSE (RFC 9000 section 10.2.1).
func TestClosingRepeatsClose(t *testing.T) {
	tc := newTestConn(t)
	tc.c.CloseWithError(tc.now, 7, "done")
	f, ok := find(tc.readFrames(), quicwire.FrameTypeConnectionCloseApp)
	if !ok {
		t.Fatal("no CONNECTION_CLOSE")
	}
	if cc, _, _ := quicwire.ParseConnectionCloseFrame(f.raw); cc.ErrorCode != 7 || string(cc.Reason) != "done" {
		t.Fatalf("CONNECTION_CLOSE %+v", cc)
	}
	if frames := tc.readFrames(); len(frames) != 0 {
		t.Fatalf("closing connection sent %v unprompted", frames)
	}
	tc.writeFrames(enc(quicwire.PingFrame{}))
	if _, ok := find(tc.readFrames(), quicwire.FrameTypeConnectionCloseApp); !ok {
		t.Fatal("CONNECTION_CLOSE not repeated")
	}
}
