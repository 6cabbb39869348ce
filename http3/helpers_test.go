package http3

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/internal/selfsigned"
	"github.com/h3wasi/h3wasi/netsim"
	"github.com/h3wasi/h3wasi/quic"
	"github.com/h3wasi/h3wasi/wasi"
)

// testCert is a self-signed Ed25519 certificate for "localhost" and 127.0.0.1.
var testCert = sync.OnceValues(func() (tls.Certificate, *x509.CertPool) {
	return selfsigned.MustFixed("h3wasi http3 test", []string{"localhost"}, net.IPv4(127, 0, 0, 1))
})

func serverTLS() *tls.Config {
	cert, _ := testCert()
	return &tls.Config{Certificates: []tls.Certificate{cert}}
}

func clientTLS() *tls.Config {
	_, pool := testCert()
	return &tls.Config{RootCAs: pool, ServerName: "localhost"}
}

// testNet makes the server's and the client's sockets.
type testNet struct {
	name string
	// listen returns the server's socket and a function that opens client sockets.
	listen func(t testing.TB) (net.PacketConn, func() (net.PacketConn, error))
}

func udpNet() testNet {
	return testNet{"udp", func(t testing.TB) (net.PacketConn, func() (net.PacketConn, error)) {
		s, err := wasi.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Skipf("no UDP sockets here (%v)", err)
		}
		return s, func() (net.PacketConn, error) { return wasi.ListenPacket("udp", "127.0.0.1:0") }
	}}
}

// simNet is a real-time simulated network with link applied both ways between
// the server and every client.
func simNet(name string, link netsim.LinkConfig, seed uint64) testNet {
	return testNet{name, func(t testing.TB) (net.PacketConn, func() (net.PacketConn, error)) {
		n := netsim.NewRealtime(seed)
		t.Cleanup(func() { n.Close() })
		s := n.MustListen("10.0.0.1:443")
		var mu sync.Mutex
		next := 2
		return s, func() (net.PacketConn, error) {
			mu.Lock()
			defer mu.Unlock()
			c, err := n.Listen("10.0.1." + itoa(next) + ":4000")
			next++
			if err != nil {
				return nil, err
			}
			n.SetPath(s, c, link, link)
			return c, nil
		}
	}}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

var testNets = []testNet{
	udpNet(),
	simNet("netsim", netsim.LinkConfig{Delay: time.Millisecond}, 1),
}

// testServer is a running Server and a Transport that reaches it.
type testServer struct {
	srv    *Server
	tr     *Transport
	client *http.Client
	addr   string // host:port to put in URLs
	url    string
	done   chan error
}

// startServer serves h on net nw; configure may adjust the server and transport.
func startServer(t testing.TB, nw testNet, h http.Handler, configure ...func(*Server, *Transport)) *testServer {
	t.Helper()
	spc, dialSock := nw.listen(t)
	srv := &Server{Handler: h, TLSConfig: serverTLS()}
	target := spc.LocalAddr()
	tr := &Transport{TLSClientConfig: clientTLS()}
	tr.Dial = func(ctx context.Context, addr string, tlsConf *tls.Config, conf *quic.Config) (*quic.Conn, error) {
		pc, err := dialSock()
		if err != nil {
			return nil, err
		}
		qt := &quic.Transport{Conn: pc}
		var qc *quic.Conn
		if conf.Allow0RTT {
			qc, err = qt.DialEarly(ctx, target, tlsConf, conf)
		} else {
			qc, err = qt.Dial(ctx, target, tlsConf, conf)
		}
		if err != nil {
			qt.Close()
			return nil, err
		}
		context.AfterFunc(qc.Context(), func() { qt.Close() })
		return qc, nil
	}
	for _, f := range configure {
		f(srv, tr)
	}
	ts := &testServer{srv: srv, tr: tr, client: &http.Client{Transport: tr}, done: make(chan error, 1)}
	ts.addr = "localhost:" + itoa(target.(*net.UDPAddr).Port)
	ts.url = "https://" + ts.addr
	go func() { ts.done <- srv.Serve(spc) }()
	t.Cleanup(func() {
		tr.Close()
		srv.Close()
		select {
		case <-ts.done:
		case <-time.After(10 * time.Second):
			t.Errorf("Serve did not return after Close")
		}
	})
	return ts
}

// get fetches path and returns the status and body.
func (ts *testServer) get(t testing.TB, path string) (int, string) {
	t.Helper()
	resp, err := ts.client.Get(ts.url + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", path, err)
	}
	return resp.StatusCode, string(b)
}

// forEachNet runs f for every test network.
func forEachNet(t *testing.T, f func(t *testing.T, nw testNet)) {
	for _, nw := range testNets {
		t.Run(nw.name, func(t *testing.T) { f(t, nw) })
	}
}

// testCtx bounds a test case so that a bug fails rather than hangs.
func testCtx(t testing.TB) context.Context {
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

func stringsReader(s string) io.Reader { return strings.NewReader(s) }
