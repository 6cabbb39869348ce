// Command h3client fetches a URL over HTTP/3 and writes the response body to
// stdout. The same source builds natively and for WebAssembly (GOOS=wasip1
// GOARCH=wasm), where http3.Transport opens its UDP sockets through the host
// (package wasi; run the module with wasihost, e.g. `h3 wasm run`).
//
//	h3client [-k] [-cacert FILE] [-X METHOD] [-d DATA] [-H 'Name: value']... [-i] [-v] [-o FILE] URL
//
// -i writes the status line and the headers before the body; -v reports the
// protocol, TLS details and timings on stderr. -k skips the verification of
// the server's certificate (for self-signed demo servers only). In
// WebAssembly there are no system roots: use -cacert or -k.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/h3wasi/h3wasi/http3"
)

func main() {
	ctx, stop := notifyContext(context.Background())
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// headerFlags collects repeated -H flags.
type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ", ") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

// run is the command: it returns the exit status (0 for any response, 1 when
// the request failed, 2 for bad usage).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("h3client", flag.ContinueOnError)
	fs.SetOutput(stderr)
	insecure := fs.Bool("k", false, "do not verify the server's certificate")
	caFile := fs.String("cacert", "", "trust the PEM certificates in `FILE`")
	method := fs.String("X", "", "request `METHOD` (default GET, or POST with -d)")
	data := fs.String("d", "", "send `DATA` as the request body (@FILE reads it from FILE)")
	include := fs.Bool("i", false, "write the status line and headers before the body")
	verbose := fs.Bool("v", false, "report the protocol, TLS details and timings on stderr")
	outFile := fs.String("o", "", "write the body to `FILE` instead of stdout")
	timeout := fs.Duration("timeout", 30*time.Second, "give up after this long")
	var headers headerFlags
	fs.Var(&headers, "H", "add a request header `'Name: value'` (repeatable)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: h3client [flags] URL")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	if err := fetch(ctx, fetchOptions{
		url: fs.Arg(0), method: *method, data: *data, headers: headers, insecure: *insecure,
		caFile: *caFile, include: *include, verbose: *verbose, outFile: *outFile, timeout: *timeout,
	}, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "h3client:", err)
		return 1
	}
	return 0
}

type fetchOptions struct {
	url, method, data, caFile, outFile string
	headers                            []string
	insecure, include, verbose         bool
	timeout                            time.Duration
}

func fetch(ctx context.Context, o fetchOptions, stdout, stderr io.Writer) error {
	tc := &tls.Config{InsecureSkipVerify: o.insecure}
	if o.caFile != "" {
		pem, err := os.ReadFile(o.caFile)
		if err != nil {
			return err
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return fmt.Errorf("no PEM certificates in %s", o.caFile)
		}
	}
	tr := &http3.Transport{TLSClientConfig: tc}
	defer tr.Close()

	var body io.Reader
	method := o.method
	if o.data != "" {
		if name, ok := strings.CutPrefix(o.data, "@"); ok {
			f, err := os.Open(name)
			if err != nil {
				return err
			}
			defer f.Close()
			body = f
		} else {
			body = strings.NewReader(o.data)
		}
		if method == "" {
			method = http.MethodPost
		}
	}
	if method == "" {
		method = http.MethodGet
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, o.url, body)
	if err != nil {
		return err
	}
	if req.URL.Scheme != "https" {
		return errors.New("HTTP/3 needs an https:// URL")
	}
	for _, h := range o.headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			return fmt.Errorf("header %q: want 'Name: value'", h)
		}
		req.Header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	start := time.Now()
	var gotConn time.Time
	req = req.WithContext(httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { gotConn = time.Now() },
	}))
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	headersAt := time.Now()

	if o.verbose {
		fmt.Fprintf(stderr, "* %s %s\n", resp.Proto, resp.Status)
		if s := resp.TLS; s != nil {
			fmt.Fprintf(stderr, "* %s, %s, ALPN %s, resumed %v\n", tls.VersionName(s.Version),
				tls.CipherSuiteName(s.CipherSuite), s.NegotiatedProtocol, s.DidResume)
		}
	}
	if o.include {
		fmt.Fprintf(stdout, "%s %s\n", resp.Proto, resp.Status)
		names := make([]string, 0, len(resp.Header))
		for k := range resp.Header {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			for _, v := range resp.Header[k] {
				fmt.Fprintf(stdout, "%s: %s\n", strings.ToLower(k), v)
			}
		}
		fmt.Fprintln(stdout)
	}
	out := stdout
	if o.outFile != "" {
		f, err := os.Create(o.outFile)
		if err != nil {
			return err
		}
		defer f.Close()
		out = f
	}
	n, err := io.Copy(out, resp.Body)
	if err != nil {
		return err
	}
	if o.verbose {
		total := time.Since(start)
		fmt.Fprintf(stderr, "* %d bytes in %v (headers after %v", n, total.Round(time.Microsecond), headersAt.Sub(start).Round(time.Microsecond))
		if !gotConn.IsZero() {
			fmt.Fprintf(stderr, "; connection after %v", gotConn.Sub(start).Round(time.Microsecond))
		}
		fmt.Fprintf(stderr, "), %.1f MB/s\n", float64(n)/total.Seconds()/1e6)
	}
	return nil
}
