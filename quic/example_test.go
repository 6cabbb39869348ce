package quic_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"time"

	"github.com/h3wasi/h3wasi/quic"
)

// selfSigned returns a server certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned() (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "example"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		log.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// An echo server: it accepts connections and echoes every stream.
func ExampleListenAddr() {
	cert, pool := selfSigned()
	ln, err := quic.ListenAddr("127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{"echo"},
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept(context.Background())
			if err != nil {
				return // the listener closed
			}
			go func() {
				for {
					s, err := conn.AcceptStream(context.Background())
					if err != nil {
						return
					}
					go func() {
						io.Copy(s, s) // echo until the client's FIN
						s.Close()
					}()
				}
			}()
		}
	}()

	// A client for the example.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := quic.DialAddr(ctx, ln.Addr().String(),
		&tls.Config{RootCAs: pool, NextProtos: []string{"echo"}}, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.CloseWithError(0, "done")
	s, err := conn.OpenStreamSync(ctx)
	if err != nil {
		log.Fatal(err)
	}
	s.Write([]byte("hello, QUIC"))
	s.Close()
	reply, err := io.ReadAll(s)
	fmt.Printf("%s %v\n", reply, err)
	// Output: hello, QUIC <nil>
}

// A client that opens a stream, sends a request and reads the whole reply.
func ExampleDialAddr() {
	cert, pool := selfSigned()
	ln, err := quic.ListenAddr("127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{"greet"},
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	go func() { // the server says hello on each stream
		conn, err := ln.Accept(context.Background())
		if err != nil {
			return
		}
		s, err := conn.AcceptStream(context.Background())
		if err != nil {
			return
		}
		name, _ := io.ReadAll(s)
		fmt.Fprintf(s, "hello, %s", name)
		s.Close()
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := quic.DialAddr(ctx, ln.Addr().String(),
		&tls.Config{RootCAs: pool, NextProtos: []string{"greet"}}, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.CloseWithError(0, "")
	fmt.Println("ALPN:", conn.ConnectionState().TLS.NegotiatedProtocol)
	s, err := conn.OpenStream()
	if err != nil {
		log.Fatal(err)
	}
	s.Write([]byte("gopher"))
	s.Close()
	reply, _ := io.ReadAll(s)
	fmt.Println(string(reply))
	// Output:
	// ALPN: greet
	// hello, gopher
}
