package http3

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"
)

// TestExtendedConnectDatagrams opens an extended CONNECT (RFC 9220) and echoes
// bytes on the stream and HTTP datagrams (RFC 9297) through the handler.
func TestExtendedConnectDatagrams(t *testing.T) {
	ts := startServer(t, udpNet(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect || r.Header.Get(":protocol") != "echo-test" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		dg, err := HandlerDatagrams(w)
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		go func() {
			for {
				p, err := dg.Receive(r.Context())
				if err != nil {
					return
				}
				dg.Send(append([]byte("echo:"), p...))
			}
		}()
		io.Copy(flushWriter{w}, r.Body)
	}), func(s *Server, tr *Transport) {
		s.EnableConnectProtocol = true
		s.EnableDatagrams = true
		tr.EnableDatagrams = true
	})
	ctx := testCtx(t)
	pr, pw := io.Pipe()
	req, _ := http.NewRequestWithContext(ctx, http.MethodConnect, ts.url+"/tunnel", pr)
	req.Header.Set(":protocol", "echo-test")
	resp, err := ts.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	pw.Write([]byte("stream bytes"))
	buf := make([]byte, 12)
	if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "stream bytes" {
		t.Fatalf("stream echo %q %v", buf, err)
	}
	dg, err := ResponseDatagrams(resp)
	if err != nil {
		t.Fatal(err)
	}
	// Datagrams may be lost even on loopback; send until one echo comes back.
	for i := 0; ; i++ {
		if err := dg.Send([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		rctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		p, err := dg.Receive(rctx)
		cancel()
		if err == nil {
			if string(p) != "echo:ping" {
				t.Fatalf("datagram %q", p)
			}
			break
		}
		if i == 20 || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("no datagram echoed: %v", err)
		}
	}
	pw.Close()
}

func TestExtendedConnectNotEnabled(t *testing.T) {
	ts := startServer(t, udpNet(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	req, _ := http.NewRequestWithContext(testCtx(t), http.MethodConnect, ts.url+"/", nil)
	req.Header.Set(":protocol", "echo-test")
	if _, err := ts.client.Do(req); err == nil {
		t.Fatal("extended CONNECT to a server without SETTINGS_ENABLE_CONNECT_PROTOCOL succeeded")
	}
	if _, err := HandlerDatagrams(nil); err == nil {
		t.Error("HandlerDatagrams(nil) succeeded")
	}
}

// flushWriter flushes after every write, for a tunnel.
type flushWriter struct{ w http.ResponseWriter }

func (f flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	f.w.(http.Flusher).Flush()
	return n, err
}

// TestConnect: a plain CONNECT (RFC 9114 section 4.4) carries only :method and
// :authority; the stream then carries the tunnel's bytes both ways.
func TestConnect(t *testing.T) {
	ts := startServer(t, udpNet(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect || r.Host != "backend.example:8080" || r.URL.Path != "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		io.Copy(flushWriter{w}, r.Body)
	}))
	pr, pw := io.Pipe()
	req, _ := http.NewRequestWithContext(testCtx(t), http.MethodConnect, ts.url, pr)
	req.Host = "backend.example:8080" // the tunnel's target; the URL names the proxy
	resp, err := ts.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	pw.Write([]byte("tunnelled"))
	buf := make([]byte, 9)
	if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "tunnelled" {
		t.Fatalf("tunnel echo %q %v", buf, err)
	}
	pw.Close()
}
