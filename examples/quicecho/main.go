// Command quicecho is a QUIC echo server and client. The same source builds natively and
// for WebAssembly (GOOS=wasip1 GOARCH=wasm), where package quic opens its UDP sockets
// through the host (package wasi; run the module with wasihost, e.g. `h3 wasm run`).
//
//	quicecho serve [-addr 127.0.0.1:4433] [-cert cert.pem -key key.pem]
//	quicecho echo  [-addr 127.0.0.1:4433] [-insecure] words...
//	quicecho demo  # a server and a client in one process, over loopback
//
// Without -cert the server makes a self-signed certificate; a client then needs
// -insecure (it is a demo: do not do this elsewhere).
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"os"
	"strings"
	"time"

	"github.com/h3wasi/h3wasi/quic"
)

const alpn = "quicecho"

func main() {
	log.SetFlags(0)
	if len(os.Args) < 2 {
		usage()
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:4433", "UDP address to listen on or connect to")
	certFile := fs.String("cert", "", "PEM certificate (serve; default: self-signed)")
	keyFile := fs.String("key", "", "PEM private key (serve)")
	insecure := fs.Bool("insecure", false, "do not verify the server's certificate (echo)")
	fs.Parse(os.Args[2:])
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(*addr, *certFile, *keyFile)
	case "echo":
		msg := strings.Join(fs.Args(), " ")
		var reply string
		reply, err = echo(context.Background(), *addr, &tls.Config{InsecureSkipVerify: *insecure, NextProtos: []string{alpn}}, msg)
		if err == nil {
			fmt.Println(reply)
		}
	case "demo":
		err = demo(os.Stdout)
	default:
		usage()
	}
	if err != nil {
		log.Fatal(err)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: quicecho serve|echo|demo [-addr host:port] [flags]")
	os.Exit(2)
}

// serve runs an echo server until it fails.
func serve(addr, certFile, keyFile string) error {
	cert, err := loadOrMakeCert(certFile, keyFile)
	if err != nil {
		return err
	}
	ln, err := listen(addr, cert)
	if err != nil {
		return err
	}
	log.Printf("quicecho: listening on %v", ln.Addr())
	return acceptLoop(ln)
}

func listen(addr string, cert tls.Certificate) (*quic.Listener, error) {
	return quic.ListenAddr(addr, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{alpn}},
		&quic.Config{MaxIdleTimeout: time.Minute})
}

// acceptLoop echoes every stream of every connection; one goroutine per connection
// accepts streams and one per stream copies.
func acceptLoop(ln *quic.Listener) error {
	for {
		conn, err := ln.Accept(context.Background())
		if err != nil {
			if errors.Is(err, quic.ErrServerClosed) {
				return nil
			}
			return err
		}
		go func() {
			for {
				s, err := conn.AcceptStream(context.Background())
				if err != nil {
					return
				}
				go func() {
					io.Copy(s, s)
					s.Close()
				}()
			}
		}()
	}
}

// echo sends msg on one stream and returns the reply.
func echo(ctx context.Context, addr string, tc *tls.Config, msg string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := quic.DialAddr(ctx, addr, tc, nil)
	if err != nil {
		return "", err
	}
	defer conn.CloseWithError(0, "bye")
	s, err := conn.OpenStreamSync(ctx)
	if err != nil {
		return "", err
	}
	if _, err := io.WriteString(s, msg); err != nil {
		return "", err
	}
	s.Close()
	reply, err := io.ReadAll(s)
	return string(reply), err
}

// demo runs a server and a client over loopback and prints the exchange.
func demo(w io.Writer) error {
	cert, err := loadOrMakeCert("", "")
	if err != nil {
		return err
	}
	ln, err := listen("127.0.0.1:0", cert)
	if err != nil {
		return err
	}
	defer ln.Close()
	go acceptLoop(ln)
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	tc := &tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: []string{alpn}}
	for _, msg := range []string{"hello", "QUIC from " + goos()} {
		reply, err := echo(context.Background(), ln.Addr().String(), tc, msg)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "sent %q, got %q\n", msg, reply)
	}
	return nil
}

// loadOrMakeCert loads a key pair, or makes a self-signed one for localhost.
func loadOrMakeCert(certFile, keyFile string) (tls.Certificate, error) {
	if certFile != "" {
		return tls.LoadX509KeyPair(certFile, keyFile)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "quicecho"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}
