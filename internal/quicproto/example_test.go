package quicproto_test

import (
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"math/big"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/h3wasi/h3wasi/internal/quicproto"
)

// Example runs a client and a server endpoint against each other, passing datagrams by
// hand under a virtual clock: the whole contract of the sans-IO core.
func Example() {
	cert, roots := exampleCert()
	seed := func(b byte) *rand.ChaCha8 { return rand.NewChaCha8([32]byte{b}) }
	server, _ := quicproto.NewEndpoint(quicproto.EndpointConfig{Server: true, Conn: &quicproto.Config{
		TLS:  &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"demo"}},
		Rand: seed(1),
	}})
	client, _ := quicproto.NewEndpoint(quicproto.EndpointConfig{Conn: &quicproto.Config{
		TLS:  &tls.Config{RootCAs: roots, ServerName: "example.test", NextProtos: []string{"demo"}},
		Rand: seed(2),
	}})
	caddr, saddr := netip.MustParseAddrPort("192.0.2.1:5000"), netip.MustParseAddrPort("192.0.2.2:443")
	var now int64
	conn, _ := client.Dial(now, saddr)

	// pump delivers every pending datagram, one way then the other, 5 ms later each.
	buf := make([]byte, 1500)
	pump := func() {
		for moved := true; moved; {
			moved = false
			for n, _, ok := client.Send(now, buf); ok; n, _, ok = client.Send(now, buf) {
				now += int64(5 * time.Millisecond)
				server.Receive(now, caddr, buf[:n])
				moved = true
			}
			for n, _, ok := server.Send(now, buf); ok; n, _, ok = server.Send(now, buf) {
				now += int64(5 * time.Millisecond)
				client.Receive(now, saddr, buf[:n])
				moved = true
			}
		}
	}
	pump()
	sconn, _ := server.Accept()
	fmt.Println("handshake complete:", conn.HandshakeComplete(), conn.TLSState().NegotiatedProtocol)

	s, _ := conn.OpenStream(false)
	s.Write([]byte("hello, QUIC"))
	s.Close()
	pump()
	for ev, ok := sconn.NextEvent(); ok; ev, ok = sconn.NextEvent() {
		if ev.Kind == quicproto.EventStreamOpened {
			data, _ := io.ReadAll(readerFunc(sconn.Stream(ev.Stream).Read))
			fmt.Printf("server read %q\n", data)
		}
	}
	conn.CloseWithError(now, 0, "bye")
	pump()
	fmt.Println("server sees:", sconn.Err())
	// Output:
	// handshake complete: true demo
	// server read "hello, QUIC"
	// server sees: quic: application error 0x0 (remote): bye
}

// readerFunc adapts a stream's Read to io.Reader.
type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// exampleCert makes a self-signed Ed25519 certificate for example.test.
func exampleCert() (tls.Certificate, *x509.CertPool) {
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), DNSNames: []string{"example.test"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}
	der, _ := x509.CreateCertificate(nil, tmpl, tmpl, priv.Public(), priv)
	leaf, _ := x509.ParseCertificate(der)
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: priv, Leaf: leaf}, roots
}
