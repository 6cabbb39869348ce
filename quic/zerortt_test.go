package quic

import (
	"crypto/tls"
	"io"
	"net"
	"sync/atomic"
	"testing"
)

func TestResumptionAnd0RTT(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw network) {
		for _, accept := range []bool{true, false} {
			name := map[bool]string{true: "accepted", false: "rejected"}[accept]
			t.Run(name, func(t *testing.T) { testZeroRTT(t, nw, accept) })
		}
	})
}

// zeroRTTServer listens with 0-RTT allowed, echoing every stream.
func zeroRTTServer(t *testing.T, pc net.PacketConn) {
	st := &Transport{Conn: pc}
	t.Cleanup(func() { st.Close() })
	ln, err := st.Listen(serverTLS(), &Config{Allow0RTT: true})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept(testCtx(t))
			if err != nil {
				return
			}
			go echoServer(c)
		}
	}()
}

// testZeroRTT makes a first connection to get a session ticket, then dials early and
// writes before the handshake: to the same server, which accepts the 0-RTT data, or to
// another one (other ticket keys), which cannot resume and rejects it.
func testZeroRTT(t *testing.T, nw network, accept bool) {
	spc, cpc := nw.pair(t)
	zeroRTTServer(t, spc)
	ct := &Transport{Conn: cpc}
	t.Cleanup(func() { ct.Close() })
	ctx := testCtx(t)
	tc := clientTLS()
	tc.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	var zeroRTT atomic.Int64
	cconf := &Config{Allow0RTT: true, Tracer: func(ev TraceEvent) {
		if ev.Kind == TracePacketSent && ev.PacketType == "0-RTT" {
			zeroRTT.Add(1)
		}
	}}
	// Without a session, an early connection's OpenStreamSync waits for the handshake.
	first, err := ct.DialEarly(ctx, spc.LocalAddr(), tc, cconf)
	if err != nil {
		t.Fatal(err)
	}
	if err := echoOnce(ctx, first, []byte("first")); err != nil { // the ticket arrives meanwhile
		t.Fatal(err)
	}
	if zeroRTT.Load() != 0 {
		t.Errorf("0-RTT packets without a session")
	}
	if first.ConnectionState().Used0RTT {
		t.Errorf("ConnectionState.Used0RTT true without a session")
	}
	first.CloseWithError(0, "")

	target := spc.LocalAddr()
	if !accept {
		spc2, cpc2 := nw.pair(t)
		zeroRTTServer(t, spc2)
		ct = &Transport{Conn: cpc2}
		t.Cleanup(func() { ct.Close() })
		target = spc2.LocalAddr()
	}
	c, err := ct.DialEarly(ctx, target, tc, cconf)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.OpenStream()
	if err != nil {
		t.Fatalf("OpenStream before the handshake: %v", err)
	}
	s.Write([]byte("early data"))
	s.Close()
	got, err := io.ReadAll(s)
	<-c.HandshakeComplete()
	t.Logf("0-RTT packets sent: %d; early stream: %q, %v", zeroRTT.Load(), got, err)
	if zeroRTT.Load() == 0 {
		t.Errorf("no 0-RTT packet sent")
	}
	if accept {
		if err != nil || string(got) != "early data" {
			t.Fatalf("early stream: %q, %v", got, err)
		}
		if !c.ConnectionState().TLS.DidResume {
			t.Errorf("second connection did not resume")
		}
		if !c.ConnectionState().Used0RTT {
			t.Errorf("ConnectionState.Used0RTT false after the server accepted 0-RTT")
		}
	} else if err != Err0RTTRejected {
		t.Fatalf("early stream after rejection: %q, %v; want Err0RTTRejected", got, err)
	} else if c.ConnectionState().Used0RTT {
		t.Errorf("ConnectionState.Used0RTT true after the server rejected 0-RTT")
	}
	// The connection works after the handshake either way.
	if err := echoOnce(ctx, c, []byte("after")); err != nil {
		t.Fatal(err)
	}
}
