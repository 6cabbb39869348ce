package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/h3wasi/h3wasi/http3"
)

func TestServer(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hello, file\n"), 0o644)
	var logs bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	readyc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, options{addr: "127.0.0.1:0", dir: dir, log: true}, &logs, func(a net.Addr) { readyc <- a })
	}()
	var addr net.Addr
	select {
	case addr = <-readyc:
	case err := <-done:
		if strings.Contains(err.Error(), "not implemented") || strings.Contains(err.Error(), "not supported") {
			t.Skipf("no UDP sockets here: %v", err)
		}
		t.Fatal(err)
	}
	tr := &http3.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	client := &http.Client{Transport: tr}
	base := fmt.Sprintf("https://%s", addr)
	get := func(method, path, body string, hdr ...string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, b
	}

	resp, b := get("GET", "/", "")
	if resp.StatusCode != 200 || !strings.Contains(string(b), "Hello over HTTP/3") ||
		!strings.HasPrefix(resp.Header.Get("Server"), "h3server (") {
		t.Errorf("GET /: %d %q %q", resp.StatusCode, resp.Header.Get("Server"), b)
	}
	resp, b = get("GET", "/api/time", "")
	var tm struct {
		Time    string `json:"time"`
		UnixMS  int64  `json:"unix_ms"`
		Runtime string `json:"runtime"`
	}
	if err := json.Unmarshal(b, &tm); err != nil || tm.UnixMS == 0 || tm.Runtime != platform() ||
		resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("GET /api/time: %v %q", err, b)
	}
	_, b = get("POST", "/api/echo?x=1", `{"hello":[1,2]}`, "X-Test", "yes")
	var e struct {
		Method, Path, Query, Proto string
		Headers                    map[string][]string
		Body                       json.RawMessage
		Length                     int
		TLS                        struct{ Version, Cipher, ALPN string }
	}
	if err := json.Unmarshal(b, &e); err != nil || e.Method != "POST" || e.Path != "/api/echo" || e.Query != "x=1" ||
		e.Proto != "HTTP/3.0" || e.Headers["X-Test"][0] != "yes" || compact(e.Body) != `{"hello":[1,2]}` ||
		e.Length != 15 || e.TLS.ALPN != "h3" || e.TLS.Version != "TLS 1.3" {
		t.Errorf("POST /api/echo: %v %s", err, b)
	}
	_, b = get("POST", "/api/echo", "not json")
	if !strings.Contains(string(b), `"body": "not json"`) {
		t.Errorf("echo of text: %s", b)
	}
	const n = 200<<10 + 7
	resp, b = get("GET", fmt.Sprintf("/bytes/%d", n), "")
	want := bytes.Repeat(patternBlock(), 4)[:n]
	if resp.StatusCode != 200 || !bytes.Equal(b, want) {
		t.Errorf("/bytes: %d, %d bytes, equal %v", resp.StatusCode, len(b), bytes.Equal(b, want))
	}
	resp, b = get("GET", "/bytes/1000000", "", "Range", "bytes=65530-65545")
	if resp.StatusCode != 206 || !bytes.Equal(b, bytes.Repeat(patternBlock(), 2)[65530:65546]) {
		t.Errorf("/bytes range: %d %x", resp.StatusCode, b)
	}
	if resp, _ = get("GET", "/bytes/nope", ""); resp.StatusCode != 400 {
		t.Errorf("/bytes/nope: %d", resp.StatusCode)
	}
	resp, b = get("GET", "/files/hello.txt", "")
	if resp.StatusCode != 200 || string(b) != "hello, file\n" {
		t.Errorf("/files/hello.txt: %d %q", resp.StatusCode, b)
	}
	// The first bytes of the pattern are pinned: h3 demo regenerates them.
	if got := fmt.Sprintf("%x", patternBlock()[:8]); got != pinnedPattern {
		t.Errorf("pattern starts %s; want %s", got, pinnedPattern)
	}
	tr.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "listening on https://127.0.0.1:") || !strings.Contains(logs.String(), "GET /api/time 200") {
		t.Errorf("logs:\n%s", logs.String())
	}
}

const pinnedPattern = "7336ffdcdc93e4c3"

func compact(b []byte) string {
	var buf bytes.Buffer
	json.Compact(&buf, b)
	return buf.String()
}
