package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/h3wasi/h3wasi/http3"
	"github.com/h3wasi/h3wasi/internal/selfsigned"
	"github.com/h3wasi/h3wasi/wasi"
)

func TestClient(t *testing.T) {
	cert, _, err := selfsigned.Fresh("h3client test")
	if err != nil {
		t.Fatal(err)
	}
	certPEM, _, err := selfsigned.PEM(cert)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	pc, err := wasi.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("no UDP sockets here: %v", err)
	}
	srv := &http3.Server{
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}},
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			w.Header().Set("X-Seen", r.Method+" "+r.Header.Get("X-Custom"))
			fmt.Fprintf(w, "%s %s %q", r.Proto, r.URL.Path, b)
		}),
	}
	go srv.Serve(pc)
	defer srv.Close()
	_, port, _ := net.SplitHostPort(pc.LocalAddr().String())
	base := "https://localhost:" + port

	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"-cacert", caFile, "-i", "-v", "-H", "X-Custom: hi", "-d", "body!", base + "/p"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"HTTP/3.0 200 OK\n", "x-seen: POST hi\n", `HTTP/3.0 /p "body!"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, out.String())
		}
	}
	for _, want := range []string{"* HTTP/3.0 200 OK", "TLS 1.3", "ALPN h3", "MB/s"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut.String())
		}
	}

	// Without trust in the certificate the request fails; -k skips the check.
	out.Reset()
	errOut.Reset()
	if code := run(context.Background(), []string{base + "/x"}, &out, &errOut); code != 1 {
		t.Errorf("unverified: exit %d: %s", code, errOut.String())
	}
	out.Reset()
	errOut.Reset()
	if code := run(context.Background(), []string{"-k", base + "/x"}, &out, &errOut); code != 0 || out.String() != `HTTP/3.0 /x ""` {
		t.Errorf("-k: exit %d, %q, %s", code, out.String(), errOut.String())
	}
	if code := run(context.Background(), []string{"http://localhost/"}, &out, &errOut); code != 1 {
		t.Errorf("http URL: exit %d", code)
	}
	if code := run(context.Background(), nil, &out, &errOut); code != 2 {
		t.Errorf("no URL: exit %d", code)
	}
}
