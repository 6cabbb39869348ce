package quicproto

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/internal/protect"
	"github.com/h3wasi/h3wasi/internal/quicwire"
)

func TestStopSendingAnsweredWithReset(t *testing.T) {
	tc := newTestConn(t)
	s, ok := tc.c.OpenStream(false)
	if !ok {
		t.Fatal("OpenStream")
	}
	s.Write([]byte("hello"))
	tc.readFrames()
	tc.writeFrames(enc(quicwire.StopSendingFrame{StreamID: uint64(s.ID()), ErrorCode: 77}))
	tc.advance(25 * time.Millisecond)
	f, ok := find(tc.readFrames(), quicwire.FrameTypeResetStream)
	if !ok {
		t.Fatal("no RESET_STREAM after STOP_SENDING")
	}
	rs, _, _ := quicwire.ParseResetStreamFrame(f.raw)
	if rs.ErrorCode != 77 || rs.StreamID != uint64(s.ID()) || rs.FinalSize != 5 {
		t.Errorf("RESET_STREAM = %+v", rs)
	}
}

func TestPeerStreamDataAndFin(t *testing.T) {
	tc := newTestConn(t)
	tc.writeFrames(enc(quicwire.StreamFrame{StreamID: 4, Offset: 3, Data: []byte("def"), Fin: true}))
	tc.writeFrames(enc(quicwire.StreamFrame{StreamID: 4, Data: []byte("abc")}))
	var opened []StreamID
	for {
		ev, ok := tc.c.NextEvent()
		if !ok {
			break
		}
		if ev.Kind == EventStreamOpened {
			opened = append(opened, ev.Stream)
		}
	}
	// Opening stream 4 implicitly opens stream 0 (RFC 9000 section 3.2).
	if len(opened) != 2 || opened[0] != 0 || opened[1] != 4 {
		t.Fatalf("opened %v, want [0 4]", opened)
	}
	buf := make([]byte, 10)
	n, err := tc.c.Stream(4).Read(buf)
	if string(buf[:n]) != "abcdef" || !errors.Is(err, io.EOF) {
		t.Fatalf("Read = %q, %v", buf[:n], err)
	}
}

func TestConnIDRotation(t *testing.T) {
	tc := newTestConn(t)
	// The server issued active_connection_id_limit-1 more IDs after the handshake.
	if got := len(tc.c.local.cids); got != defaultActiveCIDLimit {
		t.Fatalf("server has %d active CIDs, want %d", got, defaultActiveCIDLimit)
	}
	// Retiring one makes the server issue a replacement.
	seq := tc.c.local.cids[1].seq
	tc.writeFrames(enc(quicwire.RetireConnectionIDFrame{SequenceNumber: seq}))
	tc.advance(25 * time.Millisecond)
	f, ok := find(tc.readFrames(), quicwire.FrameTypeNewConnectionID)
	if !ok {
		t.Fatal("no NEW_CONNECTION_ID after RETIRE_CONNECTION_ID")
	}
	if nc, _, _ := quicwire.ParseNewConnectionIDFrame(f.raw); nc.SequenceNumber != tc.c.local.nextSeq-1 {
		t.Errorf("new CID sequence %d", nc.SequenceNumber)
	}
	// Retire Prior To makes the server retire the client's older IDs.
	tc.writeFrames(enc(quicwire.NewConnectionIDFrame{SequenceNumber: 10, RetirePriorTo: 10,
		ConnID: []byte{9, 9, 9, 9, 9, 9, 9, 9}, StatelessResetToken: [16]byte{9}}))
	tc.advance(25 * time.Millisecond)
	frames := tc.readFrames()
	var retired []uint64
	for _, f := range frames {
		if f.typ == quicwire.FrameTypeRetireConnectionID {
			r, _, _ := quicwire.ParseRetireConnectionIDFrame(f.raw)
			retired = append(retired, r.SequenceNumber)
		}
	}
	if len(retired) != 4 {
		t.Errorf("retired %v, want the 4 older IDs", retired)
	}
	if cur := tc.c.peer.current(); cur.seq != 10 {
		t.Errorf("server still uses peer CID %d", cur.seq)
	}
}

// TestFrameNotAllowedInInitial sends an Initial packet with a STREAM frame to a server.
func TestFrameNotAllowedInInitial(t *testing.T) {
	_, scfg := testConfigs(t, 5)
	ep, err := NewEndpoint(EndpointConfig{Conn: scfg, Server: true})
	if err != nil {
		t.Fatal(err)
	}
	dcid := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	seal, _, err := protect.NewInitialKeys(Version1, dcid, true)
	if err != nil {
		t.Fatal(err)
	}
	b, lenOff, pnOff := quicwire.AppendLongHeader(nil, quicwire.PacketInitial, Version1, dcid, []byte{9, 9}, nil, 0, 2)
	b = quicwire.StreamFrame{StreamID: 0, Data: []byte("x")}.Append(b)
	b = append(b, make([]byte, 1200-len(b))...)
	quicwire.PatchLength(b, lenOff, len(b)+protect.TagLen-pnOff)
	b, err = seal.Seal(b, pnOff, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	c := ep.Route(0, testClientAddr, b)
	if c == nil {
		t.Fatal("no connection created")
	}
	var te *TransportError
	if !errors.As(c.Err(), &te) || te.Code != ProtocolViolation {
		t.Fatalf("error %v, want PROTOCOL_VIOLATION", c.Err())
	}
	// The server answers with CONNECTION_CLOSE in an Initial packet.
	buf := make([]byte, 1500)
	if _, _, ok := c.Send(0, buf); !ok {
		t.Fatal("no CONNECTION_CLOSE sent")
	}
}

// newClientTestConn is newTestConn with the roles swapped: the client is under test.
func newClientTestConn(t testing.TB) *testConn {
	tc := newTestConnRaw(t)
	tc.c, tc.peer = tc.peer, tc.c
	tc.addr = testServerAddr
	tc.drainEvents()
	tc.ackAll()
	return tc
}

func TestClientFrames(t *testing.T) {
	tc := newClientTestConn(t)
	tc.writeFrames(enc(quicwire.NewTokenFrame{Token: []byte("token")}))
	var token []byte
	for {
		ev, ok := tc.c.NextEvent()
		if !ok {
			break
		}
		if ev.Kind == EventNewToken {
			token = ev.Token
		}
	}
	if string(token) != "token" {
		t.Fatalf("NEW_TOKEN event token %q", token)
	}
	// A repeated HANDSHAKE_DONE is harmless.
	tc.writeFrames(enc(quicwire.HandshakeDoneFrame{}))
	if tc.c.Err() != nil {
		t.Fatal(tc.c.Err())
	}
	// STREAM on the client's own unidirectional stream is a STREAM_STATE_ERROR.
	tc.writeFrames(enc(quicwire.StreamFrame{StreamID: 2, Data: []byte("x")}))
	tc.wantClose(StreamStateError)
}

// FuzzClientFrames is FuzzConnFrames against the client side.
func FuzzClientFrames(f *testing.F) {
	f.Add(enc(quicwire.NewTokenFrame{Token: []byte("t")}))
	f.Add(enc(quicwire.HandshakeDoneFrame{}))
	f.Add(enc(quicwire.StreamFrame{StreamID: 1, Data: []byte("server bidi")}))
	f.Add(enc(quicwire.StreamFrame{StreamID: 3, Data: []byte("server uni"), Fin: true}))
	f.Add(enc(quicwire.CryptoFrame{Data: []byte{4, 0, 0, 2, 0, 0}}))
	f.Fuzz(func(t *testing.T, payload []byte) {
		tc := newClientTestConn(t)
		tc.writeFrames(payload)
		tc.advance(30 * time.Millisecond)
		tc.readFrames()
	})
}
