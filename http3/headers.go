package http3

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/h3wasi/h3wasi/qpack"
)

// This file holds the message rules of RFC 9114 section 4 (HTTP fields, pseudo-header
// fields, CONNECT) and of RFC 9220 (extended CONNECT), free of I/O: it turns decoded
// field sections into requests, responses and trailers, and back.
//
// RFC 9114 section 4.1.2: "Malformed requests or responses that are detected MUST be
// treated as a stream error of type H3_MESSAGE_ERROR." Every receive-side violation
// below is such a stream error.

// fieldLimits carries the connection state that changes which request fields are valid.
type fieldLimits struct {
	// enableConnectProtocol is true when we advertised SETTINGS_ENABLE_CONNECT_PROTOCOL
	// (RFC 9220 section 3); only then may a request carry :protocol.
	enableConnectProtocol bool
}

// Character classes, indexed by byte.
var (
	// hfNameChar: tchar of RFC 9110 section 5.6.2 without uppercase letters, the
	// characters of a field name in HTTP/3 (RFC 9114 section 4.2).
	hfNameChar = hfTable("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz")
	// hfTokenChar: tchar (RFC 9110 section 5.6.2), for methods and :protocol.
	hfTokenChar = hfTable("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
	// hfSchemeChar: the characters after the first of a URI scheme (RFC 3986 section 3.1).
	hfSchemeChar = hfTable("+-.0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
	// hfAuthorityChar: unreserved, pct-encoded, sub-delims, ":" and the brackets of an
	// IP-literal (RFC 3986 section 3.2). "@" (userinfo) is handled on its own.
	hfAuthorityChar = hfTable("-._~%!$&'()*+,;=:[]0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
	// hfSimplePathChar: path characters that url.ParseRequestURI keeps as they are
	// (Path equal to the input, no RawPath), so the fast path can skip it.
	hfSimplePathChar = hfTable("-._~$&+,/:;=@0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
)

func hfTable(chars string) (t [256]bool) {
	for i := 0; i < len(chars); i++ {
		t[chars[i]] = true
	}
	return t
}

// hfCommonHeaders are the canonical names whose lowercase form and canonical form are
// looked up in maps rather than computed (no allocation either way).
var hfCommonHeaders = [...]string{
	"Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language", "Accept-Ranges",
	"Access-Control-Allow-Credentials", "Access-Control-Allow-Headers",
	"Access-Control-Allow-Methods", "Access-Control-Allow-Origin",
	"Access-Control-Expose-Headers", "Access-Control-Max-Age",
	"Access-Control-Request-Headers", "Access-Control-Request-Method",
	"Age", "Allow", "Alt-Svc", "Authorization", "Cache-Control", "Connection",
	"Content-Disposition", "Content-Encoding", "Content-Language", "Content-Length",
	"Content-Location", "Content-Range", "Content-Security-Policy", "Content-Type",
	"Cookie", "Date", "Dnt", "Early-Data", "Etag", "Expect", "Expires", "Forwarded", "From",
	"Host", "If-Match", "If-Modified-Since", "If-None-Match", "If-Range",
	"If-Unmodified-Since", "Keep-Alive", "Last-Modified", "Link", "Location",
	"Max-Forwards", "Origin", "Pragma", "Priority", "Proxy-Authenticate",
	"Proxy-Authorization", "Proxy-Connection", "Purpose", "Range", "Referer",
	"Referrer-Policy", "Refresh", "Retry-After", "Sec-Fetch-Dest", "Sec-Fetch-Mode",
	"Sec-Fetch-Site", "Sec-Fetch-User", "Sec-Websocket-Extensions", "Sec-Websocket-Key",
	"Sec-Websocket-Protocol", "Sec-Websocket-Version", "Server", "Set-Cookie",
	"Strict-Transport-Security", "Te", "Timing-Allow-Origin", "Trailer",
	"Transfer-Encoding", "Upgrade", "Upgrade-Insecure-Requests", "User-Agent", "Vary",
	"Via", "Www-Authenticate", "X-Content-Type-Options", "X-Forwarded-For",
	"X-Forwarded-Host", "X-Forwarded-Proto", "X-Frame-Options", "X-Requested-With",
	"X-Xss-Protection",
}

var (
	hfCanonToLower = make(map[string]string, len(hfCommonHeaders))
	hfLowerToCanon = make(map[string]string, len(hfCommonHeaders))
)

func init() {
	for _, c := range hfCommonHeaders {
		l := strings.ToLower(c)
		hfCanonToLower[c] = l
		hfLowerToCanon[l] = c
	}
}

// hfStatusDigits holds "100101102...599": the :status value of any code in [100, 600)
// is a substring of it.
var hfStatusDigits = func() string {
	b := make([]byte, 0, 3*500)
	for c := 100; c < 600; c++ {
		b = strconv.AppendInt(b, int64(c), 10)
	}
	return string(b)
}()

func hfStatusString(code int) string {
	if code >= 100 && code < 600 {
		i := (code - 100) * 3
		return hfStatusDigits[i : i+3]
	}
	return strconv.Itoa(code)
}

func hfErr(format string, args ...any) *Error {
	return streamErrorf(ErrCodeMessageError, format, args...)
}

// hfQuote quotes s for an error message, cut to a readable length.
func hfQuote(s string) string {
	const max = 64
	if len(s) > max {
		return strconv.Quote(s[:max]) + "..."
	}
	return strconv.Quote(s)
}

// hfConnectionSpecific reports the connection-specific fields of RFC 9110 section 7.6.1
// that RFC 9114 section 4.2 forbids ("any message containing connection-specific
// fields MUST be treated as malformed"). TE is handled on its own.
func hfConnectionSpecific(lowerName string) bool {
	switch lowerName {
	case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
		return true
	}
	return false
}

// hfCheckName reports a field name that is not a lowercase token (RFC 9114 section
// 4.2: "A request or response containing uppercase characters in field names MUST be
// treated as malformed"; RFC 9110 section 5.1: field-name = token).
func hfCheckName(name string) *Error {
	if name == "" {
		return hfErr("empty field name")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if hfNameChar[c] {
			continue
		}
		if 'A' <= c && c <= 'Z' {
			return hfErr("uppercase character in field name %s", hfQuote(name))
		}
		return hfErr("invalid character in field name %s", hfQuote(name))
	}
	return nil
}

// hfValidValue reports whether v is a valid field value: no NUL, CR or LF, and no
// leading or trailing SP or HTAB (RFC 9110 section 5.5; RFC 9114 section 4.1.2 makes
// invalid characters in values malformed).
func hfValidValue(v string) bool {
	if v == "" {
		return true
	}
	if c := v[0]; c == ' ' || c == '\t' {
		return false
	}
	if c := v[len(v)-1]; c == ' ' || c == '\t' {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= '\r' && (c == 0 || c == '\r' || c == '\n') {
			return false
		}
	}
	return true
}

func hfIsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !hfTokenChar[s[i]] {
			return false
		}
	}
	return true
}

// hfValidScheme: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 section 3.1).
func hfValidScheme(s string) bool {
	if s == "" {
		return false
	}
	if c := s[0] | 0x20; c < 'a' || c > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !hfSchemeChar[s[i]] {
			return false
		}
	}
	return true
}

// hfValidAuthority reports whether s holds only authority characters (RFC 3986
// section 3.2); userinfo ("@") only when allowUserinfo. It may be empty.
func hfValidAuthority(s string, allowUserinfo bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !hfAuthorityChar[c] && (c != '@' || !allowUserinfo) {
			return false
		}
	}
	return true
}

// hfValidPathChars reports whether a :path holds no whitespace or control characters
// (a request-target, RFC 9112 section 3.2, is one run of visible characters). Bytes
// above 0x7f are let through, as net/http's HTTP/1 server does.
func hfValidPathChars(p string) bool {
	for i := 0; i < len(p); i++ {
		if c := p[i]; c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// hfAuthorityMandatory reports the schemes with a mandatory authority component
// (RFC 9114 section 4.3.1).
func hfAuthorityMandatory(scheme string) bool {
	return hfEqualFold(scheme, "https") || hfEqualFold(scheme, "http")
}

// hfEqualFold is strings.EqualFold for ASCII, lower the lowercase expected value.
func hfEqualFold(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func hfTrimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// hfParseContentLength parses a content-length value (RFC 9110 section 8.6:
// Content-Length = 1*DIGIT). A comma-separated list of identical values is accepted
// as that one value, as section 8.6 allows. It returns the value and its decimal
// form for the header.
func hfParseContentLength(v string) (int64, string, bool) {
	n := int64(-1)
	var first string
	for {
		elem, rest, more := strings.Cut(v, ",")
		elem = hfTrimOWS(elem)
		if elem == "" {
			return 0, "", false
		}
		var m int64
		for i := 0; i < len(elem); i++ {
			c := elem[i]
			if c < '0' || c > '9' {
				return 0, "", false
			}
			d := int64(c - '0')
			if m > (1<<63-1-d)/10 {
				return 0, "", false
			}
			m = m*10 + d
		}
		if n < 0 {
			n, first = m, elem
		} else if m != n {
			return 0, "", false
		}
		if !more {
			break
		}
		v = rest
	}
	if len(first) > 1 && first[0] == '0' {
		first = strconv.FormatInt(n, 10)
	}
	return n, first, true
}

// hfCanonical is http.CanonicalHeaderKey for a valid lowercase name, without
// allocating for common names.
func hfCanonical(lowerName string) string {
	if c, ok := hfLowerToCanon[lowerName]; ok {
		return c
	}
	return http.CanonicalHeaderKey(lowerName)
}

// hfKind is the kind of field section being read or written.
type hfKind uint8

const (
	hfRequest hfKind = iota
	hfResponse
	hfTrailer
)

// hfSection is what hfParseRegular gathers from the regular fields of a section.
type hfSection struct {
	header        http.Header
	contentLength int64 // -1 when absent
	host          string
	hasHost       bool
}

// hfParseRegular checks the regular (non-pseudo) fields of a section and builds its
// header. fields must start after the pseudo-header fields.
func hfParseRegular(fields []qpack.HeaderField, kind hfKind) (hfSection, *Error) {
	s := hfSection{contentLength: -1}
	h := make(http.Header, len(fields))
	s.header = h
	// One backing array for the first value of every key, as net/textproto does.
	var strs []string
	if len(fields) > 0 {
		strs = make([]string, len(fields))
	}
	cookies, cookieLen := 0, 0
	var firstCookie string
	for i := range fields {
		f := &fields[i]
		name, v := f.Name, f.Value
		if name != "" && name[0] == ':' {
			// RFC 9114 section 4.3: "Pseudo-header fields MUST NOT appear in trailer
			// sections" and "All pseudo-header fields MUST appear in the header
			// section before regular header fields."
			if kind == hfTrailer {
				return s, hfErr("pseudo-header field %s in a trailer section", hfQuote(name))
			}
			return s, hfErr("pseudo-header field %s after a regular field", hfQuote(name))
		}
		if err := hfCheckName(name); err != nil {
			return s, err
		}
		if !hfValidValue(v) {
			return s, hfErr("invalid value for field %s", hfQuote(name))
		}
		switch name {
		case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
			return s, hfErr("connection-specific field %s", hfQuote(name))
		case "te":
			// RFC 9114 section 4.2: TE "MAY be present in an HTTP/3 request header;
			// when it is, it MUST NOT contain any value other than "trailers"".
			if kind != hfRequest {
				return s, hfErr("te field outside a request header section")
			}
			if !hfEqualFold(v, "trailers") {
				return s, hfErr("te field with a value other than \"trailers\": %s", hfQuote(v))
			}
		case "host":
			if kind == hfRequest {
				if s.hasHost {
					return s, hfErr("more than one host field")
				}
				s.host, s.hasHost = v, true
				continue // the request's Host, not a header
			}
		case "content-length":
			if kind == hfTrailer {
				break
			}
			n, canon, ok := hfParseContentLength(v)
			if !ok {
				return s, hfErr("invalid content-length %s", hfQuote(v))
			}
			if s.contentLength >= 0 {
				if n != s.contentLength {
					return s, hfErr("conflicting content-length values")
				}
				continue // one Content-Length in the header
			}
			s.contentLength, v = n, canon
		case "cookie":
			// Gathered after the loop.
			if cookies == 0 {
				firstCookie = v
			} else {
				cookieLen += len("; ")
			}
			cookies++
			cookieLen += len(v)
			continue
		}
		key := hfCanonical(name)
		if vv, ok := h[key]; ok {
			h[key] = append(vv, v)
		} else {
			strs[0] = v
			h[key] = strs[:1:1]
			strs = strs[1:]
		}
	}
	if cookies > 0 {
		v := firstCookie
		if cookies > 1 {
			// RFC 9114 section 4.2.1: multiple cookie field lines "MUST be
			// concatenated into a single byte string using the two-byte delimiter
			// of "; "".
			var b strings.Builder
			b.Grow(cookieLen)
			sep := ""
			for i := range fields {
				if fields[i].Name == "cookie" {
					b.WriteString(sep)
					b.WriteString(fields[i].Value)
					sep = "; "
				}
			}
			v = b.String()
		}
		strs[0] = v // cookie fields took no slot, so one is left
		h["Cookie"] = strs[:1:1]
	}
	return s, nil
}

// Bits of the request pseudo-header fields seen.
const (
	hfSeenMethod = 1 << iota
	hfSeenScheme
	hfSeenAuthority
	hfSeenPath
	hfSeenProtocol
)

// requestFromFields validates a decoded request header section and builds the request
// (RFC 9114 sections 4.2, 4.3.1 and 4.4; RFC 9220 for :protocol). Every violation is
// a stream error of type H3_MESSAGE_ERROR (section 4.1.2).
//
// The request has Method, URL (from :path as net/http's servers parse it; for CONNECT
// the URL holds only the authority as Host), RequestURI, Proto "HTTP/3.0", Header
// (canonical keys, no pseudo-header fields, no Host), Host (:authority, else the host
// field) and ContentLength (-1 when there is no content-length). protocol is the
// :protocol of an extended CONNECT request, else "". The caller sets Body, the
// context, RemoteAddr and TLS.
func requestFromFields(fields []qpack.HeaderField, lim fieldLimits) (req *http.Request, protocol string, err error) {
	var method, scheme, authority, path string
	var seen uint8
	i := 0
	for ; i < len(fields); i++ {
		f := &fields[i]
		if f.Name == "" || f.Name[0] != ':' {
			break
		}
		var dst *string
		var bit uint8
		switch f.Name {
		case ":method":
			dst, bit = &method, hfSeenMethod
		case ":scheme":
			dst, bit = &scheme, hfSeenScheme
		case ":authority":
			dst, bit = &authority, hfSeenAuthority
		case ":path":
			dst, bit = &path, hfSeenPath
		case ":protocol":
			if !lim.enableConnectProtocol {
				// RFC 9220 section 3 (RFC 8441 section 4): :protocol is defined only
				// once the server sent SETTINGS_ENABLE_CONNECT_PROTOCOL.
				return nil, "", hfErr(":protocol pseudo-header field without SETTINGS_ENABLE_CONNECT_PROTOCOL")
			}
			dst, bit = &protocol, hfSeenProtocol
		case ":status":
			// RFC 9114 section 4.3: "pseudo-header fields defined for responses MUST
			// NOT appear in requests".
			return nil, "", hfErr("response pseudo-header field :status in a request")
		default:
			return nil, "", hfErr("unknown pseudo-header field %s in a request", hfQuote(f.Name))
		}
		if seen&bit != 0 {
			// RFC 9114 section 4.3.1: "exactly one value" for each.
			return nil, "", hfErr("duplicate %s pseudo-header field", f.Name)
		}
		seen |= bit
		*dst = f.Value
	}
	sec, e := hfParseRegular(fields[i:], hfRequest)
	if e != nil {
		return nil, "", e
	}

	if seen&hfSeenMethod == 0 {
		return nil, "", hfErr("missing :method pseudo-header field")
	}
	if !hfIsToken(method) {
		return nil, "", hfErr("invalid :method %s", hfQuote(method))
	}
	if sec.hasHost && !hfValidAuthority(sec.host, true) {
		return nil, "", hfErr("invalid host field %s", hfQuote(sec.host))
	}
	if seen&hfSeenAuthority != 0 && !hfValidAuthority(authority, true) {
		return nil, "", hfErr("invalid :authority %s", hfQuote(authority))
	}
	if seen&hfSeenAuthority != 0 && sec.hasHost && authority != sec.host {
		// RFC 9114 section 4.3.1: "If both fields are present, they MUST contain the
		// same value."
		return nil, "", hfErr(":authority %s and host field %s differ", hfQuote(authority), hfQuote(sec.host))
	}
	isConnect := method == http.MethodConnect

	req = &http.Request{
		Method:        method,
		Proto:         "HTTP/3.0",
		ProtoMajor:    3,
		Header:        sec.header,
		ContentLength: sec.contentLength,
	}

	if isConnect && seen&hfSeenProtocol == 0 {
		// RFC 9114 section 4.4: "The :scheme and :path pseudo-header fields are
		// omitted"; ":authority ... contains the host and port to connect to".
		if seen&hfSeenScheme != 0 {
			return nil, "", hfErr(":scheme pseudo-header field in a CONNECT request")
		}
		if seen&hfSeenPath != 0 {
			return nil, "", hfErr(":path pseudo-header field in a CONNECT request")
		}
		if seen&hfSeenAuthority == 0 || authority == "" {
			return nil, "", hfErr("CONNECT request without :authority")
		}
		if strings.IndexByte(authority, '@') >= 0 {
			return nil, "", hfErr("userinfo in the :authority of a CONNECT request")
		}
		req.URL = &url.URL{Host: authority}
		req.RequestURI = authority
		req.Host = authority
		return req, "", nil
	}

	if seen&hfSeenProtocol != 0 {
		// RFC 9220 section 3 (RFC 8441 section 4): :protocol goes with :method CONNECT,
		// and then :scheme and :path (and, here, :authority) must be present too.
		if !isConnect {
			return nil, "", hfErr(":protocol pseudo-header field in a %s request", hfQuote(method))
		}
		if !hfIsToken(protocol) {
			return nil, "", hfErr("invalid :protocol %s", hfQuote(protocol))
		}
		if seen&hfSeenAuthority == 0 {
			return nil, "", hfErr("extended CONNECT request without :authority")
		}
	}
	// RFC 9114 section 4.3.1: "All HTTP/3 requests MUST include exactly one value for
	// the :method, :scheme, and :path pseudo-header fields, unless the request is a
	// CONNECT request".
	if seen&hfSeenScheme == 0 {
		return nil, "", hfErr("missing :scheme pseudo-header field")
	}
	if seen&hfSeenPath == 0 {
		return nil, "", hfErr("missing :path pseudo-header field")
	}
	if !hfValidScheme(scheme) {
		return nil, "", hfErr("invalid :scheme %s", hfQuote(scheme))
	}
	if path == "" {
		return nil, "", hfErr("empty :path pseudo-header field")
	}
	if !hfValidPathChars(path) {
		return nil, "", hfErr("invalid :path %s", hfQuote(path))
	}
	host := authority
	if seen&hfSeenAuthority == 0 {
		host = sec.host
	}
	if hfAuthorityMandatory(scheme) {
		// RFC 9114 section 4.3.1: such a request "MUST contain either an :authority
		// pseudo-header field or a Host header field. If these fields are present,
		// they MUST NOT be empty." The authority "MUST NOT include the deprecated
		// userinfo subcomponent for URIs of scheme "http" or "https"".
		if seen&hfSeenAuthority == 0 && !sec.hasHost {
			return nil, "", hfErr("request without :authority or host field")
		}
		if (seen&hfSeenAuthority != 0 && authority == "") || (sec.hasHost && sec.host == "") {
			return nil, "", hfErr("empty :authority or host field")
		}
		if strings.IndexByte(host, '@') >= 0 {
			return nil, "", hfErr("userinfo in the authority of an %s URI", scheme)
		}
		// :path is path-absolute with an optional query, or "*" for OPTIONS
		// (RFC 9114 section 4.3.1, RFC 9110 section 7.1).
		if path[0] != '/' && (path != "*" || method != http.MethodOptions) {
			return nil, "", hfErr("invalid :path %s for an %s URI", hfQuote(path), scheme)
		}
	}

	u := hfFastRequestURI(path)
	if u == nil {
		var perr error
		if u, perr = url.ParseRequestURI(path); perr != nil {
			return nil, "", hfErr("invalid :path %s", hfQuote(path))
		}
	}
	req.URL = u
	req.RequestURI = path
	req.Host = host
	return req, protocol, nil
}

// hfFastRequestURI returns what url.ParseRequestURI(p) returns for a path made of
// characters that need no unescaping, and nil for any other p.
func hfFastRequestURI(p string) *url.URL {
	if p == "" || p[0] != '/' {
		return nil
	}
	q := -1
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '?' {
			q = i
			break
		}
		if !hfSimplePathChar[c] {
			return nil
		}
	}
	if q < 0 {
		return &url.URL{Path: p}
	}
	u := &url.URL{Path: p[:q], RawQuery: p[q+1:]}
	u.ForceQuery = u.RawQuery == ""
	return u
}

// responseFromFields validates a decoded response header section (RFC 9114 sections
// 4.2 and 4.3.2): exactly one :status, three digits from 100 to 599, and no other
// pseudo-header field. It returns the status, the header (canonical keys) and the
// content-length (-1 when absent). Violations are stream errors of type
// H3_MESSAGE_ERROR.
func responseFromFields(fields []qpack.HeaderField) (status int, header http.Header, contentLength int64, err error) {
	i := 0
	seen := false
	for ; i < len(fields); i++ {
		f := &fields[i]
		if f.Name == "" || f.Name[0] != ':' {
			break
		}
		switch f.Name {
		case ":status":
		case ":method", ":scheme", ":authority", ":path", ":protocol":
			return 0, nil, 0, hfErr("request pseudo-header field %s in a response", f.Name)
		default:
			return 0, nil, 0, hfErr("unknown pseudo-header field %s in a response", hfQuote(f.Name))
		}
		if seen {
			return 0, nil, 0, hfErr("duplicate :status pseudo-header field")
		}
		seen = true
		v := f.Value
		if len(v) != 3 || v[0] < '1' || v[0] > '5' || v[1] < '0' || v[1] > '9' || v[2] < '0' || v[2] > '9' {
			return 0, nil, 0, hfErr("invalid :status %s", hfQuote(v))
		}
		status = int(v[0]-'0')*100 + int(v[1]-'0')*10 + int(v[2]-'0')
		if status == http.StatusSwitchingProtocols {
			// RFC 9114 section 4.5: HTTP/3 does not support 101 (Switching Protocols).
			return 0, nil, 0, hfErr("status 101 (Switching Protocols) in HTTP/3")
		}
	}
	if !seen {
		return 0, nil, 0, hfErr("missing :status pseudo-header field")
	}
	sec, e := hfParseRegular(fields[i:], hfResponse)
	if e != nil {
		return 0, nil, 0, e
	}
	return status, sec.header, sec.contentLength, nil
}

// trailersFromFields validates a decoded trailer section: no pseudo-header fields
// (RFC 9114 section 4.3: "Pseudo-header fields MUST NOT appear in trailer sections")
// and the field rules of section 4.2. Violations are stream errors of type
// H3_MESSAGE_ERROR.
func trailersFromFields(fields []qpack.HeaderField) (http.Header, error) {
	sec, e := hfParseRegular(fields, hfTrailer)
	if e != nil {
		return nil, e
	}
	return sec.header, nil
}

// hfLowerName returns the HTTP/3 form of a header map key (RFC 9114 section 4.2:
// "Characters in field names MUST be converted to lowercase prior to their
// encoding"), and false when the key is not a valid field name. It allocates only for
// uncommon keys with uppercase letters.
func hfLowerName(k string) (string, bool) {
	if l, ok := hfCanonToLower[k]; ok {
		return l, true
	}
	if k == "" {
		return "", false
	}
	upper := false
	for i := 0; i < len(k); i++ {
		c := k[i]
		if hfNameChar[c] {
			continue
		}
		if 'A' <= c && c <= 'Z' {
			upper = true
			continue
		}
		return "", false
	}
	if !upper {
		return k, true
	}
	return strings.ToLower(k), true
}

// hfSendValue trims SP and HTAB around v, as net/http does when it writes headers, and
// reports whether the rest is a valid field value.
func hfSendValue(v string) (string, bool) {
	v = hfTrimOWS(v)
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= '\r' && (c == 0 || c == '\r' || c == '\n') {
			return v, false
		}
	}
	return v, true
}

// hfValidPseudoPath: a :path of path-absolute with query, or "*".
func hfValidPseudoPath(p string) bool {
	return (p != "" && p[0] == '/') || p == "*"
}

// appendRequestFields appends the header section of req: :method, :scheme,
// :authority and :path (RFC 9114 section 4.3.1); for CONNECT only :method and
// :authority (section 4.4); for extended CONNECT (protocol != "", RFC 9220) also
// :protocol. Then the header fields, lowercased, one field line per value, without
// Host (it went to :authority), connection-specific fields, Content-Length and Trailer
// (both written from req.ContentLength and req.Trailer), te unless it is "trailers",
// and a ":protocol" key (net/http's way to ask for extended CONNECT; its value is
// the protocol argument). content-length is sent when req.ContentLength > 0, or as 0 for POST,
// PUT and PATCH without a body; "accept-encoding: gzip" when addGzip. It fails, with
// dst unchanged, on an invalid header name or value, method, host or path.
func appendRequestFields(dst []qpack.HeaderField, req *http.Request, protocol string, addGzip bool) ([]qpack.HeaderField, error) {
	start := len(dst)
	if req.URL == nil {
		return dst, errors.New("http3: nil Request.URL")
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	if host == "" {
		return dst, errors.New("http3: no Host in request URL")
	}
	if !hfValidAuthority(host, false) {
		return dst, fmt.Errorf("http3: invalid Host %q", host)
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	if !hfIsToken(method) {
		return dst, fmt.Errorf("http3: invalid method %q", method)
	}
	isConnect := method == http.MethodConnect
	if protocol != "" {
		if !isConnect {
			return dst, fmt.Errorf("http3: :protocol %q with method %q, not CONNECT", protocol, method)
		}
		if !hfIsToken(protocol) {
			return dst, fmt.Errorf("http3: invalid :protocol %q", protocol)
		}
	}

	dst = slices.Grow(dst, 8+len(req.Header))
	dst = append(dst, qpack.HeaderField{Name: ":method", Value: method})
	if isConnect && protocol == "" {
		dst = append(dst, qpack.HeaderField{Name: ":authority", Value: host})
	} else {
		scheme := req.URL.Scheme
		if scheme == "" {
			scheme = "https"
		}
		if !hfValidScheme(scheme) {
			return dst[:start], fmt.Errorf("http3: invalid URL scheme %q", scheme)
		}
		path := req.URL.RequestURI()
		if !hfValidPseudoPath(path) {
			// An opaque URL such as "//host/path" comes back as "scheme://host/path".
			orig := path
			path = strings.TrimPrefix(path, req.URL.Scheme+"://"+host)
			if !hfValidPseudoPath(path) {
				return dst[:start], fmt.Errorf("http3: invalid request :path %q", orig)
			}
		}
		if !hfValidPathChars(path) || (path == "*" && method != http.MethodOptions) {
			return dst[:start], fmt.Errorf("http3: invalid request :path %q", path)
		}
		if protocol != "" {
			dst = append(dst, qpack.HeaderField{Name: ":protocol", Value: protocol})
		}
		dst = append(dst,
			qpack.HeaderField{Name: ":scheme", Value: scheme},
			qpack.HeaderField{Name: ":authority", Value: host},
			qpack.HeaderField{Name: ":path", Value: path})
	}

	for k, vv := range req.Header {
		if k == ":protocol" {
			// net/http's convention for extended CONNECT (as in golang.org/x/net/http2);
			// its value comes as the protocol argument.
			continue
		}
		name, ok := hfLowerName(k)
		if !ok {
			return dst[:start], fmt.Errorf("http3: invalid header field name %q", k)
		}
		switch name {
		case "host", "content-length", "trailer",
			"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
			continue
		case "te":
			for _, v := range vv {
				if hfEqualFold(hfTrimOWS(v), "trailers") {
					dst = append(dst, qpack.HeaderField{Name: "te", Value: "trailers"})
					break
				}
			}
			continue
		}
		for _, v := range vv {
			v, ok := hfSendValue(v)
			if !ok {
				return dst[:start], fmt.Errorf("http3: invalid header field value for %q", k)
			}
			dst = append(dst, qpack.HeaderField{Name: name, Value: v})
		}
	}

	if len(req.Trailer) > 0 {
		keys := make([]string, 0, len(req.Trailer))
		for k := range req.Trailer {
			name, ok := hfLowerName(k)
			if !ok || hfConnectionSpecific(name) || name == "te" || name == "trailer" ||
				name == "content-length" || name == "host" {
				return dst[:start], fmt.Errorf("http3: invalid Trailer key %q", k)
			}
			keys = append(keys, name)
		}
		slices.Sort(keys)
		dst = append(dst, qpack.HeaderField{Name: "trailer", Value: strings.Join(keys, ", ")})
	}

	if !isConnect {
		if req.ContentLength > 0 {
			dst = append(dst, qpack.HeaderField{Name: "content-length", Value: strconv.FormatInt(req.ContentLength, 10)})
		} else if req.ContentLength == 0 && (req.Body == nil || req.Body == http.NoBody) &&
			(method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch) {
			dst = append(dst, qpack.HeaderField{Name: "content-length", Value: "0"})
		}
	}
	if addGzip {
		dst = append(dst, qpack.HeaderField{Name: "accept-encoding", Value: "gzip"})
	}
	return dst, nil
}

// appendResponseFields appends a response header section: :status (RFC 9114 section
// 4.3.2), then the fields of h lowercased, one field line per value. Keys that are not
// valid field names (pseudo-header-looking keys included), keys with
// http.TrailerPrefix, connection-specific fields and te are skipped, and so are values
// with NUL, CR or LF, as net/http drops them; SP and HTAB around values are trimmed.
func appendResponseFields(dst []qpack.HeaderField, status int, h http.Header) []qpack.HeaderField {
	dst = slices.Grow(dst, 1+len(h))
	dst = append(dst, qpack.HeaderField{Name: ":status", Value: hfStatusString(status)})
	return hfAppendHeader(dst, h, hfResponse)
}

// appendTrailerFields appends a trailer section: the fields of h lowercased, skipping
// invalid names and values as appendResponseFields does, and the fields that may not
// be trailers (those net/http's httpguts.ValidTrailerHeader refuses; RFC 9110 section
// 6.5.1).
func appendTrailerFields(dst []qpack.HeaderField, h http.Header) []qpack.HeaderField {
	dst = slices.Grow(dst, len(h))
	return hfAppendHeader(dst, h, hfTrailer)
}

func hfAppendHeader(dst []qpack.HeaderField, h http.Header, kind hfKind) []qpack.HeaderField {
	for k, vv := range h {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			continue
		}
		name, ok := hfLowerName(k)
		if !ok || hfConnectionSpecific(name) || name == "te" {
			continue
		}
		if kind == hfTrailer && !hfTrailerAllowed(name) {
			continue
		}
		for _, v := range vv {
			if v, ok := hfSendValue(v); ok {
				dst = append(dst, qpack.HeaderField{Name: name, Value: v})
			}
		}
	}
	return dst
}

// hfTrailerAllowed reports the fields that may be sent as trailers: not those that
// frame, route, authenticate or describe the content (RFC 9110 section 6.5.1), the
// same list as net/http's.
func hfTrailerAllowed(lowerName string) bool {
	switch lowerName {
	case "authorization", "cache-control", "connection", "content-encoding",
		"content-length", "content-range", "content-type", "expect", "host",
		"keep-alive", "max-forwards", "pragma", "proxy-authenticate",
		"proxy-authorization", "proxy-connection", "range", "realm", "te", "trailer",
		"transfer-encoding", "upgrade", "www-authenticate":
		return false
	}
	return true
}
