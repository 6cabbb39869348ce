package main

import (
	"bytes"
	"github.com/h3wasi/h3wasi/wasi"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestBench runs -n 200 -c 2 -m 4 and checks the counts it prints.
func TestBench(t *testing.T) {
	var reqs, posts atomic.Int64
	body := strings.Repeat("x", 1000)
	ts := startH3TestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := reqs.Add(1)
		if r.Method == http.MethodPost {
			posts.Add(1)
			io.Copy(io.Discard, r.Body)
		}
		if r.URL.Path == "/some-fail" && n%4 == 0 {
			http.Error(w, "oops", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, body)
	}))

	for _, tc := range []struct {
		name  string
		args  []string
		want  []string
		reqs  int64
		conns int64
	}{
		{"counts", []string{"-n", "200", "-c", "2", "-m", "4", ts.url + "/"}, []string{
			"h3 bench " + ts.url + "/: 2 clients, 4 streams each, 200 requests\n",
			"requests: 200 total, 200 started, 200 done, 200 succeeded, 0 failed, 0 errored, 0 timeout\n",
			"status codes: 200 2xx, 0 3xx, 0 4xx, 0 5xx (200: 200)\n",
			"traffic: 0.19MB (200000) of response bodies\n",
			"connections: 2 succeeded, 0 failed; time to connect: ",
		}, 200, 2},
		{"status codes", []string{"-n", "100", "-c", "1", "-m", "10", ts.url + "/some-fail"}, []string{
			"requests: 100 total, 100 started, 100 done, 75 succeeded, 25 failed, 0 errored, 0 timeout\n",
			"status codes: 75 2xx, 0 3xx, 0 4xx, 25 5xx (200: 75, 500: 25)\n",
		}, 100, 1},
		{"post", []string{"-n", "20", "-c", "4", "-d", "/dev/null", ts.url + "/"}, []string{
			"requests: 20 total, 20 started, 20 done, 20 succeeded",
		}, 20, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reqs.Store(0)
			posts.Store(0)
			before := ts.conns.Load()
			code, stdout, stderr := h3Run(t, append([]string{"bench", "--cacert", ts.cacert}, tc.args...)...)
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, stderr, stdout)
			}
			for _, w := range tc.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
			if !regexp.MustCompile(`(?m)^finished in \d+(\.\d+)?(us|ms|s), \d+\.\d\d req/s, \d+\.\d\dMB/s$`).MatchString(stdout) ||
				!regexp.MustCompile(`(?m)^latency: min \S+, p50 \S+, p90 \S+, p99 \S+, max \S+, mean \S+$`).MatchString(stdout) {
				t.Errorf("stdout:\n%s", stdout)
			}
			if n := reqs.Load(); n != tc.reqs {
				t.Errorf("server saw %d requests, want %d", n, tc.reqs)
			}
			if tc.name == "post" && posts.Load() != tc.reqs {
				t.Errorf("%d POSTs", posts.Load())
			}
			if n := ts.conns.Load() - before; n != tc.conns {
				t.Errorf("%d connections, want %d", n, tc.conns)
			}
		})
	}
}

// TestBenchDuration runs for a short -D after a warm-up, with the progress meter
// of a terminal.
func TestBenchDuration(t *testing.T) {
	var reqs atomic.Int64
	ts := startH3TestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqs.Add(1)
		io.WriteString(w, "ok")
	}))
	defer func(f func(io.Writer) bool) { writerIsTerminal = f }(writerIsTerminal)
	var stdout, stderr bytes.Buffer
	writerIsTerminal = func(w io.Writer) bool { return w == &stderr }
	start := time.Now()
	code := run([]string{"bench", "-k", "-D", "150ms", "--warm-up", "0.05", "-c", "2", "-m", "2", ts.url}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("took %v, less than the warm-up and the duration", d)
	}
	m := regexp.MustCompile(`requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, 0 failed`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("stdout:\n%s", stdout.String())
	}
	done, _ := strconv.Atoi(m[3])
	if done == 0 || m[1] != m[3] || m[2] != m[3] || m[4] != m[3] || int64(done) >= reqs.Load() {
		t.Errorf("counts %v; the server saw %d requests (warm-up included)", m[1:], reqs.Load())
	}
	if s := stderr.String(); !strings.HasPrefix(s, "\rprogress: ") || !strings.Contains(s, "progress: 100% done, ") || !strings.HasSuffix(s, "\n") {
		t.Errorf("progress on the terminal: %q", s)
	}
}

// TestBenchErrors counts connection failures and reports them.
func TestBenchErrors(t *testing.T) {
	pc, err := wasi.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Skip(err)
	}
	port := strconv.Itoa(pc.LocalAddr().(*net.UDPAddr).Port)
	pc.Close()
	code, stdout, _ := h3Run(t, "bench", "-n", "10", "-c", "2", "-m", "2", "--connect-timeout", "0.2", "https://127.0.0.1:"+port+"/")
	if code != 1 {
		t.Errorf("exit %d", code)
	}
	for _, w := range []string{
		"requests: 10 total, 4 started, 4 done, 0 succeeded, 4 failed, 4 errored, 0 timeout\n",
		"errors:\n  4 connect (Failed to connect to 127.0.0.1 port " + port,
	} {
		if !strings.Contains(stdout, w) {
			t.Errorf("stdout lacks %q:\n%s", w, stdout)
		}
	}
	// Each client dials at least once; one whose first requests failed before
	// another of its streams asked may dial again.
	if !regexp.MustCompile(`connections: 0 succeeded, [234] failed\n`).MatchString(stdout) {
		t.Errorf("stdout:\n%s", stdout)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-n", "1", "-c", "2", "https://localhost/"}, "-n (1) must be at least -c (2)"},
		{[]string{"-n", "x", "https://localhost/"}, "option -n: expected a proper numerical parameter"},
		{[]string{"-D", "soon", "https://localhost/"}, `bad duration "soon"`},
		{[]string{"https://a/", "https://b/"}, "one URL only"},
	} {
		code, _, stderr := h3Run(t, append([]string{"bench"}, tc.args...)...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("bench %q: exit %d, stderr %q, want %q", tc.args, code, stderr, tc.want)
		}
	}
}
