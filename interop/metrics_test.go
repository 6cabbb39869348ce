package interop

// h3 serve's /metrics read by Prometheus's own text parser (expfmt), before
// and after a known set of requests over HTTP/3.

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/h3wasi/h3wasi/http3"
)

// scrapeH3Metrics fetches /metrics and parses it with expfmt's text parser;
// every family must come with HELP and TYPE. It returns the families and the
// size of the body (which h3 serve counts in its response bytes).
func scrapeH3Metrics(t *testing.T, ctx context.Context, tr *http3.Transport, base string) (map[string]*dto.MetricFamily, int) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("GET /metrics: reading the body: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: status %d\n%s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("GET /metrics: Content-Type %q, want text/plain", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v\n%s", err, body)
	}
	for name, mf := range families {
		if mf.GetHelp() == "" {
			t.Errorf("/metrics: family %s has no HELP", name)
		}
		if mf.Type == nil || mf.GetType() == dto.MetricType_UNTYPED {
			t.Errorf("/metrics: family %s has no TYPE", name)
		}
		// The parser takes a sample line without a HELP or TYPE of its own into
		// a family of that name; check the text too.
		for _, prefix := range []string{"# HELP " + name + " ", "# TYPE " + name + " "} {
			if !bytes.Contains(body, []byte("\n"+prefix)) && !bytes.HasPrefix(body, []byte(prefix)) {
				t.Errorf("/metrics: no %q line", strings.TrimSpace(prefix))
			}
		}
	}
	return families, len(body)
}

// metricValue returns the value of the family's sample whose labels include
// labels (name, value pairs), summed over the samples that match; 0 if none.
func metricValue(families map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	mf := families[name]
	if mf == nil {
		return 0
	}
	var sum float64
samples:
	for _, m := range mf.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, lp := range m.GetLabel() {
				if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
					found = true
					break
				}
			}
			if !found {
				continue samples
			}
		}
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Untyped != nil:
			sum += m.GetUntyped().GetValue()
		}
	}
	return sum
}

// TestH3ServeMetricsPrometheus: h3 serve (self-signed certificate) over UDP on
// 127.0.0.1; /metrics is scraped, then 5 GETs of a file, 2 GETs of a missing
// path and a POST are sent, and /metrics is scraped again. Both scrapes must
// parse with Prometheus's parser, and the request counters must have moved by
// exactly what was sent: h3 serve counts a request once its response is done,
// so the second scrape counts the first (GET 2xx) but not itself.
func TestH3ServeMetricsPrometheus(t *testing.T) {
	const (
		nFile    = 5
		nMissing = 2
		fileSize = 4321
	)
	htdocs := t.TempDir()
	content := bytes.Repeat([]byte("h3 serve metrics\n"), fileSize/17+1)[:fileSize]
	if err := os.WriteFile(filepath.Join(htdocs, "file.txt"), content, 0o644); err != nil {
		t.Fatal(err)
	}
	port := startH3Serve(t, htdocs) // its own self-signed certificate
	base := fmt.Sprintf("https://127.0.0.1:%d", port)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tr := &http3.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	defer tr.Close()

	before, firstScrape := scrapeH3Metrics(t, ctx, tr, base)

	do := func(method, path string, body io.Reader) (status int, n int64) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, base+path, body)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		n, err = io.Copy(io.Discard, resp.Body)
		if err != nil {
			t.Fatalf("%s %s: reading the body: %v", method, path, err)
		}
		return resp.StatusCode, n
	}
	for range nFile {
		if status, n := do(http.MethodGet, "/file.txt", nil); status != http.StatusOK || n != fileSize {
			t.Fatalf("GET /file.txt: status %d, %d bytes; want 200, %d bytes", status, n, fileSize)
		}
	}
	for range nMissing {
		if status, _ := do(http.MethodGet, "/no-such-file", nil); status != http.StatusNotFound {
			t.Fatalf("GET /no-such-file: status %d, want 404", status)
		}
	}
	postStatus, _ := do(http.MethodPost, "/file.txt", strings.NewReader("posted"))
	postClass := strconv.Itoa(postStatus/100) + "xx"
	t.Logf("POST /file.txt: h3 serve answered %d", postStatus)

	after, _ := scrapeH3Metrics(t, ctx, tr, base)

	// Request counters by method and status class.
	want := map[[2]string]float64{
		{"GET", "2xx"}:      nFile + 1, // + the first scrape
		{"GET", "4xx"}:      nMissing,
		{"POST", postClass}: 1,
	}
	seen := map[[2]string]bool{}
	for _, mf := range []*dto.MetricFamily{before["h3_requests_total"], after["h3_requests_total"]} {
		for _, m := range mf.GetMetric() {
			var k [2]string
			for _, lp := range m.GetLabel() {
				switch lp.GetName() {
				case "method":
					k[0] = lp.GetValue()
				case "code_class":
					k[1] = lp.GetValue()
				}
			}
			seen[k] = true
		}
	}
	for k := range want {
		seen[k] = true
	}
	if after["h3_requests_total"] == nil {
		t.Errorf("/metrics has no h3_requests_total")
	}
	for k := range seen {
		got := metricValue(after, "h3_requests_total", "method", k[0], "code_class", k[1]) -
			metricValue(before, "h3_requests_total", "method", k[0], "code_class", k[1])
		if got != want[k] {
			t.Errorf("h3_requests_total{method=%q,code_class=%q} moved by %v, want %v", k[0], k[1], got, want[k])
		}
	}

	// Bytes out: at least the file bodies and the first scrape's body.
	if got, min := metricValue(after, "h3_response_body_bytes_total")-metricValue(before, "h3_response_body_bytes_total"),
		float64(nFile*fileSize+firstScrape); got < min {
		t.Errorf("h3_response_body_bytes_total moved by %v, want at least %v", got, min)
	}
	if got := metricValue(after, "h3_connections_open"); got < 1 {
		t.Errorf("h3_connections_open = %v, want >= 1", got)
	}
	if got := metricValue(after, "h3_connections_total"); got < 1 {
		t.Errorf("h3_connections_total = %v, want >= 1", got)
	}
	if got := metricValue(after, "h3_handshakes_total"); got < 1 {
		t.Errorf("h3_handshakes_total (all kinds) = %v, want >= 1", got)
	}
	if got := metricValue(after, "h3_quic_packets_sent_total"); got <= 0 {
		t.Errorf("h3_quic_packets_sent_total = %v, want > 0", got)
	}
	for _, name := range []string{"h3_udp_sent_bytes_total", "h3_udp_received_bytes_total"} {
		if got := metricValue(after, name); got <= 0 {
			t.Errorf("%s = %v, want > 0", name, got)
		}
	}
	if h := after["h3_request_duration_seconds"].GetMetric(); len(h) != 1 || h[0].GetHistogram() == nil {
		t.Errorf("h3_request_duration_seconds: %d samples, want one histogram", len(h))
	} else if got, want := h[0].GetHistogram().GetSampleCount(), uint64(metricValue(after, "h3_requests_total")); got != want {
		t.Errorf("h3_request_duration_seconds_count = %d, want h3_requests_total = %d", got, want)
	}
}
