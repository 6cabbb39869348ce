package http3

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/netsim"
	"github.com/h3wasi/h3wasi/quic"
)

// TestShutdown has 100 requests in flight when Shutdown starts: all complete,
// and requests sent after the GOAWAY go to a new connection.
func TestShutdown(t *testing.T) {
	const inFlight = 100
	release := make(chan struct{})
	var arrived sync.WaitGroup
	arrived.Add(inFlight)
	var conns atomic.Int32
	ts := startServer(t, udpNet(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			arrived.Done()
			<-release
		}
		io.WriteString(w, "done "+r.URL.Path)
	}), func(s *Server, tr *Transport) {
		s.ConnContext = func(ctx context.Context, c *quic.Conn) context.Context { conns.Add(1); return ctx }
	})
	var wg sync.WaitGroup
	errs := make(chan error, 2*inFlight)
	get := func(path string) {
		defer wg.Done()
		resp, err := ts.client.Get(ts.url + path)
		if err != nil {
			errs <- fmt.Errorf("%s: %w", path, err)
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(b) != "done "+path {
			errs <- fmt.Errorf("%s: %q %v", path, b, err)
		}
	}
	for range inFlight {
		wg.Add(1)
		go get("/slow")
	}
	arrived.Wait()
	ts.tr.mu.Lock()
	var cc *clientConn
	for _, c := range ts.tr.conns {
		cc = c
	}
	ts.tr.mu.Unlock()
	shutdownDone := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		shutdownDone <- ts.srv.Shutdown(ctx)
	}()
	// Wait for the GOAWAY to reach the client's connection.
	<-cc.dialed
	select {
	case <-cc.c.goawayCh:
	case <-time.After(10 * time.Second):
		t.Fatal("no GOAWAY within 10 s")
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := <-shutdownDone; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	// The socket is closed: a new request finds no server (bounded wait).
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.url+"/after", nil)
	if _, err := ts.client.Do(req); err == nil {
		t.Errorf("request after Shutdown succeeded")
	}
}

// TestGoawayRetry: a request the server rejected as beyond its GOAWAY is retried
// on a new connection, whatever its method.
func TestGoawayRetry(t *testing.T) {
	var served atomic.Int32
	ts := startServer(t, udpNet(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		b, _ := io.ReadAll(r.Body)
		w.Write(b)
	}))
	if code, _ := ts.get(t, "/warm"); code != 200 {
		t.Fatal(code)
	}
	// Make the server go away on its connection as if shutting down, without
	// stopping the server itself: the next request must use a new connection.
	ts.srv.mu.Lock()
	var sc *serverConn
	for c := range ts.srv.conns {
		sc = c
	}
	ts.srv.mu.Unlock()
	sc.shutdown()
	for i := range 20 {
		req, _ := http.NewRequest("POST", ts.url+"/post", stringsReader(fmt.Sprint("body ", i)))
		resp, err := ts.client.Do(req)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != fmt.Sprint("body ", i) {
			t.Fatalf("request %d: body %q", i, b)
		}
	}
}

// TestLoss runs requests and a 4 MB transfer over a path losing 5% of datagrams
// each way.
func TestLoss(t *testing.T) {
	nw := simNet("loss5", netsim.LinkConfig{Delay: 5 * time.Millisecond, Loss: 0.05}, 7)
	payload := testData(2 << 20)
	if testing.Short() {
		payload = payload[:512<<10]
	}
	ts := startServer(t, nw, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			w.Write(payload)
			return
		}
		b, _ := io.ReadAll(r.Body)
		w.Write(b)
	}))
	resp, err := ts.client.Get(ts.url + "/big")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(b) != string(payload) {
		t.Fatalf("download: %d bytes, %v", len(b), err)
	}
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			want := fmt.Sprint("echo ", i)
			resp, err := ts.client.Post(ts.url+"/echo", "text/plain", stringsReader(want))
			if err != nil {
				t.Error(err)
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || string(b) != want {
				t.Errorf("%q %v", b, err)
			}
		}()
	}
	wg.Wait()
}

// TestClientGoaway: a client closing an idle connection sends GOAWAY first
// (RFC 9114 section 5.2), with push ID 0 since it allows no pushes.
func TestClientGoaway(t *testing.T) {
	ts := startServer(t, udpNet(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	ts.get(t, "/")
	ts.srv.mu.Lock()
	var sc *serverConn
	for c := range ts.srv.conns {
		sc = c
	}
	ts.srv.mu.Unlock()
	ts.tr.CloseIdleConnections()
	select {
	case <-sc.c.goawayCh:
		if id, _ := sc.c.goaway(); id != 0 {
			t.Errorf("client GOAWAY ID %d, want 0", id)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server saw no GOAWAY from the client")
	}
}
