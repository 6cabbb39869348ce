package http3

import (
	"compress/gzip"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/quic"
)

func TestClientTrace(t *testing.T) {
	ts := startServer(t, udpNet(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, "traced")
	}))
	var mu sync.Mutex
	var events []string
	add := func(s string) { mu.Lock(); events = append(events, s); mu.Unlock() }
	var reused []bool
	trace := &httptrace.ClientTrace{
		GetConn: func(string) { add("GetConn") },
		GotConn: func(i httptrace.GotConnInfo) {
			add("GotConn")
			mu.Lock()
			reused = append(reused, i.Reused)
			mu.Unlock()
		},
		TLSHandshakeStart: func() { add("TLSHandshakeStart") },
		TLSHandshakeDone: func(s tls.ConnectionState, err error) {
			if err == nil && s.NegotiatedProtocol == "h3" {
				add("TLSHandshakeDone")
			}
		},
		WroteHeaders:         func() { add("WroteHeaders") },
		WroteRequest:         func(i httptrace.WroteRequestInfo) { add("WroteRequest") },
		GotFirstResponseByte: func() { add("GotFirstResponseByte") },
	}
	for range 2 {
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "POST", ts.url, strings.NewReader("x"))
		resp, err := ts.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"GetConn", "TLSHandshakeStart", "TLSHandshakeDone", "GotConn", "WroteHeaders", "WroteRequest", "GotFirstResponseByte",
		"GetConn", "GotConn", "WroteHeaders", "WroteRequest", "GotFirstResponseByte"}
	// WroteRequest (the body writer) and GotFirstResponseByte may come in either order.
	norm := func(e []string) []string {
		e = slices.Clone(e)
		for i := 0; i+1 < len(e); i++ {
			if e[i] == "GotFirstResponseByte" && e[i+1] == "WroteRequest" {
				e[i], e[i+1] = e[i+1], e[i]
			}
		}
		return e
	}
	if got := norm(events); !slices.Equal(got, want) {
		t.Errorf("events\n%v\nwant\n%v", got, want)
	}
	if !slices.Equal(reused, []bool{false, true}) {
		t.Errorf("GotConn Reused %v, want [false true]", reused)
	}
}

func TestTransparentGzip(t *testing.T) {
	const text = "compressible compressible compressible compressible"
	ts := startServer(t, udpNet(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept-Encoding") != "gzip" {
			io.WriteString(w, text)
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		io.WriteString(zw, text)
		zw.Close()
	}))
	for _, disable := range []bool{false, true} {
		ts.tr.DisableCompression = disable
		resp, err := ts.client.Get(ts.url)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(b) != text || resp.Uncompressed == disable {
			t.Errorf("DisableCompression=%v: %q %v Uncompressed=%v", disable, b, err, resp.Uncompressed)
		}
	}
}

// TestRetryDeadConnection: the server's connection dies under a request. An
// idempotent request is retried once on a new connection; a POST is not.
func TestRetryDeadConnection(t *testing.T) {
	var calls atomic.Int32
	ts := startServer(t, udpNet(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 || r.URL.Path == "/kill" {
			qc := r.Context().Value(connKey{}).(*quic.Conn)
			qc.CloseWithError(0x42, "dying")
			return
		}
		io.WriteString(w, "second try")
	}), func(s *Server, tr *Transport) {
		s.ConnContext = func(ctx context.Context, c *quic.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, c)
		}
	})
	if code, body := ts.get(t, "/get"); code != 200 || body != "second try" {
		t.Errorf("GET: %d %q", code, body)
	}
	_, err := ts.client.Post(ts.url+"/kill", "text/plain", strings.NewReader("once"))
	var e *Error
	if !errors.As(err, &e) || e.Code != 0x42 || !e.Remote {
		t.Errorf("POST on a dying connection: %v, want the remote close 0x42", err)
	}
}

type connKey struct{}

func TestTimeouts(t *testing.T) {
	release := make(chan struct{})
	ts := startServer(t, udpNet(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}), func(s *Server, tr *Transport) { tr.ResponseHeaderTimeout = 100 * time.Millisecond })
	defer close(release)
	_, err := ts.client.Get(ts.url)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("ResponseHeaderTimeout: %v", err)
	}
}

func TestIdleConnTimeout(t *testing.T) {
	ts := startServer(t, udpNet(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}),
		func(s *Server, tr *Transport) { tr.IdleConnTimeout = 50 * time.Millisecond })
	ts.get(t, "/")
	ts.tr.mu.Lock()
	var cc *clientConn
	for _, c := range ts.tr.conns {
		cc = c
	}
	ts.tr.mu.Unlock()
	select {
	case <-cc.c.qc.Context().Done():
	case <-time.After(10 * time.Second):
		t.Fatal("idle connection still open after 10 s")
	}
	if code, _ := ts.get(t, "/"); code != 200 {
		t.Errorf("request after the idle close: %d", code)
	}
}
