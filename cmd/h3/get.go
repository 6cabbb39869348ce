package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/h3wasi/h3wasi/http3"
	"github.com/h3wasi/h3wasi/quic"
	"github.com/h3wasi/h3wasi/wasi"
)

// Exit codes, as curl's.
const (
	curlExitOK            = 0
	curlExitUnsupported   = 1  // unsupported protocol
	curlExitUsage         = 2  // failed to initialize: bad arguments
	curlExitURL           = 3  // malformed URL
	curlExitResolve       = 6  // could not resolve host
	curlExitConnect       = 7  // could not connect
	curlExitHTTP          = 22 // HTTP error with -f
	curlExitWrite         = 23 // writing the output failed
	curlExitRead          = 26 // reading a local file failed
	curlExitTimeout       = 28 // operation timed out
	curlExitTLS           = 35 // TLS handshake failed
	curlExitTooManyRedirs = 47 // more than --max-redirs redirects
	curlExitRecv          = 56 // failure receiving data
	curlExitCACert        = 77 // problem with the CA certificate file
	getDefaultMaxRedirs   = 50
	getMaxRetryBackoff    = 10 * time.Minute
	getSessionTicketWait  = time.Second
	getDefaultParallelMax = 50
)

// getUsageText is the help of "h3 get".
const getUsageText = `usage: h3 get [options] URL...

Fetches URLs over HTTP/3, with curl's options and exit codes.

request:
  -X, --request METHOD       request method
  -H, --header 'Name: value' add a header ('Name:' removes a default one); repeatable
  -A, --user-agent STRING    user-agent header
  -u, --user USER:PASSWORD   basic authentication
  -d, --data DATA            POST DATA (form-urlencoded); @FILE reads FILE without newlines
      --data-binary DATA     POST DATA as is; @FILE reads FILE as is
      --data-raw DATA        POST DATA, no @ interpretation
      --data-urlencode DATA  POST DATA url-encoded ([name]=content, or @FILE)
  -G, --get                  put the -d data in the URL query of a GET
  -T, --upload-file FILE     PUT FILE (streamed; - is stdin)
  -I, --head                 HEAD request; print the response headers
  -L, --location             follow redirects
      --max-redirs N         at most N redirects with -L (default 50)
      --compressed           ask for a compressed response and decompress it

output:
  -o, --output FILE          write the body to FILE (one -o per URL)
  -O, --remote-name          write the body to a file named like the URL's last segment
  -i, --include              include the response headers in the output
  -D, --dump-header FILE     write the response headers to FILE
  -s, --silent               no progress bar, no error messages
  -S, --show-error           error messages even with -s
  -f, --fail                 exit 22 on HTTP >= 400, without writing the body
      --fail-with-body       exit 22 on HTTP >= 400, after writing the body
  -w, --write-out FORMAT     print FORMAT after each transfer (%{http_code}, %{time_total}, ...; @FILE)
  -v, --verbose              trace the connection and the headers to stderr
      --no-progress-meter    no progress bar

connection:
  -k, --insecure             do not verify the server's certificate
      --cacert FILE          trust the CA certificates in FILE (PEM)
      --resolve HOST:PORT:ADDR[,ADDR...]     use ADDR for HOST:PORT
      --connect-to HOST1:PORT1:HOST2:PORT2  connect to HOST2:PORT2 for HOST1:PORT1
      --connect-timeout SECONDS  bound the QUIC handshake
  -m, --max-time SECONDS     bound each transfer
      --retry N              retry transient failures (timeouts, 408, 429, 5xx) N times
      --retry-delay SECONDS  wait between retries (default: 1 s, doubling)
      --retry-all-errors     retry on any error
  -Z, --parallel             fetch the URLs concurrently (one connection per authority)
      --parallel-max N       at most N transfers at once (default 50)
      --0rtt                 send idempotent requests in 0-RTT data when resuming
      --session-file FILE    keep TLS sessions in FILE, to resume them (and use 0-RTT) later
                             (alias --ssl-sessions)

SSLKEYLOGFILE in the environment names a file to log TLS secrets to.

exit codes (curl's): 1 unsupported protocol, 2 bad usage, 3 bad URL, 6 could not
resolve the host, 7 could not connect, 22 HTTP error with -f, 23 write error,
26 read error, 28 timeout, 35 TLS failure (certificate), 47 too many redirects,
56 failure receiving data, 77 bad --cacert.
`

// getOptions are the arguments of "h3 get".
type getOptions struct {
	urls    []string
	outputs []outputArg // in URL order

	method     string
	headers    []string
	data       []string // pieces joined with '&'
	dataSet    bool
	getQuery   bool
	upload     string
	head       bool
	follow     bool
	maxRedirs  int
	compressed bool
	user       string
	userAgent  string
	uaSet      bool

	include, silent, showError, fail, failWithBody, verbose, noProgress bool
	writeOut                                                            string
	dumpHeader                                                          string

	net h3NetOptions

	maxTime        time.Duration
	retry          int
	retryDelay     time.Duration
	retryDelaySet  bool
	retryAllErrors bool
	parallel       bool
	parallelMax    int
	zeroRTT        bool
	sessionFile    string
}

// outputArg is one -o FILE or -O.
type outputArg struct {
	file   string
	remote bool
}

// h3NetOptions are the connection options that get and bench share.
type h3NetOptions struct {
	insecure       bool
	cacert         string
	resolve        []resolveRule
	connectTo      []connectRule
	connectTimeout time.Duration
}

// curlError is a failure with its exit code and curl-like message.
type curlError struct {
	code int
	msg  string
}

func (e *curlError) Error() string { return e.msg }

func cliUsageErr(format string, args ...any) error {
	return &curlError{curlExitUsage, fmt.Sprintf(format, args...)}
}

// errCLIHelp asks for the help text.
var errCLIHelp = errors.New("help")

// cliOption is one command-line option: a short letter and/or a long name.
type cliOption struct {
	short byte
	long  string
	arg   bool
	set   func(v string) error
}

// parseCLIArgs parses args the way curl does: options and positional arguments in any
// order, bundled short options (-sSfL), values attached (-ofile, --output=file) or
// following, and "--" ending the options.
func parseCLIArgs(args []string, opts []cliOption, positional func(string) error) error {
	byShort := make(map[byte]*cliOption)
	byLong := make(map[string]*cliOption)
	for i := range opts {
		if opts[i].short != 0 {
			byShort[opts[i].short] = &opts[i]
		}
		if opts[i].long != "" {
			byLong[opts[i].long] = &opts[i]
		}
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			for _, p := range args[i+1:] {
				if err := positional(p); err != nil {
					return err
				}
			}
			return nil
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			o := byLong[name]
			if o == nil {
				if name == "help" {
					return errCLIHelp
				}
				return cliUsageErr("option --%s: is unknown", name)
			}
			if o.arg && !hasVal {
				if i+1 >= len(args) {
					return cliUsageErr("option --%s: requires parameter", name)
				}
				i++
				val = args[i]
			} else if !o.arg && hasVal {
				return cliUsageErr("option --%s: takes no parameter", name)
			}
			if err := o.set(val); err != nil {
				return wrapCLIOptErr("--"+name, err)
			}
		case len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				o := byShort[a[j]]
				if o == nil {
					if a[j] == 'h' {
						return errCLIHelp
					}
					return cliUsageErr("option -%c: is unknown", a[j])
				}
				if !o.arg {
					if err := o.set(""); err != nil {
						return wrapCLIOptErr("-"+string(a[j]), err)
					}
					continue
				}
				val := a[j+1:]
				if val == "" {
					if i+1 >= len(args) {
						return cliUsageErr("option -%c: requires parameter", a[j])
					}
					i++
					val = args[i]
				}
				if err := o.set(val); err != nil {
					return wrapCLIOptErr("-"+string(a[j]), err)
				}
				break
			}
		default:
			if err := positional(a); err != nil {
				return err
			}
		}
	}
	return nil
}

func wrapCLIOptErr(name string, err error) error {
	var ee *curlError
	if errors.As(err, &ee) {
		return err
	}
	return cliUsageErr("option %s: %v", name, err)
}

// parseCLISeconds parses a number of seconds, fractions allowed, as curl's
// --max-time and --connect-timeout do.
func parseCLISeconds(v string) (time.Duration, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f > 1e9 {
		return 0, fmt.Errorf("expected a proper numerical parameter, got %q", v)
	}
	return time.Duration(f * float64(time.Second)), nil
}

func parseCLICount(v string, min int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < min {
		return 0, fmt.Errorf("expected a proper numerical parameter, got %q", v)
	}
	return n, nil
}

// h3NetOptionList returns the options that set n, shared by get and bench.
func h3NetOptionList(n *h3NetOptions) []cliOption {
	return []cliOption{
		{'k', "insecure", false, func(string) error { n.insecure = true; return nil }},
		{0, "cacert", true, func(v string) error { n.cacert = v; return nil }},
		{0, "resolve", true, func(v string) error {
			r, err := parseResolve(v)
			n.resolve = append(n.resolve, r)
			return err
		}},
		{0, "connect-to", true, func(v string) error {
			r, err := parseConnectTo(v)
			n.connectTo = append(n.connectTo, r)
			return err
		}},
		{0, "connect-timeout", true, func(v string) (err error) { n.connectTimeout, err = parseCLISeconds(v); return }},
	}
}

// parseGetArgs parses the arguments of "h3 get".
func parseGetArgs(args []string) (*getOptions, error) {
	o := &getOptions{maxRedirs: getDefaultMaxRedirs, parallelMax: getDefaultParallelMax}
	addData := func(v string, mode byte) error {
		s, err := getDataArg(v, mode)
		if err != nil {
			return err
		}
		o.data = append(o.data, s)
		o.dataSet = true
		return nil
	}
	flag := func(p *bool) func(string) error { return func(string) error { *p = true; return nil } }
	opts := []cliOption{
		{'X', "request", true, func(v string) error { o.method = v; return nil }},
		{'H', "header", true, func(v string) error { o.headers = append(o.headers, v); return nil }},
		{'A', "user-agent", true, func(v string) error { o.userAgent, o.uaSet = v, true; return nil }},
		{'u', "user", true, func(v string) error { o.user = v; return nil }},
		{'d', "data", true, func(v string) error { return addData(v, 'd') }},
		{0, "data-ascii", true, func(v string) error { return addData(v, 'd') }},
		{0, "data-binary", true, func(v string) error { return addData(v, 'b') }},
		{0, "data-raw", true, func(v string) error { return addData(v, 'r') }},
		{0, "data-urlencode", true, func(v string) error { return addData(v, 'u') }},
		{'G', "get", false, flag(&o.getQuery)},
		{'T', "upload-file", true, func(v string) error { o.upload = v; return nil }},
		{'I', "head", false, flag(&o.head)},
		{'L', "location", false, flag(&o.follow)},
		{0, "max-redirs", true, func(v string) (err error) { o.maxRedirs, err = parseCLICount(v, -1); return }},
		{0, "compressed", false, flag(&o.compressed)},
		{'o', "output", true, func(v string) error { o.outputs = append(o.outputs, outputArg{file: v}); return nil }},
		{'O', "remote-name", false, func(string) error { o.outputs = append(o.outputs, outputArg{remote: true}); return nil }},
		{'i', "include", false, flag(&o.include)},
		{'D', "dump-header", true, func(v string) error { o.dumpHeader = v; return nil }},
		{'s', "silent", false, flag(&o.silent)},
		{'S', "show-error", false, flag(&o.showError)},
		{'f', "fail", false, flag(&o.fail)},
		{0, "fail-with-body", false, flag(&o.failWithBody)},
		{'w', "write-out", true, func(v string) error {
			if name, ok := strings.CutPrefix(v, "@"); ok {
				b, err := readCLIFile(name)
				if err != nil {
					return err
				}
				v = string(b)
			}
			o.writeOut = v
			return nil
		}},
		{'v', "verbose", false, flag(&o.verbose)},
		{0, "no-progress-meter", false, flag(&o.noProgress)},
		{'m', "max-time", true, func(v string) (err error) { o.maxTime, err = parseCLISeconds(v); return }},
		{0, "retry", true, func(v string) (err error) { o.retry, err = parseCLICount(v, 0); return }},
		{0, "retry-delay", true, func(v string) (err error) {
			o.retryDelay, err = parseCLISeconds(v)
			o.retryDelaySet = true
			return
		}},
		{0, "retry-all-errors", false, flag(&o.retryAllErrors)},
		{0, "retry-connrefused", false, func(string) error { return nil }},
		{'Z', "parallel", false, flag(&o.parallel)},
		{0, "parallel-max", true, func(v string) (err error) { o.parallelMax, err = parseCLICount(v, 1); return }},
		{0, "0rtt", false, flag(&o.zeroRTT)},
		{0, "session-file", true, func(v string) error { o.sessionFile = v; return nil }},
		{0, "ssl-sessions", true, func(v string) error { o.sessionFile = v; return nil }},
		// Habits: these select what h3 does anyway.
		{0, "http3", false, func(string) error { return nil }},
		{0, "http3-only", false, func(string) error { return nil }},
	}
	opts = append(opts, h3NetOptionList(&o.net)...)
	err := parseCLIArgs(args, opts, func(v string) error { o.urls = append(o.urls, v); return nil })
	if err != nil {
		return nil, err
	}
	if len(o.urls) == 0 {
		return nil, cliUsageErr("no URL specified")
	}
	if o.head && (o.dataSet || o.upload != "") && !o.getQuery {
		return nil, cliUsageErr("you can only select one HTTP request method: -I and a request body")
	}
	if o.dataSet && o.upload != "" {
		return nil, cliUsageErr("you can only select one HTTP request body: -d and -T")
	}
	return o, nil
}

// readCLIFile reads a file named on the command line; "-" is stdin.
func readCLIFile(name string) ([]byte, error) {
	var b []byte
	var err error
	if name == "-" {
		b, err = io.ReadAll(os.Stdin)
	} else {
		b, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, &curlError{curlExitRead, fmt.Sprintf("Failed to open/read local data from file/application: %v", err)}
	}
	return b, nil
}

// getDataArg returns the request body piece of a -d (mode 'd'), --data-binary ('b'),
// --data-raw ('r') or --data-urlencode ('u') argument.
func getDataArg(v string, mode byte) (string, error) {
	switch mode {
	case 'r':
		return v, nil
	case 'd', 'b':
		name, ok := strings.CutPrefix(v, "@")
		if !ok {
			return v, nil
		}
		b, err := readCLIFile(name)
		if err != nil {
			return "", err
		}
		if mode == 'd' {
			b = bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r"), nil), []byte("\n"), nil)
		}
		return string(b), nil
	}
	// --data-urlencode: content, =content, name=content, @file, name@file.
	if i := strings.IndexAny(v, "=@"); i >= 0 {
		name, content := v[:i], v[i+1:]
		if v[i] == '@' {
			b, err := readCLIFile(content)
			if err != nil {
				return "", err
			}
			content = string(b)
		}
		if name == "" {
			return url.QueryEscape(content), nil
		}
		return name + "=" + url.QueryEscape(content), nil
	}
	return url.QueryEscape(v), nil
}

// resolveRule is one --resolve HOST:PORT:ADDR[,ADDR...].
type resolveRule struct {
	host, port string // "*" matches any
	addrs      []netip.Addr
}

// connectRule is one --connect-to HOST1:PORT1:HOST2:PORT2; empty fields match
// anything (1) or keep the original (2).
type connectRule struct {
	host1, port1, host2, port2 string
}

// cutHostField cuts s at the first colon outside brackets, and unbrackets the field.
func cutHostField(s string) (field, rest string, found bool) {
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return s, "", false
		}
		field, rest = s[1:end], s[end+1:]
		if rest == "" {
			return field, "", false
		}
		if rest[0] != ':' {
			return s, "", false
		}
		return field, rest[1:], true
	}
	field, rest, found = strings.Cut(s, ":")
	return field, rest, found
}

func validPortString(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n > 0 && n < 65536
}

func parseResolve(v string) (resolveRule, error) {
	s := strings.TrimPrefix(v, "+")
	host, rest, ok1 := cutHostField(s)
	port, addrs, ok2 := cutHostField(rest)
	if !ok1 || !ok2 || host == "" || (port != "*" && !validPortString(port)) || addrs == "" {
		return resolveRule{}, fmt.Errorf("bad --resolve %q: want HOST:PORT:ADDR[,ADDR,...]", v)
	}
	r := resolveRule{host: host, port: port}
	for _, a := range strings.Split(addrs, ",") {
		a = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(a), "["), "]")
		ip, err := netip.ParseAddr(a)
		if err != nil {
			return resolveRule{}, fmt.Errorf("bad address %q in --resolve %q", a, v)
		}
		r.addrs = append(r.addrs, ip)
	}
	return r, nil
}

func parseConnectTo(v string) (connectRule, error) {
	var f [4]string
	rest := v
	for i := range f {
		var found bool
		f[i], rest, found = cutHostField(rest)
		if found != (i < 3) {
			return connectRule{}, fmt.Errorf("bad --connect-to %q: want HOST1:PORT1:HOST2:PORT2", v)
		}
	}
	for _, p := range []string{f[1], f[3]} {
		if p != "" && !validPortString(p) {
			return connectRule{}, fmt.Errorf("bad port %q in --connect-to %q", p, v)
		}
	}
	return connectRule{f[0], f[1], f[2], f[3]}, nil
}

// h3Dialer dials the QUIC connections of an http3.Transport (its Dial hook): it
// applies --connect-to and --resolve (dialing another address while the TLS
// ServerName stays the URL's host), resolves names itself so that a failure is
// told apart from a failure to connect, and keeps the connections so that -v can
// report their QUIC state.
type h3Dialer struct {
	opts h3NetOptions

	conns      sync.Map // local address -> *quic.Conn
	verifyErrs sync.Map // server name -> certificate verification error

	// onDial, if set, learns of every dial's outcome (bench counts them).
	onDial func(d time.Duration, err error)
	// connected is set by the first connection established.
	connected atomic.Bool
	keyLog    *os.File // SSLKEYLOGFILE
}

// close closes the key log, once the connections are closed.
func (d *h3Dialer) close() {
	if d.keyLog != nil {
		d.keyLog.Close()
	}
}

// dialResolveError is a host name that did not resolve.
type dialResolveError struct {
	host string
	err  error
}

func (e *dialResolveError) Error() string { return "Could not resolve host: " + e.host }
func (e *dialResolveError) Unwrap() error { return e.err }

// errICMPUnreachable is a dial ended by an ICMP error: nobody listens on the
// port, or the host is unreachable.
var errICMPUnreachable = errors.New("connection refused (ICMP port or host unreachable)")

// dialConnectError is a failure to establish a QUIC connection.
type dialConnectError struct {
	host, port string
	elapsed    time.Duration
	err        error
}

func (e *dialConnectError) Error() string {
	reason := e.err.Error()
	if e.timeout() {
		reason = "Timeout was reached (no QUIC handshake)"
	}
	return fmt.Sprintf("Failed to connect to %s port %s after %d ms: %s", e.host, e.port, e.elapsed.Milliseconds(), reason)
}

// timeout reports whether the dial timed out (--connect-timeout, or QUIC's
// handshake timeout).
func (e *dialConnectError) timeout() bool {
	return errors.Is(e.err, context.DeadlineExceeded) || errors.Is(e.err, &quic.HandshakeTimeoutError{})
}
func (e *dialConnectError) Unwrap() error { return e.err }

// getTransferKey carries a *getTransfer in a request's context, for the dial hook.
type getTransferKey struct{}

func getTransferFrom(ctx context.Context) *getTransfer {
	x, _ := ctx.Value(getTransferKey{}).(*getTransfer)
	return x
}

// route applies --connect-to and --resolve to host:port: the host and port to
// connect to and, from --resolve, their addresses.
func (d *h3Dialer) route(addr string) (host, port string, ips []netip.Addr) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, "", nil
	}
	for _, r := range d.opts.connectTo {
		if (r.host1 == "" || strings.EqualFold(r.host1, host)) && (r.port1 == "" || r.port1 == port) {
			if r.host2 != "" {
				host = r.host2
			}
			if r.port2 != "" {
				port = r.port2
			}
			break
		}
	}
	for _, r := range d.opts.resolve {
		if (r.host == "*" || strings.EqualFold(r.host, host)) && (r.port == "*" || r.port == port) {
			return host, port, r.addrs
		}
	}
	return host, port, nil
}

// dial is the Transport's Dial hook.
func (d *h3Dialer) dial(ctx context.Context, addr string, tlsConf *tls.Config, conf *quic.Config) (*quic.Conn, error) {
	x := getTransferFrom(ctx)
	start := time.Now()
	qc, err := d.dialQUIC(ctx, x, addr, tlsConf, conf)
	if d.onDial != nil {
		d.onDial(time.Since(start), err)
	}
	return qc, err
}

func (d *h3Dialer) dialQUIC(ctx context.Context, x *getTransfer, addr string, tlsConf *tls.Config, conf *quic.Config) (*quic.Conn, error) {
	start := time.Now()
	host, port, ips := d.route(addr)
	var ua *net.UDPAddr
	if len(ips) > 0 {
		p, _ := strconv.Atoi(port)
		ua = net.UDPAddrFromAddrPort(netip.AddrPortFrom(ips[0], uint16(p)))
	} else {
		var err error
		ua, err = wasi.ResolveUDPAddr("udp", net.JoinHostPort(host, port))
		if err != nil {
			x.vlogf("* Could not resolve host: %s", host)
			return nil, &dialResolveError{host: host, err: err}
		}
	}
	if x != nil {
		x.mark(&x.st.tNameLookup, true)
	}
	x.vlogf("*   Trying %s...", ua)
	network, local := "udp4", "0.0.0.0:0"
	if ua.AddrPort().Addr().Unmap().Is6() {
		network, local = "udp6", "[::]:0"
	}
	pc, err := wasi.ListenPacket(network, local)
	if err != nil {
		return nil, &dialConnectError{host: host, port: port, elapsed: time.Since(start), err: err}
	}
	ipv6 := network == "udp6"
	reportICMPErrors(pc, ipv6, true)
	qt := &quic.Transport{Conn: pc}
	var qc *quic.Conn
	if conf.Allow0RTT {
		qc, err = qt.DialEarly(ctx, ua, tlsConf, conf)
	} else {
		qc, err = qt.Dial(ctx, ua, tlsConf, conf)
	}
	if err != nil {
		qt.Close()
		if errors.Is(err, quic.ErrTransportClosed) && ctx.Err() == nil {
			// Only a failed read closes our transport: an ICMP error.
			err = errICMPUnreachable
		}
		ce := &dialConnectError{host: host, port: port, elapsed: time.Since(start), err: err}
		x.vlogf("* %v", ce)
		return nil, ce
	}
	go func() {
		select {
		case <-qc.HandshakeComplete():
			reportICMPErrors(pc, ipv6, false)
		case <-qc.Context().Done():
		}
	}()
	d.connected.Store(true)
	key := qc.LocalAddr().String()
	d.conns.Store(key, qc)
	context.AfterFunc(qc.Context(), func() {
		qt.Close()
		d.conns.Delete(key)
	})
	return qc, nil
}

// quicConn returns the connection of an httptrace.GotConnInfo.
func (d *h3Dialer) quicConn(c net.Conn) *quic.Conn {
	if c == nil || c.LocalAddr() == nil {
		return nil
	}
	qc, _ := d.conns.Load(c.LocalAddr().String())
	q, _ := qc.(*quic.Conn)
	return q
}

// tlsConfig returns the client's TLS configuration. It verifies the server's
// certificate itself (as crypto/tls would, against --cacert or the system's
// roots), so that the reason of a failure reaches the error message: a QUIC
// handshake failure carries only the TLS alert.
func (d *h3Dialer) tlsConfig() (*tls.Config, error) {
	conf := &tls.Config{InsecureSkipVerify: true}
	var roots *x509.CertPool
	if d.opts.cacert != "" {
		pem, err := os.ReadFile(d.opts.cacert)
		if err != nil {
			return nil, &curlError{curlExitCACert, fmt.Sprintf("error setting certificate file: %v", err)}
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, &curlError{curlExitCACert, fmt.Sprintf("error setting certificate file: no PEM certificate in %s", d.opts.cacert)}
		}
	}
	insecure := d.opts.insecure
	conf.VerifyConnection = func(cs tls.ConnectionState) error {
		if insecure {
			return nil
		}
		err := verifyServerChain(cs, roots)
		if err != nil {
			d.verifyErrs.Store(cs.ServerName, err)
		}
		return err
	}
	if name := os.Getenv("SSLKEYLOGFILE"); name != "" {
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err == nil {
			conf.KeyLogWriter = f
			d.keyLog = f
		}
	}
	return conf, nil
}

// verifyServerChain verifies the server's chain and name, as crypto/tls does.
func verifyServerChain(cs tls.ConnectionState, roots *x509.CertPool) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("no certificate from the server")
	}
	opts := x509.VerifyOptions{Roots: roots, DNSName: cs.ServerName, Intermediates: x509.NewCertPool()}
	for _, c := range cs.PeerCertificates[1:] {
		opts.Intermediates.AddCert(c)
	}
	_, err := cs.PeerCertificates[0].Verify(opts)
	return err
}

// errGetMaxTime is the cause of a --max-time expiry.
var errGetMaxTime = errors.New("maximum time reached")

// classify turns a request failure into an exit code and a message. ctx is the
// transfer's (its cause tells a --max-time expiry), host the URL's.
func (d *h3Dialer) classify(ctx context.Context, err error, host string, elapsed time.Duration, received int64) *curlError {
	var ee *curlError
	switch {
	case errors.As(err, &ee):
		return ee
	case errors.Is(context.Cause(ctx), errGetMaxTime) || errors.Is(err, errGetMaxTime):
		return &curlError{curlExitTimeout, fmt.Sprintf("Operation timed out after %d milliseconds with %d bytes received", elapsed.Milliseconds(), received)}
	}
	var re *dialResolveError
	if errors.As(err, &re) {
		return &curlError{curlExitResolve, re.Error()}
	}
	if isTLSError(err) {
		if v, ok := d.verifyErrs.Load(host); ok {
			return &curlError{curlExitTLS, fmt.Sprintf("SSL certificate problem: %v", v)}
		}
		return &curlError{curlExitTLS, fmt.Sprintf("TLS handshake failed: %v", err)}
	}
	var ce *dialConnectError
	if errors.As(err, &ce) {
		if ce.timeout() {
			return &curlError{curlExitTimeout, ce.Error()}
		}
		return &curlError{curlExitConnect, ce.Error()}
	}
	if errors.Is(err, &quic.IdleTimeoutError{}) {
		return &curlError{curlExitTimeout, fmt.Sprintf("Connection timed out (idle) after %d milliseconds with %d bytes received", elapsed.Milliseconds(), received)}
	}
	return &curlError{curlExitRecv, fmt.Sprintf("Failure when receiving data from the peer: %v", err)}
}

// isTLSError reports whether err is a TLS handshake failure: a CRYPTO_ERROR
// (0x100-0x1ff, RFC 9001 section 4.8) from either side, or crypto/tls's errors.
func isTLSError(err error) bool {
	var te *quic.TransportError
	if errors.As(err, &te) && te.Code >= 0x100 && te.Code <= 0x1ff {
		return true
	}
	var ae tls.AlertError
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &ae) || errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci)
}

// fileSessionCache is a tls.ClientSessionCache kept in a file, so that a later
// run resumes the sessions (and sends 0-RTT data): each session is stored as its
// ticket and its serialized tls.SessionState.
type fileSessionCache struct {
	path string

	mu       sync.Mutex
	sessions map[string]*tls.ClientSessionState
	file     sessionFileData
	stored   chan struct{} // closed by the first Put of this run
	storeErr error
}

// sessionFileData is the JSON content of a session file.
type sessionFileData struct {
	Version  int                         `json:"version"`
	Sessions map[string]sessionFileEntry `json:"sessions"`
}

type sessionFileEntry struct {
	Ticket []byte `json:"ticket"`
	State  []byte `json:"state"`
}

// loadSessionCache reads the sessions of file; a missing file is an empty cache.
func loadSessionCache(file string) (*fileSessionCache, error) {
	c := &fileSessionCache{
		path:     file,
		sessions: make(map[string]*tls.ClientSessionState),
		file:     sessionFileData{Version: 1, Sessions: make(map[string]sessionFileEntry)},
		stored:   make(chan struct{}),
	}
	b, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, err
	}
	var sf sessionFileData
	if err := json.Unmarshal(b, &sf); err != nil || sf.Version != 1 {
		return c, nil // unreadable: start afresh, overwrite it on Put
	}
	for key, e := range sf.Sessions {
		state, err := tls.ParseSessionState(e.State)
		if err != nil {
			continue
		}
		cs, err := tls.NewResumptionState(e.Ticket, state)
		if err != nil {
			continue
		}
		c.sessions[key] = cs
		c.file.Sessions[key] = e
	}
	return c, nil
}

// Get implements tls.ClientSessionCache.
func (c *fileSessionCache) Get(key string) (*tls.ClientSessionState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs, ok := c.sessions[key]
	return cs, ok
}

// Put implements tls.ClientSessionCache: it stores the session (nil removes it)
// and rewrites the file.
func (c *fileSessionCache) Put(key string, cs *tls.ClientSessionState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cs == nil {
		delete(c.sessions, key)
		delete(c.file.Sessions, key)
	} else {
		ticket, state, err := cs.ResumptionState()
		if err != nil || state == nil {
			return
		}
		b, err := state.Bytes()
		if err != nil {
			return
		}
		c.sessions[key] = cs
		c.file.Sessions[key] = sessionFileEntry{Ticket: ticket, State: b}
	}
	c.storeErr = c.save()
	if cs != nil {
		select {
		case <-c.stored:
		default:
			close(c.stored)
		}
	}
}

// save writes the file atomically, readable by its owner only (it holds secrets).
func (c *fileSessionCache) save() error {
	b, err := json.Marshal(&c.file)
	if err != nil {
		return err
	}
	tmp := c.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, c.path)
}

// waitStored waits up to d for a session ticket of this run: the server sends it
// after the handshake, possibly after a short response was complete.
func (c *fileSessionCache) waitStored(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.stored:
	case <-t.C:
	}
}

// getUserAgent is the default user-agent: h3/VERSION.
func getUserAgent() string {
	v := "dev"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	return "h3/" + v
}

// getRun is one invocation of "h3 get".
type getRun struct {
	o        *getOptions
	d        *h3Dialer
	tr       *http3.Transport
	sessions *fileSessionCache
	stdout   io.Writer
	stderr   io.Writer
	// progress is the shared bar of parallel transfers; nil when sequential
	// (each transfer has its own) or disabled.
	progress *progressMeter
	showBar  bool
}

// getMain implements "h3 get".
func getMain(args []string, stdout, stderr io.Writer) int {
	o, err := parseGetArgs(args)
	if err == errCLIHelp {
		fmt.Fprint(stdout, getUsageText)
		return curlExitOK
	}
	if err != nil {
		var ee *curlError
		if errors.As(err, &ee) && ee.code != curlExitUsage {
			fmt.Fprintf(stderr, "h3: (%d) %s\n", ee.code, ee.msg)
			return ee.code
		}
		fmt.Fprintf(stderr, "h3: (%d) %v (see 'h3 get --help')\n", curlExitUsage, err)
		return curlExitUsage
	}
	g := &getRun{o: o, d: &h3Dialer{opts: o.net}, stdout: stdout, stderr: stderr}
	tlsConf, err := g.d.tlsConfig()
	if err != nil {
		return g.report(stderr, err.(*curlError))
	}
	if o.sessionFile != "" {
		g.sessions, err = loadSessionCache(o.sessionFile)
		if err != nil {
			return g.report(stderr, &curlError{curlExitRead, fmt.Sprintf("reading the session file: %v", err)})
		}
		tlsConf.ClientSessionCache = g.sessions
	}
	g.tr = &http3.Transport{
		TLSClientConfig:    tlsConf,
		Dial:               g.d.dial,
		DialTimeout:        o.net.connectTimeout,
		DisableCompression: !o.compressed,
		Allow0RTT:          o.zeroRTT,
	}
	defer g.d.close()
	defer g.tr.Close()
	// A progress bar on a terminal, unless silenced or drawn over a body that
	// goes to the same terminal.
	g.showBar = !o.silent && !o.noProgress && writerIsTerminal(stderr)
	code := 0
	if o.parallel && len(o.urls) > 1 {
		code = g.runParallel()
	} else {
		for i := range o.urls {
			x := g.newTransfer(i, stdout, stderr)
			if c := x.run(context.Background()); c != 0 && code == 0 {
				code = c
			}
		}
	}
	if g.sessions != nil && g.d.connected.Load() {
		g.sessions.waitStored(getSessionTicketWait)
		g.sessions.mu.Lock()
		err := g.sessions.storeErr
		g.sessions.mu.Unlock()
		if err != nil && !o.silent {
			fmt.Fprintf(stderr, "Warning: could not write the session file: %v\n", err)
		}
	}
	return code
}

// report prints a failure as curl does (unless -s without -S) and returns its code.
func (g *getRun) report(w io.Writer, e *curlError) int {
	if !g.o.silent || g.o.showError {
		fmt.Fprintf(w, "h3: (%d) %s\n", e.code, e.msg)
	}
	return e.code
}

// runParallel runs the transfers concurrently, at most --parallel-max at once. Each
// transfer's terminal output (body to stdout, -v, -w, errors) is collected and
// written in URL order, so that the outputs do not interleave.
func (g *getRun) runParallel() int {
	n := len(g.o.urls)
	if g.showBar {
		g.progress = newProgressMeter(g.stderr, downloadMeterLine)
	}
	type result struct {
		out, errw bytes.Buffer
		code      int
		done      chan struct{}
	}
	results := make([]*result, n)
	sem := make(chan struct{}, g.o.parallelMax)
	for i := range results {
		r := &result{done: make(chan struct{})}
		results[i] = r
		go func() {
			defer close(r.done)
			sem <- struct{}{}
			defer func() { <-sem }()
			x := g.newTransfer(i, &r.out, &r.errw)
			r.code = x.run(context.Background())
		}()
	}
	code := 0
	for _, r := range results {
		<-r.done
		g.progress.above(func() {
			g.stderr.Write(r.errw.Bytes())
			g.stdout.Write(r.out.Bytes())
		})
		if r.code != 0 && code == 0 {
			code = r.code
		}
	}
	g.progress.finish()
	return code
}

// getTransfer is the fetch of one URL: its attempts (--retry) and redirects (-L).
type getTransfer struct {
	g      *getRun
	idx    int
	rawURL string
	stdout io.Writer // the body without -o, -i headers, -w
	stderr io.Writer // -v, warnings, errors

	mu sync.Mutex // serializes -v output and guards st against the trace hooks
	st getTransferStats

	exitCode int
	exitMsg  string
}

// getTransferStats describe one attempt, for -v and -w.
type getTransferStats struct {
	start                                     time.Time
	tNameLookup, tConnect, tPreTransfer       time.Duration
	tStartTransfer, tTotal, tRedirect         time.Duration
	remote, local                             net.Addr
	qc                                        *quic.Conn // the connection of the last request
	tlsPending                                bool       // its TLS details wait for the handshake (0-RTT)
	numConnects, numRedirects                 int
	sizeDownload, sizeHeader, sizeRequest     int64
	sizeUpload                                atomic.Int64
	resp                                      *http.Response // the last response (body closed)
	method, effURL, redirectURL, filename     string
	headerOrder                               []string // request header keys in the order -v prints them
	defaultContentType, wroteStdout, outFresh bool
}

func (g *getRun) newTransfer(i int, stdout, stderr io.Writer) *getTransfer {
	return &getTransfer{g: g, idx: i, rawURL: g.o.urls[i], stdout: stdout, stderr: stderr}
}

// vlogf prints a -v line; x may be nil (a dial on behalf of no transfer).
func (x *getTransfer) vlogf(format string, args ...any) {
	if x == nil || !x.g.o.verbose {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	fmt.Fprintf(x.stderr, format+"\n", args...)
}

// mark records the time since the attempt started in *p; once keeps a time
// already recorded.
func (x *getTransfer) mark(p *time.Duration, once bool) {
	x.mu.Lock()
	if *p == 0 || !once {
		*p = time.Since(x.st.start)
	}
	x.mu.Unlock()
}

// run makes the attempts of the transfer and returns its exit code.
func (x *getTransfer) run(ctx context.Context) int {
	o := x.g.o
	delay := time.Second
	if o.retryDelaySet {
		delay = o.retryDelay
	}
	var e *curlError
	for attempt := 0; ; attempt++ {
		canRetry := attempt < o.retry
		var retry bool
		var wait time.Duration
		var why string
		e, retry, wait, why = x.attempt(ctx, canRetry)
		if !retry || !canRetry {
			break
		}
		if wait == 0 || o.retryDelaySet {
			wait = delay
		}
		if !o.silent {
			left := o.retry - attempt
			fmt.Fprintf(x.stderr, "Warning: Problem: %s. Will retry in %s seconds. %d %s left.\n",
				why, getFmtSeconds(wait), left, getPlural(left, "retry", "retries"))
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
		if !o.retryDelaySet {
			delay = min(delay*2, getMaxRetryBackoff)
		}
	}
	if e != nil {
		x.exitCode, x.exitMsg = e.code, e.msg
		x.g.report(x.stderr, e)
	}
	if o.writeOut != "" {
		x.writeOut(o.writeOut)
	}
	return x.exitCode
}

func getPlural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func getFmtSeconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

// curlRetryableStatus reports the HTTP codes curl's --retry takes for transient.
func curlRetryableStatus(code int) bool {
	switch code {
	case 408, 429, 500, 502, 503, 504, 522, 524:
		return true
	}
	return false
}

// retryableError reports whether a failure is transient for --retry.
func (x *getTransfer) retryableError(e *curlError) bool {
	if x.g.o.retryAllErrors {
		return e.code != curlExitUsage && e.code != curlExitURL && e.code != curlExitUnsupported
	}
	switch e.code {
	case curlExitTimeout, curlExitResolve, curlExitConnect, curlExitRecv:
		return true
	}
	return false
}

// parseRetryAfter returns the delay a Retry-After header asks for, 0 if none.
func parseRetryAfter(h http.Header) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return min(time.Duration(n)*time.Second, getMaxRetryBackoff)
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(time.Until(t), 0), getMaxRetryBackoff)
	}
	return 0
}

// attempt makes one attempt: the request and its redirects. It returns the
// failure, if any, whether to retry (when canRetry) after how long, and why.
func (x *getTransfer) attempt(ctx context.Context, canRetry bool) (e *curlError, retry bool, wait time.Duration, why string) {
	o := x.g.o
	x.mu.Lock()
	x.st = getTransferStats{start: time.Now()}
	x.mu.Unlock()
	defer func() { x.st.tTotal = time.Since(x.st.start) }()
	if o.maxTime > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, o.maxTime, errGetMaxTime)
		defer cancel()
	}
	ctx = context.WithValue(ctx, getTransferKey{}, x)

	u, e := x.requestURL()
	if e != nil {
		return e, false, 0, ""
	}
	x.st.effURL = u.String()
	sink := x.newSink(u)
	defer sink.close()
	fail := func(err error) (*curlError, bool, time.Duration, string) {
		e := x.g.d.classify(ctx, err, u.Hostname(), time.Since(x.st.start), x.st.sizeDownload)
		retry := canRetry && x.retryableError(e) && !x.st.wroteStdout
		return e, retry, 0, strings.ToLower(e.msg[:1]) + e.msg[1:]
	}

	req, e := x.newRequest(ctx, u)
	if e != nil {
		return e, false, 0, ""
	}
	var resp *http.Response
	for {
		var err error
		resp, err = x.roundTrip(req)
		if err != nil {
			return fail(err)
		}
		x.st.resp = resp
		x.st.effURL = req.URL.String()
		if err := x.responseHead(ctx, resp, sink); err != nil {
			resp.Body.Close()
			return err, false, 0, ""
		}
		loc := resp.Header.Get("Location")
		if !isRedirectStatus(resp.StatusCode) || loc == "" {
			break
		}
		if next, err := req.URL.Parse(loc); err == nil {
			x.st.redirectURL = next.String()
		}
		if !o.follow {
			break
		}
		drainBody(resp.Body)
		if o.maxRedirs >= 0 && x.st.numRedirects >= o.maxRedirs {
			return &curlError{curlExitTooManyRedirs, fmt.Sprintf("Maximum (%d) redirects followed", o.maxRedirs)}, false, 0, ""
		}
		if req, e = x.redirect(ctx, req, resp.StatusCode, loc); e != nil {
			return e, false, 0, ""
		}
		x.st.numRedirects++
		x.st.redirectURL = ""
		x.st.tRedirect = time.Since(x.st.start)
	}
	defer resp.Body.Close()
	status := resp.StatusCode
	if canRetry && curlRetryableStatus(status) {
		drainBody(resp.Body)
		return nil, true, parseRetryAfter(resp.Header), fmt.Sprintf("HTTP error %d", status)
	}
	if o.fail && status >= 400 {
		return &curlError{curlExitHTTP, fmt.Sprintf("The requested URL returned error: %d", status)}, false, 0, ""
	}
	if req.Method != http.MethodHead {
		if err := x.copyBody(ctx, resp, sink); err != nil {
			if e, ok := err.(*curlError); ok {
				return e, false, 0, ""
			}
			return fail(err)
		}
	}
	if err := sink.close(); err != nil {
		return err, false, 0, ""
	}
	if o.failWithBody && status >= 400 {
		return &curlError{curlExitHTTP, fmt.Sprintf("The requested URL returned error: %d", status)}, false, 0, ""
	}
	return nil, false, 0, ""
}

func isRedirectStatus(code int) bool {
	switch code {
	case 301, 302, 303, 307, 308:
		return true
	}
	return false
}

// drainBody reads what is left of a small body, so that the stream ends cleanly, and
// closes it.
func drainBody(b io.ReadCloser) {
	io.Copy(io.Discard, io.LimitReader(b, 64<<10))
	b.Close()
}

// requestURL parses the transfer's URL as curl does: without a scheme it is
// https; -G appends the data to its query; -T to a directory appends the name.
func (x *getTransfer) requestURL() (*url.URL, *curlError) {
	o := x.g.o
	raw := x.rawURL
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, &curlError{curlExitURL, fmt.Sprintf("URL rejected: Malformed input to a URL function: %q", x.rawURL)}
	}
	if !strings.EqualFold(u.Scheme, "https") {
		return nil, &curlError{curlExitUnsupported, fmt.Sprintf("Protocol %q not supported (HTTP/3 is https only)", u.Scheme)}
	}
	u.Scheme = "https"
	if u.Path == "" {
		u.Path = "/"
	}
	if o.getQuery && o.dataSet {
		q := strings.Join(o.data, "&")
		if u.RawQuery != "" {
			u.RawQuery += "&" + q
		} else {
			u.RawQuery = q
		}
	}
	if o.upload != "" && o.upload != "-" && strings.HasSuffix(u.Path, "/") {
		u = u.JoinPath(filepath.Base(o.upload))
	}
	return u, nil
}

// getBodySource opens a request body, again for a retry or a redirect.
type getBodySource struct {
	size       int64 // -1 when unknown
	open       func() (io.ReadCloser, error)
	replayable bool
}

func (x *getTransfer) getBodySource() (*getBodySource, *curlError) {
	o := x.g.o
	switch {
	case o.dataSet && !o.getQuery:
		data := strings.Join(o.data, "&")
		return &getBodySource{size: int64(len(data)), replayable: true,
			open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(data)), nil }}, nil
	case o.upload == "-":
		return &getBodySource{size: -1, open: func() (io.ReadCloser, error) { return io.NopCloser(os.Stdin), nil }}, nil
	case o.upload != "":
		fi, err := os.Stat(o.upload)
		if err != nil {
			return nil, &curlError{curlExitRead, fmt.Sprintf("Failed to open/read local data from file/application: %v", err)}
		}
		name := o.upload
		return &getBodySource{size: fi.Size(), replayable: true,
			open: func() (io.ReadCloser, error) { return os.Open(name) }}, nil
	}
	return nil, nil
}

// uploadCounter counts the bytes of a request body read by the transport.
type uploadCounter struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *uploadCounter) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// setBody gives req a body from src.
func (x *getTransfer) setBody(req *http.Request, src *getBodySource) *curlError {
	if src == nil {
		req.Body, req.ContentLength, req.GetBody = nil, 0, nil
		return nil
	}
	open := func() (io.ReadCloser, error) {
		rc, err := src.open()
		if err != nil {
			return nil, err
		}
		return &uploadCounter{rc, &x.st.sizeUpload}, nil
	}
	if src.size == 0 {
		req.Body, req.ContentLength = http.NoBody, 0
		req.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
		return nil
	}
	rc, err := open()
	if err != nil {
		return &curlError{curlExitRead, fmt.Sprintf("Failed to open/read local data from file/application: %v", err)}
	}
	req.Body, req.ContentLength = rc, src.size
	req.GetBody = nil
	if src.replayable {
		req.GetBody = open
	}
	return nil
}

// newRequest builds the first request of an attempt.
func (x *getTransfer) newRequest(ctx context.Context, u *url.URL) (*http.Request, *curlError) {
	o := x.g.o
	src, e := x.getBodySource()
	if e != nil {
		return nil, e
	}
	method := http.MethodGet
	switch {
	case o.head:
		method = http.MethodHead
	case o.upload != "":
		method = http.MethodPut
	case src != nil:
		method = http.MethodPost
	}
	if o.method != "" {
		method = o.method
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return nil, &curlError{curlExitURL, fmt.Sprintf("URL rejected: %v", err)}
	}
	if e := x.setBody(req, src); e != nil {
		return nil, e
	}
	x.st.method = method

	// The user's headers replace or remove the defaults of the same name.
	type userHeader struct {
		key, value string
		remove     bool
	}
	var user []userHeader
	mentioned := map[string]bool{}
	for _, h := range o.headers {
		var uh userHeader
		if name, value, ok := strings.Cut(h, ":"); ok {
			uh = userHeader{key: http.CanonicalHeaderKey(strings.TrimSpace(name)), value: strings.TrimSpace(value)}
			uh.remove = uh.value == ""
		} else if name, ok := strings.CutSuffix(strings.TrimSpace(h), ";"); ok {
			uh = userHeader{key: http.CanonicalHeaderKey(strings.TrimSpace(name))}
		} else {
			continue // curl ignores a header without a colon
		}
		if uh.key == "" {
			continue
		}
		mentioned[uh.key] = true
		user = append(user, uh)
	}
	add := func(k, v string) {
		if _, ok := req.Header[k]; !ok {
			x.st.headerOrder = append(x.st.headerOrder, k)
		}
		req.Header.Add(k, v)
	}
	if o.user != "" && !mentioned["Authorization"] {
		name, pass, _ := strings.Cut(o.user, ":")
		r := &http.Request{Header: http.Header{}}
		r.SetBasicAuth(name, pass)
		add("Authorization", r.Header.Get("Authorization"))
	}
	if !mentioned["User-Agent"] {
		ua := getUserAgent()
		if o.uaSet {
			ua = o.userAgent
		}
		if ua != "" {
			add("User-Agent", ua)
		}
	}
	if !mentioned["Accept"] {
		add("Accept", "*/*")
	}
	for _, h := range user {
		switch {
		case h.key == "Host":
			if !h.remove {
				req.Host = h.value
			}
		case h.remove:
			req.Header.Del(h.key)
		default:
			add(h.key, h.value)
		}
	}
	if method == http.MethodPost && o.dataSet && !o.getQuery && !mentioned["Content-Type"] {
		add("Content-Type", "application/x-www-form-urlencoded")
		x.st.defaultContentType = true
	}
	return req, nil
}

// redirect builds the request that follows a redirect, as curl -L does: 301 and
// 302 turn a POST into a GET, 303 turns anything but HEAD into a GET (unless -X
// set the method), 307 and 308 resend the body; credentials do not go to
// another host.
func (x *getTransfer) redirect(ctx context.Context, prev *http.Request, code int, loc string) (*http.Request, *curlError) {
	o := x.g.o
	next, err := prev.URL.Parse(loc)
	if err != nil {
		return nil, &curlError{curlExitURL, fmt.Sprintf("URL rejected: bad redirect location %q", loc)}
	}
	if !strings.EqualFold(next.Scheme, "https") {
		return nil, &curlError{curlExitUnsupported, fmt.Sprintf("Protocol %q not supported (redirect to %s; HTTP/3 is https only)", next.Scheme, next)}
	}
	x.vlogf("* Issue another request to this URL: '%s'", next)
	req := prev.Clone(ctx)
	req.URL = next
	req.Host = ""
	method := prev.Method
	keepBody := true
	if o.method == "" {
		switch {
		case (code == 301 || code == 302) && method == http.MethodPost,
			code == 303 && method != http.MethodHead:
			method, keepBody = http.MethodGet, false
		}
	}
	req.Method = method
	x.st.method = method
	var src *getBodySource
	if keepBody {
		var e *curlError
		if src, e = x.getBodySource(); e != nil {
			return nil, e
		}
		if src != nil && !src.replayable {
			return nil, &curlError{curlExitRead, "cannot resend the request body (stdin) to follow the redirect"}
		}
	} else if x.st.defaultContentType {
		req.Header.Del("Content-Type")
	}
	if e := x.setBody(req, src); e != nil {
		return nil, e
	}
	if !strings.EqualFold(next.Host, prev.URL.Host) {
		req.Header.Del("Authorization")
		req.Header.Del("Cookie")
	}
	return req, nil
}

// roundTrip sends req with the trace hooks that time the transfer and print -v.
func (x *getTransfer) roundTrip(req *http.Request) (*http.Response, error) {
	trace := &httptrace.ClientTrace{
		GotConn:              func(info httptrace.GotConnInfo) { x.gotConn(req, info) },
		WroteHeaders:         func() { x.mark(&x.st.tPreTransfer, false); x.printRequest(req) },
		GotFirstResponseByte: func() { x.mark(&x.st.tStartTransfer, false) },
		Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
			x.printHead("< ", fmt.Sprintf("HTTP/3 %d", code), http.Header(h), "\n", x.verboseWriter())
			return nil
		},
	}
	return x.g.tr.RoundTrip(req.WithContext(httptrace.WithClientTrace(req.Context(), trace)))
}

// verboseWriter returns where -v goes, or nil without -v.
func (x *getTransfer) verboseWriter() io.Writer {
	if !x.g.o.verbose {
		return nil
	}
	return getLockedWriter{&x.mu, x.stderr}
}

type getLockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (w getLockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

// gotConn notes the connection a request got, and prints it with -v.
func (x *getTransfer) gotConn(req *http.Request, info httptrace.GotConnInfo) {
	qc := x.g.d.quicConn(info.Conn)
	x.mu.Lock()
	if x.st.tConnect == 0 {
		x.st.tConnect = time.Since(x.st.start)
	}
	x.st.remote, x.st.local = info.Conn.RemoteAddr(), info.Conn.LocalAddr()
	x.st.qc = qc
	x.st.tlsPending = false
	if !info.Reused {
		x.st.numConnects++
	}
	x.mu.Unlock()
	host := req.URL.Hostname()
	if info.Reused {
		x.vlogf("* Re-using existing connection with host %s", host)
		return
	}
	ip, port := udpAddrParts(info.Conn.RemoteAddr())
	x.vlogf("* Connected to %s (%s) port %s", host, ip, port)
	x.vlogf("* using HTTP/3")
	if qc == nil {
		return
	}
	select {
	case <-qc.HandshakeComplete():
		x.printTLS(qc.ConnectionState())
	default:
		// Dialed early (--0rtt): the request may ride in 0-RTT data; the
		// handshake's outcome is printed with the response.
		x.mu.Lock()
		x.st.tlsPending = true
		x.mu.Unlock()
		x.vlogf("* QUIC handshake in progress; requests may go as 0-RTT data")
	}
}

// udpAddrParts returns the IP and the port of a UDP address.
func udpAddrParts(a net.Addr) (ip, port string) {
	if a == nil {
		return "", ""
	}
	if ua, ok := a.(*net.UDPAddr); ok {
		return ua.IP.String(), strconv.Itoa(ua.Port)
	}
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String(), ""
	}
	return host, port
}

// quicVersionName names a QUIC version.
func quicVersionName(v uint32) string {
	switch v {
	case 1:
		return "1"
	case 0x6b3343cf:
		return "2"
	}
	return fmt.Sprintf("0x%08x", v)
}

// printTLS prints a connection's QUIC and TLS state with -v.
func (x *getTransfer) printTLS(cs quic.ConnectionState) {
	if !x.g.o.verbose {
		return
	}
	s := cs.TLS
	x.vlogf("* QUIC version %s, ALPN: server accepted %s", quicVersionName(cs.Version), s.NegotiatedProtocol)
	line := "* SSL connection using " + strings.Replace(tls.VersionName(s.Version), "TLS ", "TLSv", 1) + " / " + tls.CipherSuiteName(s.CipherSuite)
	if s.CurveID != 0 {
		line += " / " + s.CurveID.String()
	}
	x.vlogf("%s", line)
	if len(s.PeerCertificates) > 0 {
		c := s.PeerCertificates[0]
		x.vlogf("* Server certificate:")
		x.vlogf("*  subject: %s", c.Subject)
		x.vlogf("*  start date: %s", c.NotBefore.UTC().Format("Jan _2 15:04:05 2006 GMT"))
		x.vlogf("*  expire date: %s", c.NotAfter.UTC().Format("Jan _2 15:04:05 2006 GMT"))
		x.vlogf("*  issuer: %s", c.Issuer)
	}
	if x.g.o.net.insecure {
		x.vlogf("*  SSL certificate verification skipped (-k)")
	} else {
		x.vlogf("*  SSL certificate verify ok.")
	}
	if s.DidResume {
		x.vlogf("* TLS session resumed")
	}
	switch {
	case cs.Used0RTT:
		x.vlogf("* 0-RTT: used, the server accepted the early data")
	case x.g.o.zeroRTT && s.DidResume:
		x.vlogf("* 0-RTT: not accepted by the server; requests were sent after the handshake")
	default:
		x.vlogf("* 0-RTT: not used")
	}
}

// printRequest prints the request's header section with -v, as it went out:
// pseudo-header fields as a request line, the rest lowercased.
func (x *getTransfer) printRequest(req *http.Request) {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/3\n", req.Method, req.URL.RequestURI())
	fmt.Fprintf(&b, "host: %s\n", host)
	x.mu.Lock()
	order := x.st.headerOrder
	x.mu.Unlock()
	seen := map[string]bool{}
	keys := slices.Clone(order)
	var rest []string
	for k := range req.Header {
		if !slices.Contains(order, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	for _, k := range append(keys, rest...) {
		if seen[k] {
			continue
		}
		seen[k] = true
		for _, v := range req.Header[k] {
			fmt.Fprintf(&b, "%s: %s\n", strings.ToLower(k), v)
		}
	}
	if req.ContentLength > 0 {
		fmt.Fprintf(&b, "content-length: %d\n", req.ContentLength)
	}
	x.mu.Lock()
	x.st.sizeRequest += int64(b.Len())
	x.mu.Unlock()
	if !x.g.o.verbose {
		return
	}
	var out strings.Builder
	for line := range strings.Lines(b.String()) {
		out.WriteString("> " + line)
	}
	out.WriteString(">\n")
	io.WriteString(x.verboseWriter(), out.String())
}

// printHead writes a response's header section to w (if not nil): a status line,
// the fields sorted and lowercased, a blank line; each line starting with prefix
// and ending with eol. It returns the size of the section as -i prints it.
func (x *getTransfer) printHead(prefix, statusLine string, h http.Header, eol string, w io.Writer) int {
	var b strings.Builder
	b.WriteString(prefix + statusLine + eol)
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			b.WriteString(prefix + strings.ToLower(k) + ": " + v + eol)
		}
	}
	b.WriteString(strings.TrimRight(prefix, " ") + eol)
	if w != nil {
		io.WriteString(w, b.String())
	}
	return b.Len()
}

// responseHead handles a response's header section: -v, -i, -I and -D.
func (x *getTransfer) responseHead(ctx context.Context, resp *http.Response, sink *getOutputSink) *curlError {
	o := x.g.o
	x.mu.Lock()
	qc, pending := x.st.qc, x.st.tlsPending
	x.st.tlsPending = false
	x.mu.Unlock()
	if pending && qc != nil {
		select {
		case <-qc.HandshakeComplete():
		case <-ctx.Done():
		}
		x.printTLS(qc.ConnectionState())
	}
	status := fmt.Sprintf("HTTP/3 %d", resp.StatusCode)
	x.printHead("< ", status, resp.Header, "\n", x.verboseWriter())
	n := x.printHead("", status, resp.Header, "\r\n", nil)
	x.st.sizeHeader += int64(n)
	if o.include || o.head {
		x.printHead("", status, resp.Header, "\r\n", sink)
		if sink.err != nil {
			return sink.err
		}
	}
	if o.dumpHeader != "" {
		if o.dumpHeader == "-" {
			x.printHead("", status, resp.Header, "\r\n", x.stdout)
		} else {
			flags := os.O_WRONLY | os.O_CREATE | os.O_APPEND
			if !x.st.outFresh {
				flags |= os.O_TRUNC
				x.st.outFresh = true
			}
			f, err := os.OpenFile(o.dumpHeader, flags, 0o666)
			if err != nil {
				return &curlError{curlExitWrite, fmt.Sprintf("Failed to open %s: %v", o.dumpHeader, err)}
			}
			x.printHead("", status, resp.Header, "\r\n", f)
			f.Close()
		}
	}
	return nil
}

// getOutputSink is where a transfer's body goes: a file opened at the first write
// (so that -f creates nothing), or stdout.
type getOutputSink struct {
	x    *getTransfer
	name string // "" for stdout
	f    *os.File
	err  *curlError
}

// newSink returns the output of the transfer: its -o or -O, or stdout.
func (x *getTransfer) newSink(u *url.URL) *getOutputSink {
	s := &getOutputSink{x: x}
	o := x.g.o
	if x.idx < len(o.outputs) {
		out := o.outputs[x.idx]
		switch {
		case out.remote:
			seg := u.EscapedPath()
			seg = seg[strings.LastIndexByte(seg, '/')+1:]
			if seg == "" {
				s.err = &curlError{curlExitWrite, "Remote file name has no length"}
			}
			s.name = seg
		case out.file != "-":
			s.name = out.file
		}
	}
	x.st.filename = s.name
	return s
}

func (s *getOutputSink) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.name == "" {
		s.x.st.wroteStdout = true
		n, err := s.x.stdout.Write(p)
		if err != nil {
			s.err = &curlError{curlExitWrite, fmt.Sprintf("Failure writing output to destination: %v", err)}
			return n, s.err
		}
		return n, nil
	}
	if s.f == nil {
		f, err := os.Create(s.name)
		if err != nil {
			s.err = &curlError{curlExitWrite, fmt.Sprintf("Failed to open the file %s: %v", s.name, err)}
			return 0, s.err
		}
		s.f = f
	}
	n, err := s.f.Write(p)
	if err != nil {
		s.err = &curlError{curlExitWrite, fmt.Sprintf("Failure writing output to destination: %v", err)}
	}
	return n, err
}

// close closes the file, if any, and reports a failure to write it.
func (s *getOutputSink) close() *curlError {
	if s.f != nil {
		if err := s.f.Close(); err != nil && s.err == nil {
			s.err = &curlError{curlExitWrite, fmt.Sprintf("Failure writing output to destination: %v", err)}
		}
		s.f = nil
	}
	return s.err
}

// copyBody writes the response body to sink, with a progress bar on a terminal.
// Read errors are returned as they are, write errors as *curlError.
func (x *getTransfer) copyBody(ctx context.Context, resp *http.Response, sink *getOutputSink) error {
	if sink.name == "" && sink.err != nil {
		return sink.err
	}
	bar := x.g.progress
	if bar == nil && x.g.showBar && !(sink.name == "" && writerIsTerminal(x.stdout)) {
		bar = newProgressMeter(x.stderr, downloadMeterLine)
		defer bar.finish()
	}
	bar.addTotal(resp.ContentLength)
	buf := make([]byte, 32<<10)
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			x.st.sizeDownload += int64(n)
			bar.add(int64(n))
			if _, err := sink.Write(buf[:n]); err != nil {
				return sink.err
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

// writeOut prints -w FORMAT for the transfer: %{variable}, %header{name},
// %{stdout}/%{stderr} switching the output, %% and the escapes \n \r \t \\.
func (x *getTransfer) writeOut(format string) {
	out := x.stdout
	var b strings.Builder
	flush := func() {
		io.WriteString(out, b.String())
		b.Reset()
	}
	for i := 0; i < len(format); i++ {
		c := format[i]
		rest := format[i:]
		switch {
		case c == '\\' && i+1 < len(format):
			i++
			switch format[i] {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case '\\':
				b.WriteByte('\\')
			default:
				b.WriteByte('\\')
				b.WriteByte(format[i])
			}
		case strings.HasPrefix(rest, "%%"):
			b.WriteByte('%')
			i++
		case strings.HasPrefix(rest, "%{"), strings.HasPrefix(rest, "%header{"):
			end := strings.IndexByte(rest, '}')
			if end < 0 {
				b.WriteString(rest)
				i = len(format)
				continue
			}
			i += end
			if name, ok := strings.CutPrefix(rest[:end], "%header{"); ok {
				if x.st.resp != nil {
					b.WriteString(strings.Join(x.st.resp.Header.Values(name), ", "))
				}
				continue
			}
			name := rest[2:end]
			switch name {
			case "stdout", "stderr":
				flush()
				out = x.stdout
				if name == "stderr" {
					out = x.stderr
				}
			default:
				if v, ok := x.variable(name); ok {
					b.WriteString(v)
				} else if !x.g.o.silent {
					flush()
					fmt.Fprintf(x.stderr, "Warning: unknown --write-out variable: '%s'\n", name)
				}
			}
		default:
			b.WriteByte(c)
		}
	}
	flush()
}

// variable returns the value of a -w variable.
func (x *getTransfer) variable(name string) (string, bool) {
	st := &x.st
	secs := func(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 6, 64) }
	speed := func(n int64) string {
		if st.tTotal <= 0 {
			return "0"
		}
		return strconv.FormatInt(int64(float64(n)/st.tTotal.Seconds()), 10)
	}
	code := 0
	if st.resp != nil {
		code = st.resp.StatusCode
	}
	switch name {
	case "http_code", "response_code":
		return fmt.Sprintf("%03d", code), true
	case "http_version":
		if st.resp == nil {
			return "0", true
		}
		return "3", true
	case "time_namelookup":
		return secs(st.tNameLookup), true
	case "time_connect", "time_appconnect":
		return secs(st.tConnect), true
	case "time_pretransfer":
		return secs(st.tPreTransfer), true
	case "time_starttransfer":
		return secs(st.tStartTransfer), true
	case "time_redirect":
		return secs(st.tRedirect), true
	case "time_total":
		return secs(st.tTotal), true
	case "size_download":
		return strconv.FormatInt(st.sizeDownload, 10), true
	case "size_upload":
		return strconv.FormatInt(st.sizeUpload.Load(), 10), true
	case "size_header":
		return strconv.FormatInt(st.sizeHeader, 10), true
	case "size_request":
		return strconv.FormatInt(st.sizeRequest, 10), true
	case "speed_download":
		return speed(st.sizeDownload), true
	case "speed_upload":
		return speed(st.sizeUpload.Load()), true
	case "num_connects":
		return strconv.Itoa(st.numConnects), true
	case "num_redirects":
		return strconv.Itoa(st.numRedirects), true
	case "num_headers":
		if st.resp == nil {
			return "0", true
		}
		n := 0
		for _, vv := range st.resp.Header {
			n += len(vv)
		}
		return strconv.Itoa(n), true
	case "redirect_url":
		return st.redirectURL, true
	case "url":
		return x.rawURL, true
	case "url_effective":
		return st.effURL, true
	case "remote_ip":
		ip, _ := udpAddrParts(st.remote)
		return ip, true
	case "remote_port":
		_, p := udpAddrParts(st.remote)
		return p, true
	case "local_ip":
		ip, _ := udpAddrParts(st.local)
		return ip, true
	case "local_port":
		_, p := udpAddrParts(st.local)
		return p, true
	case "content_type":
		if st.resp == nil {
			return "", true
		}
		return st.resp.Header.Get("Content-Type"), true
	case "method":
		return st.method, true
	case "scheme":
		return "HTTPS", true
	case "filename_effective":
		return st.filename, true
	case "exitcode":
		return strconv.Itoa(x.exitCode), true
	case "errormsg":
		return x.exitMsg, true
	case "ssl_verify_result":
		return "0", true
	case "urlnum":
		return strconv.Itoa(x.idx), true
	}
	return "", false
}
