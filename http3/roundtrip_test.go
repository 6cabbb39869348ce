package http3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// echoHandler answers with the method, the request body and a few facts about
// the request in headers.
func echoHandler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Method", r.Method)
	w.Header().Set("X-Proto", r.Proto)
	w.Header().Set("X-Content-Length", fmt.Sprint(r.ContentLength))
	w.Header().Set("X-Host", r.Host)
	w.Header().Set("X-Query", r.URL.RawQuery)
	if r.TLS == nil || r.RemoteAddr == "" {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	io.Copy(w, r.Body)
}

func TestMethods(t *testing.T) {
	forEachNet(t, func(t *testing.T, nw testNet) {
		ts := startServer(t, nw, http.HandlerFunc(echoHandler))
		for _, m := range []string{"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"} {
			t.Run(m, func(t *testing.T) {
				var body io.Reader
				want := ""
				if m == "POST" || m == "PUT" || m == "PATCH" {
					want = "payload of " + m
					body = strings.NewReader(want)
				}
				req, _ := http.NewRequest(m, ts.url+"/path?q=1", body)
				resp, err := ts.client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				got, err := io.ReadAll(resp.Body)
				if err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode != 200 || resp.Proto != "HTTP/3.0" || resp.ProtoMajor != 3 {
					t.Fatalf("status %d proto %q", resp.StatusCode, resp.Proto)
				}
				if m == "HEAD" {
					want = ""
				}
				if string(got) != want {
					t.Errorf("body %q, want %q", got, want)
				}
				h := resp.Header
				if h.Get("X-Method") != m || h.Get("X-Proto") != "HTTP/3.0" || h.Get("X-Host") != ts.addr || h.Get("X-Query") != "q=1" {
					t.Errorf("server saw %v", h)
				}
				if body != nil && h.Get("X-Content-Length") != fmt.Sprint(len(want)) {
					t.Errorf("server's ContentLength %s, want %d", h.Get("X-Content-Length"), len(want))
				}
			})
		}
	})
}

func TestImplicitResponse(t *testing.T) {
	tests := []struct {
		name       string
		handler    http.HandlerFunc
		wantStatus int
		wantType   string
		wantLen    int64
		wantBody   string
	}{
		{"empty", func(w http.ResponseWriter, r *http.Request) {}, 200, "", 0, ""},
		{"html sniffed", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html><body>hi</body></html>") },
			200, "text/html; charset=utf-8", 28, "<html><body>hi</body></html>"},
		{"explicit status", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusTeapot)
			io.WriteString(w, "short and stout")
		}, 418, "text/plain", 15, "short and stout"},
		{"no content", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }, 204, "", 0, ""},
		{"flushed", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "part one, ")
			w.(http.Flusher).Flush()
			io.WriteString(w, "part two")
		}, 200, "text/plain; charset=utf-8", -1, "part one, part two"},
		{"large", func(w http.ResponseWriter, r *http.Request) { w.Write(bytes.Repeat([]byte("a"), 100<<10)) },
			200, "text/plain; charset=utf-8", -1, strings.Repeat("a", 100<<10)},
	}
	ts := startServer(t, udpNet(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, tt := range tests {
			if r.URL.Path == "/"+strings.ReplaceAll(tt.name, " ", "-") {
				tt.handler(w, r)
			}
		}
	}))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := ts.client.Get(ts.url + "/" + strings.ReplaceAll(tt.name, " ", "-"))
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus || resp.Header.Get("Content-Type") != tt.wantType ||
				resp.ContentLength != tt.wantLen || string(b) != tt.wantBody {
				t.Errorf("got %d %q len %d body %.40q; want %d %q len %d body %.40q", resp.StatusCode,
					resp.Header.Get("Content-Type"), resp.ContentLength, b, tt.wantStatus, tt.wantType, tt.wantLen, tt.wantBody)
			}
			if resp.Header.Get("Date") == "" {
				t.Errorf("no Date header")
			}
		})
	}
}

func TestTrailers(t *testing.T) {
	ts := startServer(t, udpNet(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Trailer", "X-Declared")
		w.WriteHeader(200)
		w.Write(b)
		w.Header().Set("X-Declared", "declared:"+r.Trailer.Get("X-Req-Sum"))
		w.Header().Set(http.TrailerPrefix+"X-Undeclared", "late")
	}))
	req, _ := http.NewRequest("POST", ts.url, io.NopCloser(strings.NewReader("body with trailers")))
	req.Trailer = http.Header{"X-Req-Sum": {"1234"}}
	resp, err := ts.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(b) != "body with trailers" {
		t.Fatalf("body %q, %v", b, err)
	}
	if got := resp.Trailer.Get("X-Declared"); got != "declared:1234" {
		t.Errorf("trailer X-Declared = %q (trailers %v)", got, resp.Trailer)
	}
	if got := resp.Trailer.Get("X-Undeclared"); got != "late" {
		t.Errorf("trailer X-Undeclared = %q", got)
	}
}

func TestInformational(t *testing.T) {
	ts := startServer(t, udpNet(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hints" {
			w.Header().Set("Link", "</style.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			w.Header().Del("Link")
			io.WriteString(w, "final")
			return
		}
		if r.URL.Path == "/refuse" {
			w.WriteHeader(http.StatusForbidden) // without reading: no 100
			return
		}
		b, _ := io.ReadAll(r.Body) // triggers 100 Continue
		w.Write(b)
	}))
	t.Run("early hints", func(t *testing.T) {
		var got []int
		var link string
		trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
			got = append(got, code)
			link = h.Get("Link")
			return nil
		}}
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", ts.url+"/hints", nil)
		resp, err := ts.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if len(got) != 1 || got[0] != 103 || link != "</style.css>; rel=preload" || string(b) != "final" {
			t.Errorf("1xx %v link %q body %q", got, link, b)
		}
	})
	t.Run("100-continue", func(t *testing.T) {
		var got100 atomic.Bool
		trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
			if code == 100 {
				got100.Store(true)
			}
			return nil
		}}
		ts.tr.ExpectContinueTimeout = time.Minute // the body must wait for the 100
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "PUT", ts.url+"/upload",
			strings.NewReader("expected body"))
		req.Header.Set("Expect", "100-continue")
		resp, err := ts.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !got100.Load() || string(b) != "expected body" {
			t.Errorf("100 seen %v, body %q", got100.Load(), b)
		}
	})
}

// readFlag records whether a request body was read.
type readFlag struct {
	read atomic.Bool
	r    io.Reader
}

func (f *readFlag) Read(p []byte) (int, error) { f.read.Store(true); return f.r.Read(p) }

func TestExpectContinueRefused(t *testing.T) {
	ts := startServer(t, udpNet(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
	}))
	ts.tr.ExpectContinueTimeout = time.Minute
	body := &readFlag{r: strings.NewReader("unwanted")}
	req, _ := http.NewRequestWithContext(testCtx(t), "PUT", ts.url+"/refuse", body)
	req.Header.Set("Expect", "100-continue")
	resp, err := ts.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("status %d", resp.StatusCode)
	}
	// The body writer decides right after the final status; give it the same
	// connection round trip to finish by making one more request.
	ts.get(t, "/")
	if body.read.Load() {
		t.Errorf("the body was sent although the server refused it")
	}
}

func TestStreamingBothWays(t *testing.T) {
	size := 100 << 20
	if testing.Short() || runtime.GOARCH == "wasm" {
		size = 8 << 20 // WebAssembly moves ~10 MB/s with both ends in one guest
	}
	ts := startServer(t, udpNet(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, err := io.Copy(h, r.Body)
		if err != nil {
			w.WriteHeader(500)
			return
		}
		w.Header().Set("X-Sum", fmt.Sprintf("%x", h.Sum(nil)))
		w.Header().Set("X-Len", fmt.Sprint(n))
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		for sent := 0; sent < size; sent += 1 << 20 {
			w.Write(testData(1 << 20))
		}
	}))
	chunk := testData(1 << 20)
	pr, pw := io.Pipe()
	go func() {
		for sent := 0; sent < size; sent += len(chunk) {
			if _, err := pw.Write(chunk); err != nil {
				return
			}
		}
		pw.Close()
	}()
	req, _ := http.NewRequestWithContext(testCtx(t), "POST", ts.url, pr)
	resp, err := ts.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	want := sha256.New()
	for sent := 0; sent < size; sent += len(chunk) {
		want.Write(chunk)
	}
	wantSum := fmt.Sprintf("%x", want.Sum(nil))
	if resp.Header.Get("X-Sum") != wantSum || resp.Header.Get("X-Len") != fmt.Sprint(size) {
		t.Fatalf("server received %s bytes with sum %s", resp.Header.Get("X-Len"), resp.Header.Get("X-Sum"))
	}
	got := sha256.New()
	n, err := io.Copy(got, resp.Body)
	if err != nil || n != int64(size) || fmt.Sprintf("%x", got.Sum(nil)) != wantSum {
		t.Fatalf("downloaded %d bytes (%v), sum match %v", n, err, fmt.Sprintf("%x", got.Sum(nil)) == wantSum)
	}
}

func TestConcurrentRequests(t *testing.T) {
	n := 1000
	if testing.Short() || runtime.GOARCH == "wasm" {
		n = 200
	}
	ts := startServer(t, udpNet(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.URL.Path)
	}), func(s *Server, tr *Transport) {
		s.QUICConfig = nil
	})
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := fmt.Sprintf("/r%d", i)
			resp, err := ts.client.Get(ts.url + path)
			if err != nil {
				errs <- err
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || string(b) != path {
				errs <- fmt.Errorf("%s: %q %v", path, b, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	ts.tr.mu.Lock()
	conns := len(ts.tr.conns)
	ts.tr.mu.Unlock()
	if conns != 1 {
		t.Errorf("%d connections, want 1", conns)
	}
}

func TestPanickingHandler(t *testing.T) {
	ts := startServer(t, udpNet(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/panic":
			panic("boom")
		case "/abort":
			panic(http.ErrAbortHandler)
		}
		io.WriteString(w, "fine")
	}))
	for _, path := range []string{"/panic", "/abort"} {
		_, err := ts.client.Get(ts.url + path)
		if !errors.Is(err, ErrCodeInternalError) {
			t.Errorf("%s: error %v, want H3_INTERNAL_ERROR", path, err)
		}
		if code, body := ts.get(t, "/ok"); code != 200 || body != "fine" {
			t.Errorf("after %s: %d %q", path, code, body)
		}
	}
}

func TestCancellation(t *testing.T) {
	handlerCtxDone := make(chan error, 1)
	started := make(chan struct{}, 1)
	ts := startServer(t, udpNet(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/wait":
			started <- struct{}{}
			select {
			case <-r.Context().Done():
				handlerCtxDone <- context.Cause(r.Context())
			case <-time.After(30 * time.Second):
				handlerCtxDone <- errors.New("request context not cancelled")
			}
		case "/reset":
			w.Write([]byte("partial"))
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}
	}))
	t.Run("client", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", ts.url+"/wait", nil)
		go func() { <-started; cancel() }()
		_, err := ts.client.Do(req)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("client error %v, want context.Canceled", err)
		}
		if err := <-handlerCtxDone; !errors.Is(err, ErrCodeRequestCancelled) {
			t.Errorf("handler's context ended with %v, want H3_REQUEST_CANCELLED", err)
		}
	})
	t.Run("server", func(t *testing.T) {
		// The reset may overtake the headers (a reset stream's data need not be
		// delivered), so the error comes from Get or from the body.
		resp, err := ts.client.Get(ts.url + "/reset")
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		var e *Error
		if !errors.As(err, &e) || !e.Remote || e.Code != ErrCodeInternalError {
			t.Errorf("body error %v, want a remote H3_INTERNAL_ERROR", err)
		}
	})
}

func TestHeaderLimits(t *testing.T) {
	const limit = 4096
	ts := startServer(t, udpNet(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}), func(s *Server, tr *Transport) { s.MaxHeaderBytes = limit })
	// Each field counts its name, its value and 32 bytes (RFC 9114 section 4.2.2).
	base := []struct{ name, value string }{{":method", "GET"}, {":scheme", "https"}, {":authority", ts.addr}, {":path", "/"},
		{"accept-encoding", "gzip"}}
	used := 0
	for _, f := range base {
		used += len(f.name) + len(f.value) + 32
	}
	fill := limit - used - len("x-fill") - 32
	ts.get(t, "/warm") // the client learns the server's limit from its SETTINGS
	ts.tr.mu.Lock()
	var cc *clientConn
	for _, c := range ts.tr.conns {
		cc = c
	}
	ts.tr.mu.Unlock()
	for _, tt := range []struct {
		name        string
		size        int
		ignoreLimit bool // pretend the client had not seen the server's limit
		want        int  // 0: the client refuses to send
	}{
		{"at the limit", fill, false, 200},
		{"just over", fill + 1, false, 0},
		{"just over, sent anyway", fill + 1, true, 431},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cc.c.mu.Lock()
			cc.c.peerSettings.maxFieldSectionSize = limit
			if tt.ignoreLimit {
				cc.c.peerSettings.maxFieldSectionSize = 0
			}
			cc.c.mu.Unlock()
			req, _ := http.NewRequest("GET", ts.url+"/", nil)
			req.Header.Set("X-Fill", strings.Repeat("v", tt.size))
			resp, err := ts.client.Do(req)
			if tt.want == 0 {
				if err == nil || !strings.Contains(err.Error(), "exceeds the peer's limit") {
					t.Errorf("error %v, want the peer's limit", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

// TestSlowReader: a client that stops reading holds the server's handler back
// through flow control, so memory stays bounded whatever the response size.
func TestSlowReader(t *testing.T) {
	const limit = 64 << 20
	written := make(chan int64, 1)
	stopped := make(chan struct{}) // the client has stopped reading
	ts := startServer(t, udpNet(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		go func() {
			<-stopped
			// Give the blocked writes a moment to show they stay blocked.
			rc.SetWriteDeadline(time.Now().Add(300 * time.Millisecond))
		}()
		chunk := testData(64 << 10)
		var n int64
		for n < limit {
			m, err := w.Write(chunk)
			n += int64(m)
			if err != nil {
				break
			}
		}
		written <- n
		panic(http.ErrAbortHandler)
	}))
	resp, err := ts.client.Get(ts.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 1<<20)
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		t.Fatal(err)
	}
	// Read nothing more: the handler's writes block until their deadline.
	close(stopped)
	n := <-written
	// The bound is the stream's receive window (at most 6 MiB by default) plus
	// what the sender buffers; far below the 64 MiB the handler tried to write.
	if n >= 24<<20 {
		t.Errorf("the handler wrote %d bytes to a client that read 1 MiB", n)
	}
	t.Logf("handler wrote %d bytes before blocking", n)
}

// TestLargeResponsesWithInserts: many large responses at once whose header
// sections need fresh QPACK inserts. The inserts must not queue behind the
// bodies: once those use the client's connection window, a client waiting for
// inserts to decode headers would never read, and never return credit.
func TestLargeResponsesWithInserts(t *testing.T) {
	const n, size = 16, 1 << 20
	payload := testData(size)
	ts := startServer(t, udpNet(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A new value each time: a new dynamic table entry for each response.
		w.Header().Set("X-Request", r.URL.Path)
		w.Header().Set("Etag", `"`+r.URL.Path+`"`)
		w.Write(payload)
	}))
	for round := range 3 {
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				path := fmt.Sprintf("/r%d-%d", round, i)
				req, _ := http.NewRequestWithContext(testCtx(t), "GET", ts.url+path, nil)
				resp, err := ts.client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				m, err := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || m != size || resp.Header.Get("X-Request") != path {
					t.Errorf("%s: %d bytes, %v, header %q", path, m, err, resp.Header.Get("X-Request"))
				}
			}()
		}
		wg.Wait()
	}
}
