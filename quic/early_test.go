package quic

import (
	"crypto/tls"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/netsim"
	"github.com/h3wasi/h3wasi/wasi"
)

// heldReads is a socket whose reader blocks, with the datagram it read, until release:
// a client on it sends its first flight and its 0-RTT data but cannot answer the
// server's flight, so the handshake cannot complete before the test lets it.
type heldReads struct {
	net.PacketConn
	open chan struct{}
	once sync.Once
}

func (h *heldReads) release() { h.once.Do(func() { close(h.open) }) }

func (h *heldReads) ReadFrom(b []byte) (int, net.Addr, error) {
	n, addr, err := h.PacketConn.ReadFrom(b)
	<-h.open
	return n, addr, err
}

func (h *heldReads) Close() error {
	h.release()
	return h.PacketConn.Close()
}

// threeSockets returns a server socket and two client sockets that reach it.
func threeSockets(t *testing.T, nw network) (server, c1, c2 net.PacketConn) {
	if nw.name == "netsim" {
		n := netsim.NewRealtime(1)
		t.Cleanup(func() { n.Close() })
		s := n.MustListen("10.0.0.1:443")
		link := netsim.LinkConfig{Delay: time.Millisecond}
		c1, c2 := n.MustListen("10.0.0.2:4000"), n.MustListen("10.0.0.3:4000")
		n.SetPath(s, c1, link, link)
		n.SetPath(s, c2, link, link)
		return s, c1, c2
	}
	var pcs [3]net.PacketConn
	for i := range pcs {
		pc, err := wasi.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Skipf("no UDP sockets here (%v)", err)
		}
		t.Cleanup(func() { pc.Close() })
		pcs[i] = pc
	}
	return pcs[0], pcs[1], pcs[2]
}

// TestListenEarly0RTT: a resumed client's request, written in 0-RTT, is accepted and
// read on the server before the handshake completes; the response the server writes
// meanwhile reaches the client once it has.
func TestListenEarly0RTT(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw network) {
		spc, cpc1, cpc2 := threeSockets(t, nw)
		st := &Transport{Conn: spc}
		t.Cleanup(func() { st.Close() })
		conf := &Config{Allow0RTT: true}
		ln, err := st.ListenEarly(serverTLS(), conf)
		if err != nil {
			t.Fatal(err)
		}
		ctx := testCtx(t)
		tc := clientTLS()
		tc.ClientSessionCache = tls.NewLRUClientSessionCache(4)

		// A first connection gets a session ticket.
		ct1 := &Transport{Conn: cpc1}
		t.Cleanup(func() { ct1.Close() })
		first, err := ct1.Dial(ctx, spc.LocalAddr(), tc, conf)
		if err != nil {
			t.Fatal(err)
		}
		sfirst, err := ln.Accept(ctx)
		if err != nil {
			t.Fatal(err)
		}
		go echoServer(sfirst)
		if err := echoOnce(ctx, first, []byte("ticket")); err != nil {
			t.Fatal(err)
		}
		if sfirst.ConnectionState().Used0RTT {
			t.Error("server's Used0RTT true on a connection without 0-RTT")
		}
		first.CloseWithError(0, "")

		// The second one sends its request in 0-RTT and then hears nothing.
		held := &heldReads{PacketConn: cpc2, open: make(chan struct{})}
		ct2 := &Transport{Conn: held}
		t.Cleanup(func() { ct2.Close() })
		c, err := ct2.DialEarly(ctx, spc.LocalAddr(), tc, conf)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := c.OpenStream()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cs.WriteAndClose([]byte("GET /")); err != nil {
			t.Fatal(err)
		}

		sc, err := ln.Accept(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ss, err := sc.AcceptStream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		req, err := io.ReadAll(ss)
		if err != nil || string(req) != "GET /" {
			t.Fatalf("request %q, %v", req, err)
		}
		if !ss.OpenedIn0RTT() {
			t.Errorf("OpenedIn0RTT false for a stream opened in 0-RTT data")
		}
		select {
		case <-sc.HandshakeComplete():
			t.Fatal("handshake complete although the client cannot have sent its Finished")
		default:
		}
		if st := sc.ConnectionState(); !st.Used0RTT || st.TLS.NegotiatedProtocol != "test" {
			t.Errorf("server state before the handshake: Used0RTT %v, ALPN %q", st.Used0RTT, st.TLS.NegotiatedProtocol)
		}
		if _, err := ss.WriteAndClose([]byte("200 OK")); err != nil {
			t.Fatal(err)
		}

		held.release()
		resp, err := io.ReadAll(cs)
		if err != nil || string(resp) != "200 OK" {
			t.Fatalf("response %q, %v", resp, err)
		}
		select {
		case <-sc.HandshakeComplete():
		case <-ctx.Done():
			t.Fatal("server handshake never completed")
		}
		if !c.ConnectionState().Used0RTT {
			t.Error("client's Used0RTT false")
		}
	})
}

// TestListenEarlyWithout0RTT: an early Listener hands out a fresh client's connection
// before its handshake completes, and the connection works as any other.
func TestListenEarlyWithout0RTT(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw network) {
		spc, cpc := nw.pair(t)
		st := &Transport{Conn: spc}
		t.Cleanup(func() { st.Close() })
		ln, err := st.ListenEarly(serverTLS(), nil)
		if err != nil {
			t.Fatal(err)
		}
		held := &heldReads{PacketConn: cpc, open: make(chan struct{})}
		ct := &Transport{Conn: held}
		t.Cleanup(func() { ct.Close() })
		ctx := testCtx(t)
		c, err := ct.DialEarly(ctx, spc.LocalAddr(), clientTLS(), nil)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := ln.Accept(ctx)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-sc.HandshakeComplete():
			t.Fatal("handshake complete before the client heard from the server")
		default:
		}
		held.release()
		go echoServer(sc)
		if err := echoOnce(ctx, c, []byte("after")); err != nil {
			t.Fatal(err)
		}
		<-sc.HandshakeComplete()
	})
}
