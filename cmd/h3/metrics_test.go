package main

import (
	"bufio"
	"bytes"
	"io"
	"math"
	"net/http"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/quic"
)

// metricFamily is one parsed family of the text exposition format.
type metricFamily struct {
	name, typ, help string
	samples         []metricSample
}

type metricSample struct {
	name   string
	labels map[string]string
	value  float64
}

var (
	metricNameRE = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelNameRE  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// parseExposition parses the Prometheus text format strictly: every family has
// HELP then TYPE before its samples, names and label names match the format's
// regular expressions, label values are quoted with only \\, \" and \n escapes,
// values are floats, a sample belongs to the family declared last (with the
// _bucket, _sum and _count suffixes of histograms), no family or series
// repeats, and histograms have ascending le buckets ending at +Inf, cumulative,
// with _count equal to the +Inf bucket.
func parseExposition(t *testing.T, text string) map[string]*metricFamily {
	t.Helper()
	fams := make(map[string]*metricFamily)
	if !strings.HasSuffix(text, "\n") {
		t.Fatalf("exposition does not end with a newline")
	}
	var cur *metricFamily
	series := make(map[string]bool)
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("line %d %q: "+format, append([]any{i + 1, line}, args...)...)
		}
		switch {
		case line == "":
			fail("empty line")
		case strings.HasPrefix(line, "# HELP "):
			name, help, ok := strings.Cut(strings.TrimPrefix(line, "# HELP "), " ")
			if !ok || !metricNameRE.MatchString(name) || help == "" {
				fail("bad HELP")
			}
			if fams[name] != nil {
				fail("family %s repeated", name)
			}
			cur = &metricFamily{name: name, help: help}
			fams[name] = cur
		case strings.HasPrefix(line, "# TYPE "):
			name, typ, _ := strings.Cut(strings.TrimPrefix(line, "# TYPE "), " ")
			if cur == nil || cur.name != name || cur.typ != "" || len(cur.samples) > 0 {
				fail("TYPE not right after its HELP")
			}
			switch typ {
			case "counter", "gauge", "histogram", "summary", "untyped":
			default:
				fail("unknown type %q", typ)
			}
			cur.typ = typ
		case strings.HasPrefix(line, "#"):
			fail("unexpected comment")
		default:
			if cur == nil || cur.typ == "" {
				fail("sample before HELP and TYPE")
			}
			s, key := parseSample(t, line, fail)
			if series[key] {
				fail("series repeated")
			}
			series[key] = true
			want := []string{cur.name}
			if cur.typ == "histogram" {
				want = []string{cur.name + "_bucket", cur.name + "_sum", cur.name + "_count"}
			}
			if !contains(want, s.name) {
				fail("sample of %s in family %s", s.name, cur.name)
			}
			if cur.typ == "counter" && !strings.HasSuffix(cur.name, "_total") {
				fail("counter without _total")
			}
			if (cur.typ == "counter" || strings.HasSuffix(s.name, "_count") || strings.HasSuffix(s.name, "_bucket")) &&
				(s.value < 0 || s.value != math.Trunc(s.value)) {
				fail("count %v not a non-negative integer", s.value)
			}
			cur.samples = append(cur.samples, s)
		}
	}
	for _, f := range fams {
		if f.typ == "" {
			t.Fatalf("family %s has no TYPE", f.name)
		}
		if f.typ == "histogram" {
			checkHistogram(t, f)
		}
	}
	return fams
}

func parseSample(t *testing.T, line string, fail func(string, ...any)) (metricSample, string) {
	t.Helper()
	s := metricSample{labels: map[string]string{}}
	i := strings.IndexAny(line, "{ ")
	if i < 0 {
		fail("no value")
	}
	s.name = line[:i]
	if !metricNameRE.MatchString(s.name) {
		fail("bad metric name %q", s.name)
	}
	rest := line[i:]
	var keys []string
	if rest[0] == '{' {
		rest = rest[1:]
		for {
			eq := strings.IndexByte(rest, '=')
			if eq < 0 {
				fail("label without =")
			}
			name := rest[:eq]
			if !labelNameRE.MatchString(name) || strings.HasPrefix(name, "__") {
				fail("bad label name %q", name)
			}
			if _, dup := s.labels[name]; dup {
				fail("label %s repeated", name)
			}
			rest = rest[eq+1:]
			if rest == "" || rest[0] != '"' {
				fail("unquoted label value")
			}
			var val strings.Builder
			j := 1
			for ; j < len(rest) && rest[j] != '"'; j++ {
				if rest[j] == '\\' {
					j++
					switch {
					case j < len(rest) && rest[j] == '\\':
						val.WriteByte('\\')
					case j < len(rest) && rest[j] == '"':
						val.WriteByte('"')
					case j < len(rest) && rest[j] == 'n':
						val.WriteByte('\n')
					default:
						fail("bad escape in label value")
					}
					continue
				}
				val.WriteByte(rest[j])
			}
			if j == len(rest) {
				fail("unterminated label value")
			}
			s.labels[name] = val.String()
			keys = append(keys, name+"="+val.String())
			rest = rest[j+1:]
			if strings.HasPrefix(rest, ",") {
				rest = rest[1:]
				continue
			}
			if !strings.HasPrefix(rest, "}") {
				fail("labels not closed")
			}
			rest = rest[1:]
			break
		}
	}
	if !strings.HasPrefix(rest, " ") || strings.Contains(rest[1:], " ") {
		fail("want one space then the value (no timestamps)")
	}
	v, err := strconv.ParseFloat(rest[1:], 64)
	if err != nil && rest[1:] != "+Inf" && rest[1:] != "-Inf" && rest[1:] != "NaN" {
		fail("bad value: %v", err)
	}
	s.value = v
	sort.Strings(keys)
	return s, s.name + "{" + strings.Join(keys, ",") + "}"
}

func checkHistogram(t *testing.T, f *metricFamily) {
	t.Helper()
	var les []float64
	var counts []float64
	var count float64 = -1
	hasSum := false
	for _, s := range f.samples {
		switch s.name {
		case f.name + "_bucket":
			le, ok := s.labels["le"]
			if !ok || len(s.labels) != 1 {
				t.Fatalf("%s: bucket labels %v", f.name, s.labels)
			}
			v, err := strconv.ParseFloat(le, 64)
			if err != nil {
				t.Fatalf("%s: le %q", f.name, le)
			}
			les = append(les, v)
			counts = append(counts, s.value)
		case f.name + "_count":
			count = s.value
		case f.name + "_sum":
			hasSum = true
		}
	}
	if len(les) == 0 || !math.IsInf(les[len(les)-1], 1) || !hasSum || count < 0 {
		t.Fatalf("%s: incomplete histogram", f.name)
	}
	for i := 1; i < len(les); i++ {
		if les[i] <= les[i-1] || counts[i] < counts[i-1] {
			t.Fatalf("%s: buckets not ascending and cumulative: %v %v", f.name, les, counts)
		}
	}
	if counts[len(counts)-1] != count {
		t.Fatalf("%s: +Inf bucket %v != count %v", f.name, counts[len(counts)-1], count)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// value returns the sample of name with the given label pairs (all labels
// must match), or 0 if the family has no such series.
func value(fams map[string]*metricFamily, name string, labels ...string) float64 {
	fam := name
	for _, suf := range []string{"_bucket", "_sum", "_count"} {
		if f := fams[strings.TrimSuffix(name, suf)]; f != nil && f.typ == "histogram" {
			fam = strings.TrimSuffix(name, suf)
		}
	}
	f := fams[fam]
	if f == nil {
		return math.NaN()
	}
next:
	for _, s := range f.samples {
		if s.name != name || len(s.labels) != len(labels)/2 {
			continue
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if s.labels[labels[i]] != labels[i+1] {
				continue next
			}
		}
		return s.value
	}
	return 0
}

// TestMetricsExposition checks the writer on its own, escapes included.
func TestMetricsExposition(t *testing.T) {
	m := newServeMetrics(time.Now())
	m.request("GET", 200, 0, 10, time.Millisecond)
	m.request("GET", 304, 0, 0, 2*time.Millisecond)
	m.request("BREW", 418, 5, 7, 3*time.Second)
	m.request("POST", 599, 1, 0, 20*time.Second)
	m.rtt.observe(0.0001) // exactly a bound: counted in its bucket
	var buf bytes.Buffer
	if err := m.writeTo(&buf); err != nil {
		t.Fatal(err)
	}
	fams := parseExposition(t, buf.String())
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"h3_requests_total", []string{"method", "GET", "code_class", "2xx"}, 1},
		{"h3_requests_total", []string{"method", "GET", "code_class", "3xx"}, 1},
		{"h3_requests_total", []string{"method", "OTHER", "code_class", "4xx"}, 1},
		{"h3_requests_total", []string{"method", "POST", "code_class", "5xx"}, 1},
		{"h3_request_body_bytes_total", nil, 6},
		{"h3_response_body_bytes_total", nil, 17},
		{"h3_request_duration_seconds_count", nil, 4},
		{"h3_request_duration_seconds_bucket", []string{"le", "0.001"}, 1},
		{"h3_request_duration_seconds_bucket", []string{"le", "10"}, 3},
		{"h3_request_duration_seconds_bucket", []string{"le", "+Inf"}, 4},
		{"h3_request_duration_seconds_sum", nil, 23.003},
		{"h3_rtt_seconds_bucket", []string{"le", "0.0001"}, 1},
		{"h3_handshakes_total", []string{"kind", "full"}, 0},
	} {
		if got := value(fams, c.name, c.labels...); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("%s%v = %v; want %v", c.name, c.labels, got, c.want)
		}
	}
	if got := formatFloat(42000000); got != "42000000" {
		t.Errorf("formatFloat(42e6) = %s", got)
	}
	if got := formatFloat(0.00025); got != "0.00025" {
		t.Errorf("formatFloat(0.00025) = %s", got)
	}
	if got := escapeLabel("a\\b\"c\nd"); got != `a\\b\"c\nd` {
		t.Errorf("escapeLabel: %q", got)
	}
	var e expoWriter
	var out bytes.Buffer
	e.w = bufio.NewWriter(&out)
	e.family("x_total", "counter", "odd \\ help\n")
	e.sample("x_total", 1, "l", "v\"\n\\")
	e.w.Flush()
	parsed := parseExposition(t, out.String())
	if s := parsed["x_total"].samples[0]; s.labels["l"] != "v\"\n\\" {
		t.Errorf("label round trip: %q", s.labels["l"])
	}
}

// TestMetricsRTT feeds the tracer a sent packet and the ACK of it.
func TestMetricsRTT(t *testing.T) {
	m := newServeMetrics(time.Now())
	c := new(quic.Conn)
	peer := netip.MustParseAddrPort("127.0.0.1:1234")
	t0 := time.Now()
	m.trace(quic.TraceEvent{Kind: quic.TraceConnStarted, Server: true, Conn: c, Peer: peer, Time: t0})
	// A PING (ack-eliciting) in packet 7, then an ACK-only packet 8.
	m.trace(quic.TraceEvent{Kind: quic.TracePacketSent, Server: true, Conn: c, Peer: peer, Time: t0, PacketType: "1-RTT", PacketNumber: 7, Payload: []byte{0x01}})
	m.trace(quic.TraceEvent{Kind: quic.TracePacketSent, Server: true, Conn: c, Peer: peer, Time: t0, PacketType: "1-RTT", PacketNumber: 8, Payload: []byte{0x02, 0x03, 0x00, 0x00, 0x00}})
	// ACK largest 7, delay 125 (x8 µs = 1 ms), no more ranges, first range 0.
	ack := []byte{0x02, 0x07, 0x40, 125, 0x00, 0x00}
	m.trace(quic.TraceEvent{Kind: quic.TracePacketReceived, Server: true, Conn: c, Peer: peer, Time: t0.Add(30 * time.Millisecond), PacketType: "1-RTT", Payload: ack})
	// The same largest again gives no sample; an ACK of the ACK-only packet neither.
	m.trace(quic.TraceEvent{Kind: quic.TracePacketReceived, Server: true, Conn: c, Peer: peer, Time: t0.Add(40 * time.Millisecond), PacketType: "1-RTT", Payload: ack})
	m.trace(quic.TraceEvent{Kind: quic.TracePacketReceived, Server: true, Conn: c, Peer: peer, Time: t0.Add(50 * time.Millisecond), PacketType: "1-RTT", Payload: []byte{0x02, 0x08, 0x00, 0x00, 0x00}})
	m.trace(quic.TraceEvent{Kind: quic.TracePacketLost, Server: true, Conn: c, Peer: peer, Time: t0, PacketType: "1-RTT"})
	if m.rtt.n != 1 || math.Abs(m.rtt.sum-0.030) > 1e-9 {
		// The first sample is the minimum RTT: no ACK delay is taken off it.
		t.Errorf("rtt samples %d, sum %v; want 1, 0.030", m.rtt.n, m.rtt.sum)
	}
	m.trace(quic.TraceEvent{Kind: quic.TracePacketSent, Server: true, Conn: c, Peer: peer, Time: t0.Add(60 * time.Millisecond), PacketType: "1-RTT", PacketNumber: 9, Payload: []byte{0x01}})
	m.trace(quic.TraceEvent{Kind: quic.TracePacketReceived, Server: true, Conn: c, Peer: peer, Time: t0.Add(100 * time.Millisecond), PacketType: "1-RTT", Payload: []byte{0x02, 0x09, 0x40, 125, 0x00, 0x00}})
	if m.rtt.n != 2 || math.Abs(m.rtt.sum-0.069) > 1e-9 {
		t.Errorf("rtt samples %d, sum %v; want 2, 0.069 (40 ms less 1 ms of ACK delay)", m.rtt.n, m.rtt.sum)
	}
	if m.packetsSent.Load() != 3 || m.packetsLost.Load() != 1 || m.connsOpen.Load() != 1 {
		t.Errorf("sent %d lost %d open %d", m.packetsSent.Load(), m.packetsLost.Load(), m.connsOpen.Load())
	}
	m.trace(quic.TraceEvent{Kind: quic.TraceConnClosed, Server: true, Conn: c, Peer: peer, Time: t0})
	if len(m.rttConns) != 0 || m.connsOpen.Load() != 0 {
		t.Errorf("closed connection kept: %d trackers, %d open", len(m.rttConns), m.connsOpen.Load())
	}
}

// TestServeMetrics scrapes /metrics before and after a few requests: the
// counters move by what the test sent.
func TestServeMetrics(t *testing.T) {
	root, file := serveTree(t)
	ts := startServe(t, serveOptions{dir: root, metrics: true})
	scrape := func() map[string]*metricFamily {
		t.Helper()
		resp, body := ts.do(t, "GET", "/metrics", nil)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
			t.Fatalf("/metrics: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		return parseExposition(t, string(body))
	}
	before := scrape()
	if got := value(before, "h3_connections_open"); got != 1 {
		t.Errorf("connections open %v; want 1", got)
	}
	ts.do(t, "GET", "/file.bin", nil)
	ts.do(t, "GET", "/list/a.txt", nil)
	ts.do(t, "GET", "/nope", nil)
	ts.do(t, "HEAD", "/file.bin", nil)
	req, _ := http.NewRequest("POST", ts.url+"/list/a.txt", strings.NewReader("12345"))
	resp, err := ts.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	// The access log counts a request after its handler returned, which may
	// trail the response a little.
	var after map[string]*metricFamily
	for deadline := time.Now().Add(5 * time.Second); ; {
		after = scrape()
		if value(after, "h3_requests_total", "method", "POST", "code_class", "2xx") == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	d := func(name string, labels ...string) float64 {
		return value(after, name, labels...) - value(before, name, labels...)
	}
	// GET: the first scrape, two files (2xx); one 404. The later scrapes of
	// the loop count too, so only a lower bound holds for GET 2xx.
	if got := d("h3_requests_total", "method", "GET", "code_class", "2xx"); got < 3 {
		t.Errorf("GET 2xx moved by %v; want at least 3", got)
	}
	for _, c := range []struct {
		labels []string
		want   float64
	}{
		{[]string{"method", "GET", "code_class", "4xx"}, 1},
		{[]string{"method", "HEAD", "code_class", "2xx"}, 1},
		{[]string{"method", "POST", "code_class", "2xx"}, 1}, // a file server ignores the method
	} {
		if got := d("h3_requests_total", c.labels...); got != c.want {
			t.Errorf("h3_requests_total%v moved by %v; want %v", c.labels, got, c.want)
		}
	}
	if got := d("h3_response_body_bytes_total"); got < float64(len(file)+1) {
		t.Errorf("bytes out moved by %v; want at least %d", got, len(file)+1)
	}
	if got := d("h3_udp_sent_bytes_total"); got < float64(len(file)) {
		t.Errorf("UDP bytes sent moved by %v; want at least %d", got, len(file))
	}
	if got := d("h3_quic_packets_sent_total"); got < float64(len(file)/1500) {
		t.Errorf("packets sent moved by %v", got)
	}
	if got := value(after, "h3_handshakes_total", "kind", "full"); got != 1 {
		t.Errorf("full handshakes %v; want 1", got)
	}
	if got := value(after, "h3_connections_total"); got != 1 {
		t.Errorf("connections %v; want 1", got)
	}
	if got := value(after, "h3_rtt_seconds_count"); got < 1 {
		t.Errorf("no RTT samples after %d packets", int(value(after, "h3_quic_packets_sent_total")))
	}
	if got := value(after, "h3_request_duration_seconds_count"); got < 6 {
		t.Errorf("request durations %v", got)
	}
	// The POST body was not read by the file server: no bytes in.
	if got := d("h3_request_body_bytes_total"); got != 0 {
		t.Errorf("bytes in moved by %v", got)
	}
	if value(after, "h3_uptime_seconds") <= 0 {
		t.Error("no uptime")
	}

	// Without --metrics the path is a file like any other.
	ts2 := startServe(t, serveOptions{dir: root, metrics: false})
	if resp, _ := ts2.do(t, "GET", "/metrics", nil); resp.StatusCode != 404 {
		t.Errorf("/metrics with metrics off: %d", resp.StatusCode)
	}
}
