package http3_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/h3wasi/h3wasi/http3"
)

// A Server serves an http.Handler over HTTP/3.
func ExampleServer() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello, %s, over %s\n", r.PathValue("name"), r.Proto)
	})
	srv := &http3.Server{Addr: ":4433", Handler: mux}
	if err := srv.ListenAndServeTLS("cert.pem", "key.pem"); err != nil {
		log.Print(err)
	}
}

// A Transport makes an http.Client speak HTTP/3.
func ExampleTransport() {
	client := &http.Client{
		Transport: &http3.Transport{TLSClientConfig: &tls.Config{}},
		Timeout:   10 * time.Second,
	}
	resp, err := client.Get("https://example.com/")
	if err != nil {
		log.Print(err)
		return
	}
	defer resp.Body.Close()
	n, _ := io.Copy(io.Discard, resp.Body)
	fmt.Println(resp.Proto, resp.Status, n, "bytes")
}

// Shutdown lets the requests in flight finish after a GOAWAY, while clients send
// new requests elsewhere.
func ExampleServer_Shutdown() {
	srv := &http3.Server{Addr: ":4433", Handler: http.DefaultServeMux}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt)
		<-sig
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			log.Print("shutdown: ", err)
		}
	}()
	if err := srv.ListenAndServeTLS("cert.pem", "key.pem"); err != http3.ErrServerClosed {
		log.Print(err)
	}
}

// AdvertiseHTTP3 lets an HTTP/1.1 and HTTP/2 server on TCP tell clients that
// the same site speaks HTTP/3 on UDP.
func ExampleAdvertiseHTTP3() {
	h := http3.AdvertiseHTTP3(http.DefaultServeMux, 443)
	go (&http3.Server{Addr: ":443", Handler: http.DefaultServeMux}).ListenAndServeTLS("cert.pem", "key.pem")
	log.Print(http.ListenAndServeTLS(":443", "cert.pem", "key.pem", h))
}

func ExampleAltSvc() {
	fmt.Println(http3.AltSvc(443, 0))
	// Output: h3=":443"; ma=86400
}
