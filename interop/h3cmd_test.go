package interop

// Interop of the h3 command (cmd/h3), run as a program, with independent stacks
// over real UDP on 127.0.0.1:
//
//	ngtcp2's gtlsclient -> h3 serve                     (3 MiB, byte for byte)
//	h3 get -k -o FILE   -> gtlsserver, quic-go's http3.Server  (1 KiB, 5 MiB)
//	h3 bench            -> h3 serve, gtlsserver, quic-go's http3.Server
//
// The binary is built once per test process into tmp/h3 (from the main module:
// the interop module does not require wazero, which cmd/h3 imports). The bench
// cases log a Markdown table of their figures (see docs/BENCHMARKS.md, "The h3
// command") and, against quic-go's server, the rate quic-go's own client reaches
// with the same concurrency for the same time, to tell whether h3 bench measures
// the server or itself.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"
	quicgohttp3 "github.com/quic-go/quic-go/http3"
)

// h3cmdBin builds cmd/h3 once per test process.
var h3cmdBin = sync.OnceValues(func() (string, error) {
	out, err := filepath.Abs(filepath.Join("tmp", "h3"))
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/h3")
	cmd.Dir = ".." // the main module, which the interop module's replace directive points at
	if log, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/h3: %v\n%s", err, log)
	}
	return out, nil
})

func h3cmd(t *testing.T) string {
	t.Helper()
	bin, err := h3cmdBin()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// h3cmdFiles are the files every server serves, by name and size.
var h3cmdFiles = map[string]int{"1k": 1 << 10, "1m": 1 << 20, "3m": 3 << 20, "5m": 5 << 20}

var h3cmdContentCache sync.Map // name -> []byte

// h3cmdContent returns the content of file name: xorshift bytes seeded by the
// name, so that no two files share a prefix.
func h3cmdContent(name string) []byte {
	if b, ok := h3cmdContentCache.Load(name); ok {
		return b.([]byte)
	}
	h := fnv.New64a()
	h.Write([]byte("h3cmd/" + name))
	x := h.Sum64() | 1
	b := make([]byte, h3cmdFiles[name])
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x >> 24)
	}
	h3cmdContentCache.Store(name, b)
	return b
}

// h3cmdSetup writes a certificate and the files into a new directory and
// returns the certificate's files, the TLS configurations and the htdocs directory.
func h3cmdSetup(t *testing.T) (certFile, keyFile string, stc, ctc *tls.Config, htdocs string) {
	t.Helper()
	dir := t.TempDir()
	certFile, keyFile, stc, ctc = h3TLS(t, dir)
	htdocs = filepath.Join(dir, "htdocs")
	if err := os.Mkdir(htdocs, 0o755); err != nil {
		t.Fatal(err)
	}
	for name := range h3cmdFiles {
		if err := os.WriteFile(filepath.Join(htdocs, name), h3cmdContent(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return certFile, keyFile, stc, ctc, htdocs
}

var h3cmdServingRE = regexp.MustCompile(`^h3 serve: serving .* at https://[^ ]*:(\d+)/ \(HTTP/3`)

// startH3Serve runs h3 serve on htdocs at 127.0.0.1 on a port of its choosing,
// with the extra flags given (--cert and --key, or none for the self-signed
// certificate it makes), waits for its "serving" line on stderr and returns the
// port. The server gets SIGTERM at the end of the test and must shut down with
// its summary line.
func startH3Serve(t *testing.T, htdocs string, flags ...string) int {
	t.Helper()
	args := append([]string{"serve", htdocs, "--addr", "127.0.0.1:0", "--shutdown-timeout", "2s"}, flags...)
	cmd := exec.Command(h3cmd(t), args...)
	// stdout, the access log, goes to /dev/null: a line a request is not what the
	// benchmark should wait on.
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log lockedBuffer
	ports := make(chan int, 1)
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(&log, line)
			if m := h3cmdServingRE.FindStringSubmatch(line); m != nil {
				port, _ := strconv.Atoi(m[1])
				select {
				case ports <- port:
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	exited := make(chan error, 1)
	go func() { <-copied; exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("h3 serve after SIGTERM: %v\n%s", err, log.String())
			} else if !strings.Contains(log.String(), "h3 serve: served ") {
				t.Errorf("h3 serve printed no summary after SIGTERM:\n%s", log.String())
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Errorf("h3 serve did not exit within 10 s of SIGTERM:\n%s", log.String())
		}
		if t.Failed() {
			t.Logf("h3 serve's stderr:\n%s", log.String())
		}
	})
	select {
	case port := <-ports:
		return port
	case err := <-exited:
		exited <- err
		t.Fatalf("h3 serve exited before serving: %v\n%s", err, log.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("h3 serve printed no serving line within 10 s:\n%s", log.String())
	}
	return 0
}

// startGtlsserver runs ngtcp2's gtlsserver on htdocs (or skips the test) and
// returns its port once it has bound it.
func startGtlsserver(t *testing.T, htdocs, certFile, keyFile string) int {
	t.Helper()
	server := lookNgtcp2(t, "gtlsserver")
	port := freeUDPPort(t)
	var log lockedBuffer
	cmd := exec.Command(server, "-q", "--htdocs="+htdocs, "127.0.0.1", strconv.Itoa(port), keyFile, certFile)
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("gtlsserver output:\n%s", log.String())
		}
	})
	waitUDPBound(t, port)
	return port
}

// startQuicGoFileServer serves htdocs with quic-go's http3.Server in this process
// and returns its port.
func startQuicGoFileServer(t *testing.T, htdocs string, stc *tls.Config) int {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &quicgohttp3.Server{Handler: http.FileServer(http.Dir(htdocs)), TLSConfig: stc,
		QUICConfig: &quicgo.Config{MaxIdleTimeout: 30 * time.Second}}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(pc) }()
	t.Cleanup(func() {
		srv.Close()
		pc.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("quic-go's Server.Serve did not return after Close")
		}
	})
	return pc.LocalAddr().(*net.UDPAddr).Port
}

// runH3 runs the h3 command with args, bounded by limit, and returns its
// output and exit code.
func runH3(t *testing.T, limit time.Duration, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, h3cmd(t), args...)
	cmd.WaitDelay = 2 * time.Second
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("h3 %s: still running after %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), limit, o.String(), e.String())
	}
	if err != nil && cmd.ProcessState == nil {
		t.Fatalf("h3 %s: %v", strings.Join(args, " "), err)
	}
	return o.String(), e.String(), cmd.ProcessState.ExitCode()
}

// TestH3CmdServeNgtcp2Client: gtlsclient (ngtcp2 + nghttp3) fetches a 3 MiB file
// from h3 serve.
func TestH3CmdServeNgtcp2Client(t *testing.T) {
	client := lookNgtcp2(t, "gtlsclient")
	certFile, keyFile, _, _, htdocs := h3cmdSetup(t)
	port := startH3Serve(t, htdocs, "--cert", certFile, "--key", keyFile)
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, client, "-q", "--exit-on-all-streams-close", "--download="+out,
		"127.0.0.1", strconv.Itoa(port), fmt.Sprintf("https://127.0.0.1:%d/3m", port))
	log, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("gtlsclient: %v\n%s", err, log)
	}
	got, err := os.ReadFile(filepath.Join(out, "3m"))
	if err != nil {
		t.Fatalf("gtlsclient saved no /3m: %v\n%s", err, log)
	}
	if want := h3cmdContent("3m"); !bytes.Equal(got, want) {
		t.Fatalf("/3m: gtlsclient got %d bytes, want %d, or the bytes differ", len(got), len(want))
	}
	t.Logf("gtlsclient got /3m (%d bytes) byte-exact from h3 serve in %v", len(got), time.Since(start).Round(time.Millisecond))
}

// TestH3CmdGet: h3 get -k -o FILE against gtlsserver and quic-go's http3.Server.
func TestH3CmdGet(t *testing.T) {
	certFile, keyFile, stc, _, htdocs := h3cmdSetup(t)
	servers := []struct {
		name  string
		start func(t *testing.T) int
	}{
		{"ngtcp2", func(t *testing.T) int { return startGtlsserver(t, htdocs, certFile, keyFile) }},
		{"quic-go", func(t *testing.T) int { return startQuicGoFileServer(t, htdocs, stc) }},
	}
	for _, srv := range servers {
		t.Run("server="+srv.name, func(t *testing.T) {
			port := srv.start(t)
			for _, name := range []string{"1k", "5m"} {
				file := filepath.Join(t.TempDir(), name)
				start := time.Now()
				stdout, stderr, code := runH3(t, 20*time.Second, "get", "-sS", "-k", "-m", "15",
					"-o", file, fmt.Sprintf("https://127.0.0.1:%d/%s", port, name))
				if code != 0 {
					t.Fatalf("h3 get /%s: exit %d\nstdout:\n%s\nstderr:\n%s", name, code, stdout, stderr)
				}
				got, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				if want := h3cmdContent(name); !bytes.Equal(got, want) {
					t.Fatalf("h3 get /%s: %d bytes, want %d, or the bytes differ", name, len(got), len(want))
				}
				t.Logf("h3 get /%s: %d bytes byte-exact in %v", name, len(got), time.Since(start).Round(time.Millisecond))
			}
		})
	}
}

// h3BenchResult is what h3 bench printed.
type h3BenchResult struct {
	elapsed                                 time.Duration
	reqPerSec, mbPerSec                     float64
	total, started, done, succeeded, failed int
	errored, timeouts, ok2xx                int
	p50, p99                                time.Duration
}

var (
	h3BenchFinishedRE = regexp.MustCompile(`(?m)^finished in (\S+), ([0-9.]+) req/s, ([0-9.]+)MB/s$`)
	h3BenchRequestsRE = regexp.MustCompile(`(?m)^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout$`)
	h3BenchStatusRE   = regexp.MustCompile(`(?m)^status codes: (\d+) 2xx`)
	h3BenchLatencyRE  = regexp.MustCompile(`(?m)^latency: min \S+, p50 (\S+), p90 \S+, p99 (\S+),`)
)

// parseH3Bench parses the report of h3 bench.
func parseH3Bench(out string) (*h3BenchResult, error) {
	var r h3BenchResult
	m := h3BenchFinishedRE.FindStringSubmatch(out)
	if m == nil {
		return nil, fmt.Errorf("no 'finished in' line")
	}
	var err error
	if r.elapsed, err = time.ParseDuration(m[1]); err != nil {
		return nil, err
	}
	r.reqPerSec, _ = strconv.ParseFloat(m[2], 64)
	r.mbPerSec, _ = strconv.ParseFloat(m[3], 64)
	if m = h3BenchRequestsRE.FindStringSubmatch(out); m == nil {
		return nil, fmt.Errorf("no 'requests:' line")
	}
	for i, p := range []*int{&r.total, &r.started, &r.done, &r.succeeded, &r.failed, &r.errored, &r.timeouts} {
		*p, _ = strconv.Atoi(m[i+1])
	}
	if m = h3BenchStatusRE.FindStringSubmatch(out); m == nil {
		return nil, fmt.Errorf("no 'status codes:' line")
	}
	r.ok2xx, _ = strconv.Atoi(m[1])
	if m = h3BenchLatencyRE.FindStringSubmatch(out); m == nil {
		return nil, fmt.Errorf("no 'latency:' line")
	}
	if r.p50, err = time.ParseDuration(m[1]); err != nil {
		return nil, err
	}
	if r.p99, err = time.ParseDuration(m[2]); err != nil {
		return nil, err
	}
	return &r, nil
}

// quicGoClientLoop fetches url with quic-go's http3.Transport, conns
// connections with perConn goroutines each looping on GETs, until d has passed
// since the start (dialing included, as in h3 bench). It returns the completed
// requests per second and the failures.
func quicGoClientLoop(ctc *tls.Config, url string, conns, perConn int, d time.Duration) (reqPerSec float64, done, failed int64) {
	var wg sync.WaitGroup
	var nDone, nFailed atomic.Int64
	start := time.Now()
	deadline := start.Add(d)
	var trs []*quicgohttp3.Transport
	for range conns {
		tr := &quicgohttp3.Transport{TLSClientConfig: ctc.Clone(), QUICConfig: &quicgo.Config{MaxIdleTimeout: 30 * time.Second}}
		trs = append(trs, tr)
		for range perConn {
			wg.Go(func() {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				for time.Now().Before(deadline) {
					resp, err := tr.RoundTrip(req)
					if err == nil {
						_, err = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if err == nil && resp.StatusCode != http.StatusOK {
							err = fmt.Errorf("status %d", resp.StatusCode)
						}
					}
					if err != nil {
						nFailed.Add(1)
						continue
					}
					nDone.Add(1)
				}
			})
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	for _, tr := range trs {
		tr.Close()
	}
	return float64(nDone.Load()) / elapsed.Seconds(), nDone.Load(), nFailed.Load()
}

// TestH3CmdBench: h3 bench -c 2 -m 8 against h3 serve, gtlsserver and quic-go's
// http3.Server, 2000 GETs of 1 KiB and 200 of 1 MiB each; every request must
// succeed. It logs the figures as a Markdown table.
func TestH3CmdBench(t *testing.T) {
	certFile, keyFile, stc, ctc, htdocs := h3cmdSetup(t)
	servers := []struct {
		name  string
		start func(t *testing.T) int
	}{
		{"h3 serve", func(t *testing.T) int { return startH3Serve(t, htdocs, "--cert", certFile, "--key", keyFile) }},
		{"ngtcp2 gtlsserver", func(t *testing.T) int { return startGtlsserver(t, htdocs, certFile, keyFile) }},
		{"quic-go http3.Server", func(t *testing.T) int { return startQuicGoFileServer(t, htdocs, stc) }},
	}
	runs := []struct {
		file string
		n    int
	}{{"1k", 2000}, {"1m", 200}}
	const clients, streams = 2, 8

	var table strings.Builder
	fmt.Fprintf(&table, "| server | body | requests | req/s | MB/s | p50 | p99 |\n|---|---|---|---|---|---|---|\n")
	for _, srv := range servers {
		t.Run("server="+strings.Fields(srv.name)[0], func(t *testing.T) {
			port := srv.start(t)
			for _, run := range runs {
				url := fmt.Sprintf("https://127.0.0.1:%d/%s", port, run.file)
				stdout, stderr, code := runH3(t, 30*time.Second, "bench", "-k", "-n", strconv.Itoa(run.n),
					"-c", strconv.Itoa(clients), "-m", strconv.Itoa(streams), url)
				r, err := parseH3Bench(stdout)
				if err != nil {
					t.Fatalf("h3 bench %s: %v (exit %d)\nstdout:\n%s\nstderr:\n%s", url, err, code, stdout, stderr)
				}
				if code != 0 || r.total != run.n || r.done != run.n || r.succeeded != run.n || r.ok2xx != run.n ||
					r.failed != 0 || r.errored != 0 || r.timeouts != 0 {
					t.Fatalf("h3 bench %s: exit %d, want every one of %d requests to succeed\nstdout:\n%s\nstderr:\n%s",
						url, code, run.n, stdout, stderr)
				}
				t.Logf("%s /%s: %.0f req/s, %.1f MB/s, p50 %v, p99 %v, %d requests in %v",
					srv.name, run.file, r.reqPerSec, r.mbPerSec, r.p50, r.p99, run.n, r.elapsed)
				fmt.Fprintf(&table, "| %s | %s | %d | %.0f | %.1f | %v | %v |\n",
					srv.name, map[string]string{"1k": "1 KiB", "1m": "1 MiB"}[run.file], run.n,
					r.reqPerSec, r.mbPerSec, r.p50, r.p99)

				if srv.name == "quic-go http3.Server" && run.file == "1k" {
					// The same load from quic-go's own client, in this process, for
					// as long as h3 bench ran: if h3 bench measured itself, quic-go's
					// client would get much more out of the server.
					rate, done, failed := quicGoClientLoop(ctc, url, clients, streams, r.elapsed)
					t.Logf("quic-go http3.Server /1k: h3 bench %.0f req/s; quic-go's client (%d connections x %d goroutines, %v) %.0f req/s (%d done, %d failed)",
						r.reqPerSec, clients, streams, r.elapsed, rate, done, failed)
				}
			}
		})
	}
	t.Logf("h3 bench -c %d -m %d:\n%s", clients, streams, table.String())
}
