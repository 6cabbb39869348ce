package quic

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/internal/selfsigned"

	"github.com/h3wasi/h3wasi/netsim"
	"github.com/h3wasi/h3wasi/wasi"
)

// testCert is a self-signed Ed25519 certificate for "localhost" and 127.0.0.1 (Ed25519
// keeps handshakes cheap under WebAssembly too).
var testCert = sync.OnceValues(func() (tls.Certificate, *x509.CertPool) {
	return selfsigned.MustFixed("h3wasi quic test", []string{"localhost"}, net.IPv4(127, 0, 0, 1))
})

func serverTLS() *tls.Config {
	cert, _ := testCert()
	return &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"test"}}
}

func clientTLS() *tls.Config {
	_, pool := testCert()
	return &tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: []string{"test"}}
}

// network makes a connected pair of sockets.
type network struct {
	name string
	pair func(t *testing.T) (server, client net.PacketConn)
}

var networks = []network{
	{"udp", func(t *testing.T) (net.PacketConn, net.PacketConn) {
		s, err := wasi.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Skipf("no UDP sockets here (%v)", err)
		}
		c, err := wasi.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			s.Close()
			t.Skipf("no UDP sockets here (%v)", err)
		}
		return s, c
	}},
	{"netsim", func(t *testing.T) (net.PacketConn, net.PacketConn) {
		n := netsim.NewRealtime(1)
		t.Cleanup(func() { n.Close() })
		s, c := n.MustListen("10.0.0.1:443"), n.MustListen("10.0.0.2:4000")
		link := netsim.LinkConfig{Delay: time.Millisecond}
		n.SetPath(s, c, link, link)
		return s, c
	}},
}

// forEachNetwork runs f as a subtest over every network.
func forEachNetwork(t *testing.T, f func(t *testing.T, nw network)) {
	for _, nw := range networks {
		t.Run(nw.name, func(t *testing.T) { f(t, nw) })
	}
}

// testPair is a listening server transport and a client transport connected to it.
type testPair struct {
	ln             *Listener
	server, client *Conn
	st, ct         *Transport
}

// newTestPair starts a server and dials it; the server connection is accepted too.
func newTestPair(t *testing.T, nw network, sconf, cconf *Config) *testPair {
	t.Helper()
	spc, cpc := nw.pair(t)
	p := &testPair{st: &Transport{Conn: spc}, ct: &Transport{Conn: cpc}}
	t.Cleanup(func() { p.ct.Close(); p.st.Close() })
	var err error
	if p.ln, err = p.st.Listen(serverTLS(), sconf); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if p.client, err = p.ct.Dial(ctx, spc.LocalAddr(), clientTLS(), cconf); err != nil {
		t.Fatalf("Dial: %v", err)
	}
	if p.server, err = p.ln.Accept(ctx); err != nil {
		t.Fatalf("Accept: %v", err)
	}
	return p
}

// testCtx returns a context that bounds a test case, so a bug fails rather than hangs.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// testData returns n deterministic bytes.
func testData(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}
