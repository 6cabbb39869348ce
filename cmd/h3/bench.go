package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/h3wasi/h3wasi/http3"
)

const benchUsageText = `usage: h3 bench [options] URL

Load-tests an HTTP/3 server, as h2load does: -c clients, each with its own QUIC
connection, keep -m requests in flight each, until -n requests are done or for -D.

  -n, --requests N            requests in all (default 1)
  -c, --clients N             clients, each with its own connection (default 1)
  -m, --max-concurrent-streams N   requests in flight per connection (default 1)
  -D, --duration DURATION     run for DURATION (seconds, or 10s, 500ms, 1m) instead of -n
      --warm-up DURATION      run this long first, without measuring (alias --warm-up-time)
  -H, --header 'Name: value'  add a header; repeatable
  -d, --data FILE             POST the content of FILE
  -k, --insecure              do not verify the server's certificate
      --cacert FILE           trust the CA certificates in FILE (PEM)
      --resolve HOST:PORT:ADDR     use ADDR for HOST:PORT
      --connect-to HOST1:PORT1:HOST2:PORT2
      --connect-timeout SECONDS
`

// benchOptions are the arguments of "h3 bench".
type benchOptions struct {
	url              string
	n, c, m          int
	duration, warmUp time.Duration
	headers          []string
	dataFile         string
	net              h3NetOptions
}

// parseBenchDuration parses a duration as h2load does: seconds, or with a unit.
func parseBenchDuration(v string) (time.Duration, error) {
	if d, err := parseCLISeconds(v); err == nil {
		return d, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("bad duration %q", v)
	}
	return d, nil
}

func parseBenchArgs(args []string) (*benchOptions, error) {
	o := &benchOptions{n: 1, c: 1, m: 1}
	count := func(p *int) func(string) error {
		return func(v string) (err error) { *p, err = parseCLICount(v, 1); return }
	}
	dur := func(p *time.Duration) func(string) error {
		return func(v string) (err error) { *p, err = parseBenchDuration(v); return }
	}
	opts := []cliOption{
		{'n', "requests", true, count(&o.n)},
		{'c', "clients", true, count(&o.c)},
		{'m', "max-concurrent-streams", true, count(&o.m)},
		{'D', "duration", true, dur(&o.duration)},
		{0, "warm-up", true, dur(&o.warmUp)},
		{0, "warm-up-time", true, dur(&o.warmUp)},
		{'H', "header", true, func(v string) error { o.headers = append(o.headers, v); return nil }},
		{'d', "data", true, func(v string) error { o.dataFile = v; return nil }},
	}
	opts = append(opts, h3NetOptionList(&o.net)...)
	err := parseCLIArgs(args, opts, func(v string) error {
		if o.url != "" {
			return cliUsageErr("one URL only")
		}
		o.url = v
		return nil
	})
	if err != nil {
		return nil, err
	}
	if o.url == "" {
		return nil, cliUsageErr("no URL specified")
	}
	if o.duration == 0 && o.n < o.c {
		return nil, cliUsageErr("-n (%d) must be at least -c (%d)", o.n, o.c)
	}
	return o, nil
}

// benchMain implements "h3 bench".
func benchMain(args []string, stdout, stderr io.Writer) int {
	o, err := parseBenchArgs(args)
	if err == errCLIHelp {
		fmt.Fprint(stdout, benchUsageText)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "h3: (%d) %v (see 'h3 bench --help')\n", curlExitUsage, err)
		return curlExitUsage
	}
	b, e := newBenchRun(o, stderr)
	if e != nil {
		fmt.Fprintf(stderr, "h3: (%d) %s\n", e.code, e.msg)
		return e.code
	}
	defer b.close()
	fmt.Fprintf(stdout, "h3 bench %s: %d clients, %d streams each, %s\n", b.u, o.c, o.m, b.goal())
	b.run()
	return b.report(stdout)
}

// benchRun is one benchmark.
type benchRun struct {
	o       *benchOptions
	u       *url.URL
	d       *h3Dialer
	workers []*benchWorker
	trs     []*http3.Transport
	data    []byte
	bar     *progressMeter

	start, measureStart, measureEnd time.Time
	issued                          atomic.Int64 // measured requests taken, with -n
	done                            atomic.Int64 // measured requests completed
	last                            time.Time    // completion of the last measured request

	mu       sync.Mutex
	connects []time.Duration
	connErrs int
}

// benchWorker keeps one request in flight on its client's connection. Its
// counters are its own, merged at the end.
type benchWorker struct {
	b      *benchRun
	tr     *http3.Transport
	req    *http.Request
	buf    []byte
	connAt time.Time // when the current request got its connection

	started, done, bytes int64
	timeouts             int64
	lat                  []time.Duration
	codes                map[int]int64
	errs                 map[string]*benchErr
	last                 time.Time
}

// benchErr counts the failures of one kind and keeps the first message.
type benchErr struct {
	n   int64
	msg string
}

func (b *benchRun) goal() string {
	if b.o.duration > 0 {
		s := "for " + b.o.duration.String()
		if b.o.warmUp > 0 {
			s += " after a warm-up of " + b.o.warmUp.String()
		}
		return s
	}
	s := strconv.Itoa(b.o.n) + " requests"
	if b.o.warmUp > 0 {
		s += " after a warm-up of " + b.o.warmUp.String()
	}
	return s
}

func newBenchRun(o *benchOptions, stderr io.Writer) (*benchRun, *curlError) {
	raw := o.url
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, &curlError{curlExitURL, fmt.Sprintf("URL rejected: Malformed input to a URL function: %q", o.url)}
	}
	if !strings.EqualFold(u.Scheme, "https") {
		return nil, &curlError{curlExitUnsupported, fmt.Sprintf("Protocol %q not supported (HTTP/3 is https only)", u.Scheme)}
	}
	b := &benchRun{o: o, u: u, d: &h3Dialer{opts: o.net}}
	b.d.onDial = func(d time.Duration, err error) {
		b.mu.Lock()
		defer b.mu.Unlock()
		if err != nil {
			b.connErrs++
		} else {
			b.connects = append(b.connects, d)
		}
	}
	if o.dataFile != "" {
		if b.data, err = readCLIFile(o.dataFile); err != nil {
			return nil, err.(*curlError)
		}
	}
	tlsConf, err := b.d.tlsConfig()
	if err != nil {
		return nil, err.(*curlError)
	}
	header := http.Header{"User-Agent": {getUserAgent()}, "Accept": {"*/*"}}
	for _, h := range o.headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			continue
		}
		header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	method := http.MethodGet
	if b.data != nil {
		method = http.MethodPost
	}
	for range o.c {
		tr := &http3.Transport{
			TLSClientConfig:    tlsConf,
			Dial:               b.d.dial,
			DialTimeout:        o.net.connectTimeout,
			DisableCompression: true,
		}
		b.trs = append(b.trs, tr)
		for range o.m {
			w := &benchWorker{b: b, tr: tr, buf: make([]byte, 32<<10), codes: make(map[int]int64), errs: make(map[string]*benchErr)}
			if o.duration == 0 {
				w.lat = make([]time.Duration, 0, o.n/(o.c*o.m)+1)
			}
			trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { w.connAt = time.Now() }}
			ctx := httptrace.WithClientTrace(context.Background(), trace)
			req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
			if err != nil {
				return nil, &curlError{curlExitURL, fmt.Sprintf("URL rejected: %v", err)}
			}
			req.Header = header.Clone()
			if host := header.Get("Host"); host != "" {
				req.Host = host
			}
			w.req = req
			b.workers = append(b.workers, w)
		}
	}
	if writerIsTerminal(stderr) {
		b.bar = newProgressMeter(stderr, b.progressLine)
	}
	return b, nil
}

func (b *benchRun) close() {
	for _, tr := range b.trs {
		tr.Close()
	}
	b.d.close()
}

// progressLine draws the progress: requests done of -n, or time of -D.
func (b *benchRun) progressLine(s progressState) string {
	if b.o.duration > 0 {
		pct := min(100*float64(s.done)/float64(max(s.total, 1)), 100)
		return fmt.Sprintf("progress: %3.0f%% done, %d requests", pct, b.done.Load())
	}
	return fmt.Sprintf("progress: %3.0f%% done, %d of %d requests", 100*float64(s.done)/float64(max(s.total, 1)), s.done, s.total)
}

// run runs the workers and waits for them.
func (b *benchRun) run() {
	b.start = time.Now()
	b.measureStart = b.start.Add(b.o.warmUp)
	b.measureEnd = b.measureStart.Add(b.o.duration)
	stop := make(chan struct{})
	var tick sync.WaitGroup
	if b.bar != nil {
		total := int64(b.o.n)
		if b.o.duration > 0 {
			total = b.o.duration.Milliseconds()
		}
		b.bar.addTotal(total)
		tick.Go(func() {
			t := time.NewTicker(progressInterval)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case now := <-t.C:
					if b.o.duration > 0 {
						b.bar.set(max(now.Sub(b.measureStart).Milliseconds(), 0))
					} else {
						b.bar.set(b.done.Load())
					}
				}
			}
		})
	}
	var wg sync.WaitGroup
	for _, w := range b.workers {
		wg.Go(w.loop)
	}
	wg.Wait()
	close(stop)
	tick.Wait()
	if b.bar != nil {
		if b.o.duration > 0 {
			b.bar.set(b.o.duration.Milliseconds())
		} else {
			b.bar.set(b.done.Load())
		}
		b.bar.finish()
	}
	for _, w := range b.workers {
		if w.last.After(b.last) {
			b.last = w.last
		}
	}
}

// loop sends requests until the goal is reached, or its connection failed.
func (w *benchWorker) loop() {
	b := w.b
	for {
		now := time.Now()
		measured := !now.Before(b.measureStart)
		if measured {
			if b.o.duration > 0 {
				if !now.Before(b.measureEnd) {
					return
				}
			} else if b.issued.Add(1) > int64(b.o.n) {
				return
			}
			w.started++
		}
		if !w.do(measured) {
			return
		}
	}
}

// do sends one request and reads its response; it reports false when the client
// cannot go on (it could not connect).
func (w *benchWorker) do(measured bool) bool {
	b := w.b
	req := w.req
	if b.data != nil {
		r := *req
		r.Body = io.NopCloser(bytes.NewReader(b.data))
		r.ContentLength = int64(len(b.data))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b.data)), nil }
		req = &r
	}
	start := time.Now()
	var n int64
	resp, err := w.tr.RoundTrip(req)
	if err == nil {
		n, err = w.readBody(resp.Body)
		resp.Body.Close()
	}
	end := time.Now()
	if err != nil {
		e := b.d.classify(context.Background(), err, b.u.Hostname(), end.Sub(start), n)
		kind := benchErrKind(err, e)
		// A client that cannot connect stops, as h2load's do.
		fatal := kind == "connect" || kind == "resolve" || kind == "tls" || errors.Is(err, http3.ErrTransportClosed)
		if measured {
			w.done++
			w.last = end
			b.done.Add(1)
			if kind == "timeout" {
				w.timeouts++
			}
			be := w.errs[kind]
			if be == nil {
				be = &benchErr{msg: e.msg}
				w.errs[kind] = be
			}
			be.n++
		}
		return !fatal
	}
	if measured {
		w.done++
		w.last = end
		w.bytes += n
		w.codes[resp.StatusCode]++
		from := start
		if w.connAt.After(from) {
			from = w.connAt // the time to connect is not the request's
		}
		w.lat = append(w.lat, end.Sub(from))
		b.done.Add(1)
	}
	return true
}

// readBody reads a body into the worker's buffer and counts it.
func (w *benchWorker) readBody(r io.Reader) (int64, error) {
	var n int64
	for {
		m, err := r.Read(w.buf)
		n += int64(m)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// benchErrKind names the kind of a failure: resolve, connect (refused or timed
// out), tls, timeout (of an established connection) or stream.
func benchErrKind(err error, e *curlError) string {
	var ce *dialConnectError
	switch {
	case e.code == curlExitResolve:
		return "resolve"
	case e.code == curlExitTLS:
		return "tls"
	case errors.As(err, &ce):
		return "connect"
	case e.code == curlExitTimeout:
		return "timeout"
	}
	return "stream"
}

// fmtLatency writes a duration as h2load does: 812us, 1.25ms, 1.02s.
func fmtLatency(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dus", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

// percentile returns the nearest-rank q-quantile of sorted.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// report prints the results, h2load's way, and returns the exit code: 1 when
// no request succeeded.
func (b *benchRun) report(w io.Writer) int {
	var started, done, bytesIn, timeouts int64
	var lat []time.Duration
	codes := map[int]int64{}
	errs := map[string]*benchErr{}
	for _, wk := range b.workers {
		started += wk.started
		done += wk.done
		bytesIn += wk.bytes
		timeouts += wk.timeouts
		lat = append(lat, wk.lat...)
		for c, n := range wk.codes {
			codes[c] += n
		}
		for k, e := range wk.errs {
			if errs[k] == nil {
				errs[k] = &benchErr{msg: e.msg}
			}
			errs[k].n += e.n
		}
	}
	var errored int64
	for _, e := range errs {
		errored += e.n
	}
	var classes [6]int64
	var failedHTTP int64
	for c, n := range codes {
		if c/100 < len(classes) {
			classes[c/100] += n
		}
		if c >= 400 {
			failedHTTP += n
		}
	}
	succeeded := done - errored - failedHTTP
	elapsed := b.last.Sub(b.measureStart)
	if b.o.duration > 0 {
		elapsed = max(elapsed, b.o.duration)
	}
	secs := max(elapsed.Seconds(), 1e-9)
	total := int64(b.o.n)
	if b.o.duration > 0 {
		total = started
	}

	fmt.Fprintf(w, "\nfinished in %s, %.2f req/s, %.2fMB/s\n", fmtLatency(elapsed), float64(done)/secs, float64(bytesIn)/secs/(1<<20))
	fmt.Fprintf(w, "requests: %d total, %d started, %d done, %d succeeded, %d failed, %d errored, %d timeout\n",
		total, started, done, succeeded, errored+failedHTTP, errored, timeouts)
	fmt.Fprintf(w, "status codes: %d 2xx, %d 3xx, %d 4xx, %d 5xx", classes[2], classes[3], classes[4], classes[5])
	if len(codes) > 0 {
		keys := make([]int, 0, len(codes))
		for c := range codes {
			keys = append(keys, c)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, c := range keys {
			parts[i] = fmt.Sprintf("%d: %d", c, codes[c])
		}
		fmt.Fprintf(w, " (%s)", strings.Join(parts, ", "))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "traffic: %.2fMB (%d) of response bodies\n", float64(bytesIn)/(1<<20), bytesIn)
	if len(lat) > 0 {
		slices.Sort(lat)
		var sum time.Duration
		for _, d := range lat {
			sum += d
		}
		fmt.Fprintf(w, "latency: min %s, p50 %s, p90 %s, p99 %s, max %s, mean %s\n",
			fmtLatency(lat[0]), fmtLatency(percentile(lat, 0.5)), fmtLatency(percentile(lat, 0.9)),
			fmtLatency(percentile(lat, 0.99)), fmtLatency(lat[len(lat)-1]), fmtLatency(sum/time.Duration(len(lat))))
	}
	b.mu.Lock()
	connects, connErrs := slices.Clone(b.connects), b.connErrs
	b.mu.Unlock()
	fmt.Fprintf(w, "connections: %d succeeded, %d failed", len(connects), connErrs)
	if len(connects) > 0 {
		slices.Sort(connects)
		fmt.Fprintf(w, "; time to connect: min %s, max %s", fmtLatency(connects[0]), fmtLatency(connects[len(connects)-1]))
	}
	fmt.Fprintln(w)
	if len(errs) > 0 {
		kinds := make([]string, 0, len(errs))
		for k := range errs {
			kinds = append(kinds, k)
		}
		slices.Sort(kinds)
		fmt.Fprintln(w, "errors:")
		for _, k := range kinds {
			fmt.Fprintf(w, "  %d %s (%s)\n", errs[k].n, k, errs[k].msg)
		}
	}
	if succeeded == 0 && done > 0 || done == 0 {
		return 1
	}
	return 0
}
