package http3

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/h3wasi/h3wasi/qpack"
)

// hfF builds a field list from name, value pairs.
func hfF(kv ...string) []qpack.HeaderField {
	if len(kv)%2 != 0 {
		panic("hfF: odd number of arguments")
	}
	fs := make([]qpack.HeaderField, 0, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		fs = append(fs, qpack.HeaderField{Name: kv[i], Value: kv[i+1]})
	}
	return fs
}

// hfGET is a minimal valid request, extended by the cases.
func hfGET(extra ...string) []qpack.HeaderField {
	return hfF(append([]string{":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", "/"}, extra...)...)
}

// hfWantMessageError checks that err is a local stream error H3_MESSAGE_ERROR with a
// reason.
func hfWantMessageError(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("no error, want H3_MESSAGE_ERROR")
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	if e.Code != ErrCodeMessageError || e.Remote || e.IsConnectionError() || e.Reason == "" {
		t.Fatalf("error %v: want a local stream error H3_MESSAGE_ERROR with a reason", err)
	}
	if !errors.Is(err, ErrCodeMessageError) {
		t.Fatalf("errors.Is(%v, ErrCodeMessageError) is false", err)
	}
}

func TestRequestFromFieldsErrors(t *testing.T) {
	on := fieldLimits{enableConnectProtocol: true}
	tests := []struct {
		name   string
		fields []qpack.HeaderField
		lim    fieldLimits
	}{
		{"empty section", nil, on},
		{"pseudo after regular", hfF(":method", "GET", ":scheme", "https", "accept", "*/*", ":authority", "example.com", ":path", "/"), on},
		{"duplicate :path", hfGET(":path", "/x"), on},
		{"duplicate :method", hfF(":method", "GET", ":method", "GET", ":scheme", "https", ":authority", "a", ":path", "/"), on},
		{"duplicate :scheme", hfF(":method", "GET", ":scheme", "https", ":scheme", "https", ":authority", "a", ":path", "/"), on},
		{"duplicate :authority", hfF(":method", "GET", ":scheme", "https", ":authority", "a", ":authority", "a", ":path", "/"), on},
		{"duplicate :protocol", hfF(":method", "CONNECT", ":protocol", "websocket", ":protocol", "websocket", ":scheme", "https", ":authority", "a", ":path", "/"), on},
		{"missing :method", hfF(":scheme", "https", ":authority", "a", ":path", "/"), on},
		{"missing :scheme", hfF(":method", "GET", ":authority", "a", ":path", "/"), on},
		{"missing :path", hfF(":method", "GET", ":scheme", "https", ":authority", "a"), on},
		{"empty :path", hfF(":method", "GET", ":scheme", "https", ":authority", "a", ":path", ""), on},
		{"empty :path other scheme", hfF(":method", "GET", ":scheme", "foo", ":path", ""), on},
		{"relative :path", hfF(":method", "GET", ":scheme", "https", ":authority", "a", ":path", "index.html"), on},
		{"asterisk :path with GET", hfF(":method", "GET", ":scheme", "https", ":authority", "a", ":path", "*"), on},
		{"space in :path", hfF(":method", "GET", ":scheme", "https", ":authority", "a", ":path", "/a b"), on},
		{"CTL in :path", hfF(":method", "GET", ":scheme", "https", ":authority", "a", ":path", "/a\x01"), on},
		{"bad escape in :path", hfF(":method", "GET", ":scheme", "https", ":authority", "a", ":path", "/%zz"), on},
		{"unknown :foo", hfF(":method", "GET", ":foo", "bar", ":scheme", "https", ":authority", "a", ":path", "/"), on},
		{"unknown pseudo", hfF(":method", "GET", ":scheme", "https", ":authority", "a", ":path", "/", ":foo", "bar"), on},
		{":status in request", hfF(":status", "200", ":method", "GET", ":scheme", "https", ":authority", "a", ":path", "/"), on},
		{"lone colon name", hfF(":", "x", ":method", "GET", ":scheme", "https", ":authority", "a", ":path", "/"), on},
		{"invalid :method", hfF(":method", "GE T", ":scheme", "https", ":authority", "a", ":path", "/"), on},
		{"empty :method", hfF(":method", "", ":scheme", "https", ":authority", "a", ":path", "/"), on},
		{"invalid :scheme", hfF(":method", "GET", ":scheme", "ht tp", ":authority", "a", ":path", "/"), on},
		{"scheme starting with digit", hfF(":method", "GET", ":scheme", "1http", ":authority", "a", ":path", "/"), on},
		{"no authority, no host", hfF(":method", "GET", ":scheme", "https", ":path", "/"), on},
		{"no authority, no host, http", hfF(":method", "GET", ":scheme", "http", ":path", "/"), on},
		{"empty :authority", hfF(":method", "GET", ":scheme", "https", ":authority", "", ":path", "/"), on},
		{"empty host", hfF(":method", "GET", ":scheme", "https", ":path", "/", "host", ""), on},
		{"authority and host differ", hfGET("host", "other.example"), on},
		{"two host fields", hfF(":method", "GET", ":scheme", "https", ":path", "/", "host", "a", "host", "a"), on},
		{"userinfo in :authority", hfF(":method", "GET", ":scheme", "https", ":authority", "user@a", ":path", "/"), on},
		{"userinfo in host", hfF(":method", "GET", ":scheme", "http", ":path", "/", "host", "user:pw@a"), on},
		{"space in :authority", hfF(":method", "GET", ":scheme", "https", ":authority", "a b", ":path", "/"), on},
		{"slash in :authority", hfF(":method", "GET", ":scheme", "https", ":authority", "a/b", ":path", "/"), on},
		{"uppercase name", hfGET("Accept", "*/*"), on},
		{"uppercase later in name", hfGET("x-Foo", "1"), on},
		{"space in name", hfGET("bad name", "1"), on},
		{"colon in name", hfGET("a:b", "1"), on},
		{"empty name", hfGET("", "1"), on},
		{"non-ASCII name", hfGET("caf\xc3\xa9", "1"), on},
		{"NUL in value", hfGET("x", "a\x00b"), on},
		{"CR in value", hfGET("x", "a\rb"), on},
		{"LF in value", hfGET("x", "a\nb"), on},
		{"leading SP in value", hfGET("x", " a"), on},
		{"trailing HTAB in value", hfGET("x", "a\t"), on},
		{"only SP value", hfGET("x", " "), on},
		{"NUL in pseudo value", hfF(":method", "GET", ":scheme", "https", ":authority", "a\x00", ":path", "/"), on},
		{"connection", hfGET("connection", "close"), on},
		{"keep-alive", hfGET("keep-alive", "timeout=5"), on},
		{"proxy-connection", hfGET("proxy-connection", "keep-alive"), on},
		{"transfer-encoding", hfGET("transfer-encoding", "chunked"), on},
		{"upgrade", hfGET("upgrade", "websocket"), on},
		{"te: gzip", hfGET("te", "gzip"), on},
		{"te: trailers, deflate", hfGET("te", "trailers, deflate"), on},
		{"te empty", hfGET("te", ""), on},
		{"CONNECT with :scheme", hfF(":method", "CONNECT", ":scheme", "https", ":authority", "a:443"), on},
		{"CONNECT with :path", hfF(":method", "CONNECT", ":authority", "a:443", ":path", "/"), on},
		{"CONNECT without :authority", hfF(":method", "CONNECT"), on},
		{"CONNECT with host only", hfF(":method", "CONNECT", "host", "a:443"), on},
		{"CONNECT with empty :authority", hfF(":method", "CONNECT", ":authority", ""), on},
		{"CONNECT with userinfo", hfF(":method", "CONNECT", ":authority", "u@a:443"), on},
		{"CONNECT authority and host differ", hfF(":method", "CONNECT", ":authority", "a:443", "host", "b:443"), on},
		{"extended CONNECT without the setting", hfF(":method", "CONNECT", ":protocol", "websocket", ":scheme", "https", ":authority", "a", ":path", "/chat"), fieldLimits{}},
		{"extended CONNECT without :path", hfF(":method", "CONNECT", ":protocol", "websocket", ":scheme", "https", ":authority", "a"), on},
		{"extended CONNECT without :scheme", hfF(":method", "CONNECT", ":protocol", "websocket", ":authority", "a", ":path", "/chat"), on},
		{"extended CONNECT without :authority", hfF(":method", "CONNECT", ":protocol", "websocket", ":scheme", "https", ":path", "/chat"), on},
		{"extended CONNECT with host only", hfF(":method", "CONNECT", ":protocol", "websocket", ":scheme", "https", ":path", "/chat", "host", "a"), on},
		{":protocol with GET", hfF(":method", "GET", ":protocol", "websocket", ":scheme", "https", ":authority", "a", ":path", "/chat"), on},
		{"empty :protocol", hfF(":method", "CONNECT", ":protocol", "", ":scheme", "https", ":authority", "a", ":path", "/chat"), on},
		{"content-length 5, 6", hfGET("content-length", "5, 6"), on},
		{"content-length lines differ", hfGET("content-length", "5", "content-length", "6"), on},
		{"content-length negative", hfGET("content-length", "-1"), on},
		{"content-length plus", hfGET("content-length", "+5"), on},
		{"content-length not a number", hfGET("content-length", "abc"), on},
		{"content-length empty", hfGET("content-length", ""), on},
		{"content-length empty element", hfGET("content-length", "5,"), on},
		{"content-length empty middle", hfGET("content-length", "5,,5"), on},
		{"content-length hex", hfGET("content-length", "0x5"), on},
		{"content-length overflow", hfGET("content-length", "9223372036854775808"), on},
		{"content-length huge", hfGET("content-length", "99999999999999999999999"), on},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, proto, err := requestFromFields(tc.fields, tc.lim)
			if req != nil || proto != "" {
				t.Errorf("got request %+v, protocol %q with the error", req, proto)
			}
			hfWantMessageError(t, err)
		})
	}
}

func TestRequestFromFieldsValid(t *testing.T) {
	on := fieldLimits{enableConnectProtocol: true}
	type want struct {
		method, host, requestURI, protocol string
		url                                url.URL
		header                             http.Header
		contentLength                      int64
	}
	tests := []struct {
		name   string
		fields []qpack.HeaderField
		lim    fieldLimits
		want   want
	}{
		{
			"GET", hfGET("accept", "*/*", "user-agent", "test/1", "x-custom-thing", "a", "x-custom-thing", "b"), fieldLimits{},
			want{method: "GET", host: "example.com", requestURI: "/", url: url.URL{Path: "/"}, contentLength: -1,
				header: http.Header{"Accept": {"*/*"}, "User-Agent": {"test/1"}, "X-Custom-Thing": {"a", "b"}}},
		},
		{
			"GET with query", hfF(":method", "GET", ":scheme", "https", ":authority", "example.com:8443", ":path", "/search?q=a+b&x=%20"), fieldLimits{},
			want{method: "GET", host: "example.com:8443", requestURI: "/search?q=a+b&x=%20", url: url.URL{Path: "/search", RawQuery: "q=a+b&x=%20"}, contentLength: -1, header: http.Header{}},
		},
		{
			"escaped path", hfF(":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", "/a%2Fb/c%20d"), fieldLimits{},
			want{method: "GET", host: "example.com", requestURI: "/a%2Fb/c%20d", url: url.URL{Path: "/a/b/c d", RawPath: "/a%2Fb/c%20d"}, contentLength: -1, header: http.Header{}},
		},
		{
			"POST with content-length", hfGET("content-type", "text/plain", "content-length", "42"), fieldLimits{},
			want{method: "GET", host: "example.com", requestURI: "/", url: url.URL{Path: "/"}, contentLength: 42,
				header: http.Header{"Content-Type": {"text/plain"}, "Content-Length": {"42"}}},
		},
		{
			"content-length 0", hfF(":method", "POST", ":scheme", "https", ":authority", "a", ":path", "/", "content-length", "0"), fieldLimits{},
			want{method: "POST", host: "a", requestURI: "/", url: url.URL{Path: "/"}, contentLength: 0, header: http.Header{"Content-Length": {"0"}}},
		},
		{
			"content-length 5, 5", hfGET("content-length", "5, 5"), fieldLimits{},
			want{method: "GET", host: "example.com", requestURI: "/", url: url.URL{Path: "/"}, contentLength: 5, header: http.Header{"Content-Length": {"5"}}},
		},
		{
			"content-length twice", hfGET("content-length", "7", "content-length", "7,7"), fieldLimits{},
			want{method: "GET", host: "example.com", requestURI: "/", url: url.URL{Path: "/"}, contentLength: 7, header: http.Header{"Content-Length": {"7"}}},
		},
		{
			"content-length leading zeros", hfGET("content-length", "007"), fieldLimits{},
			want{method: "GET", host: "example.com", requestURI: "/", url: url.URL{Path: "/"}, contentLength: 7, header: http.Header{"Content-Length": {"7"}}},
		},
		{
			"content-length max", hfGET("content-length", "9223372036854775807"), fieldLimits{},
			want{method: "GET", host: "example.com", requestURI: "/", url: url.URL{Path: "/"}, contentLength: 1<<63 - 1, header: http.Header{"Content-Length": {"9223372036854775807"}}},
		},
		{
			"cookie concatenation", hfGET("cookie", "a=1", "accept", "*/*", "cookie", "b=2; c=3", "cookie", "d=4"), fieldLimits{},
			want{method: "GET", host: "example.com", requestURI: "/", url: url.URL{Path: "/"}, contentLength: -1,
				header: http.Header{"Cookie": {"a=1; b=2; c=3; d=4"}, "Accept": {"*/*"}}},
		},
		{
			"single cookie", hfGET("cookie", "a=1"), fieldLimits{},
			want{method: "GET", host: "example.com", requestURI: "/", url: url.URL{Path: "/"}, contentLength: -1, header: http.Header{"Cookie": {"a=1"}}},
		},
		{
			"te: trailers", hfGET("te", "trailers"), fieldLimits{},
			want{method: "GET", host: "example.com", requestURI: "/", url: url.URL{Path: "/"}, contentLength: -1, header: http.Header{"Te": {"trailers"}}},
		},
		{
			"empty value and inner spaces", hfGET("x-empty", "", "x-spaces", "a \t b"), fieldLimits{},
			want{method: "GET", host: "example.com", requestURI: "/", url: url.URL{Path: "/"}, contentLength: -1, header: http.Header{"X-Empty": {""}, "X-Spaces": {"a \t b"}}},
		},
		{
			"host instead of :authority", hfF(":method", "GET", ":scheme", "http", ":path", "/x", "host", "example.com:80"), fieldLimits{},
			want{method: "GET", host: "example.com:80", requestURI: "/x", url: url.URL{Path: "/x"}, contentLength: -1, header: http.Header{}},
		},
		{
			"host equal to :authority", hfGET("host", "example.com"), fieldLimits{},
			want{method: "GET", host: "example.com", requestURI: "/", url: url.URL{Path: "/"}, contentLength: -1, header: http.Header{}},
		},
		{
			"IPv6 authority", hfF(":method", "GET", ":scheme", "https", ":authority", "[::1]:443", ":path", "/"), fieldLimits{},
			want{method: "GET", host: "[::1]:443", requestURI: "/", url: url.URL{Path: "/"}, contentLength: -1, header: http.Header{}},
		},
		{
			"uppercase scheme", hfF(":method", "GET", ":scheme", "HTTPS", ":authority", "a", ":path", "/"), fieldLimits{},
			want{method: "GET", host: "a", requestURI: "/", url: url.URL{Path: "/"}, contentLength: -1, header: http.Header{}},
		},
		{
			"other scheme without authority", hfF(":method", "GET", ":scheme", "foo", ":path", "/x"), fieldLimits{},
			want{method: "GET", host: "", requestURI: "/x", url: url.URL{Path: "/x"}, contentLength: -1, header: http.Header{}},
		},
		{
			"OPTIONS *", hfF(":method", "OPTIONS", ":scheme", "https", ":authority", "example.com", ":path", "*"), fieldLimits{},
			want{method: "OPTIONS", host: "example.com", requestURI: "*", url: url.URL{Path: "*"}, contentLength: -1, header: http.Header{}},
		},
		{
			"extension method", hfF(":method", "PROPFIND", ":scheme", "https", ":authority", "a", ":path", "/d/"), fieldLimits{},
			want{method: "PROPFIND", host: "a", requestURI: "/d/", url: url.URL{Path: "/d/"}, contentLength: -1, header: http.Header{}},
		},
		{
			"CONNECT", hfF(":method", "CONNECT", ":authority", "example.com:443", "proxy-authorization", "Basic x"), fieldLimits{},
			want{method: "CONNECT", host: "example.com:443", requestURI: "example.com:443", url: url.URL{Host: "example.com:443"}, contentLength: -1,
				header: http.Header{"Proxy-Authorization": {"Basic x"}}},
		},
		{
			"CONNECT with equal host", hfF(":method", "CONNECT", ":authority", "example.com:443", "host", "example.com:443"), on,
			want{method: "CONNECT", host: "example.com:443", requestURI: "example.com:443", url: url.URL{Host: "example.com:443"}, contentLength: -1, header: http.Header{}},
		},
		{
			"extended CONNECT", hfF(":method", "CONNECT", ":protocol", "websocket", ":scheme", "https", ":authority", "example.com", ":path", "/chat?room=1", "sec-websocket-version", "13"), on,
			want{method: "CONNECT", host: "example.com", requestURI: "/chat?room=1", protocol: "websocket", url: url.URL{Path: "/chat", RawQuery: "room=1"}, contentLength: -1,
				header: http.Header{"Sec-Websocket-Version": {"13"}}},
		},
		{
			"extended CONNECT connect-udp", hfF(":method", "CONNECT", ":protocol", "connect-udp", ":scheme", "https", ":authority", "proxy", ":path", "/.well-known/masque/udp/192.0.2.6/443/", "capsule-protocol", "?1"), on,
			want{method: "CONNECT", host: "proxy", requestURI: "/.well-known/masque/udp/192.0.2.6/443/", protocol: "connect-udp", url: url.URL{Path: "/.well-known/masque/udp/192.0.2.6/443/"}, contentLength: -1,
				header: http.Header{"Capsule-Protocol": {"?1"}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, proto, err := requestFromFields(tc.fields, tc.lim)
			if err != nil {
				t.Fatalf("requestFromFields: %v", err)
			}
			w := tc.want
			if req.Method != w.method || req.Host != w.host || req.RequestURI != w.requestURI || proto != w.protocol {
				t.Errorf("method %q host %q requestURI %q protocol %q, want %q %q %q %q",
					req.Method, req.Host, req.RequestURI, proto, w.method, w.host, w.requestURI, w.protocol)
			}
			if *req.URL != w.url {
				t.Errorf("URL %#v, want %#v", *req.URL, w.url)
			}
			if !reflect.DeepEqual(req.Header, w.header) {
				t.Errorf("header %v, want %v", req.Header, w.header)
			}
			if req.ContentLength != w.contentLength {
				t.Errorf("ContentLength %d, want %d", req.ContentLength, w.contentLength)
			}
			if req.Proto != "HTTP/3.0" || req.ProtoMajor != 3 || req.ProtoMinor != 0 || !req.ProtoAtLeast(3, 0) {
				t.Errorf("Proto %q %d.%d", req.Proto, req.ProtoMajor, req.ProtoMinor)
			}
			if req.Trailer != nil || req.Body != nil {
				t.Errorf("Trailer %v Body %v, want nil", req.Trailer, req.Body)
			}
			if req.Header == nil {
				t.Error("nil Header")
			}
			for k := range req.Header {
				if k == "Host" || strings.HasPrefix(k, ":") || k != http.CanonicalHeaderKey(k) {
					t.Errorf("header key %q", k)
				}
			}
		})
	}
}

// TestRequestFromFieldsURLLikeNetHTTP checks that the URL is what url.ParseRequestURI
// makes of :path, whether or not the fast path is taken.
func TestRequestFromFieldsURLLikeNetHTTP(t *testing.T) {
	paths := []string{
		"/", "/index.html", "/a/b/c", "//double", "/a?", "/a??", "/a?b?", "/a?q=1&r=2",
		"/a%20b", "/a%2fb", "/a+b", "/a:b@c;d=e,f$g&h", "/~user/._-", "/a!b", "/a'b(c)*",
		"/caf\xc3\xa9", "/a#frag", "/a?b#c", "/%41", "/a[b]", "/a|b", "/a\"b", "/a{b}", "/a^b",
		"/a\\b", "/a`b", "/?", "/??", "/.well-known/masque/udp/192.0.2.6/443/",
	}
	for _, p := range paths {
		req, _, err := requestFromFields(hfF(":method", "GET", ":scheme", "https", ":authority", "a", ":path", p), fieldLimits{})
		want, werr := url.ParseRequestURI(p)
		if (err != nil) != (werr != nil) {
			t.Errorf("%q: error %v, url.ParseRequestURI error %v", p, err, werr)
			continue
		}
		if err != nil {
			continue
		}
		if *req.URL != *want {
			t.Errorf("%q: URL %#v, want %#v", p, *req.URL, *want)
		}
		if fast := hfFastRequestURI(p); fast != nil && *fast != *want {
			t.Errorf("%q: fast URL %#v, want %#v", p, *fast, *want)
		}
	}
}

func TestResponseFromFields(t *testing.T) {
	status, h, cl, err := responseFromFields(hfF(":status", "200", "content-type", "text/html", "content-length", "12", "set-cookie", "a=1", "set-cookie", "b=2", "x-unknown-name", "v"))
	if err != nil {
		t.Fatal(err)
	}
	want := http.Header{"Content-Type": {"text/html"}, "Content-Length": {"12"}, "Set-Cookie": {"a=1", "b=2"}, "X-Unknown-Name": {"v"}}
	if status != 200 || cl != 12 || !reflect.DeepEqual(h, want) {
		t.Errorf("got %d %v %d, want 200 %v 12", status, h, cl, want)
	}

	for _, tc := range []struct {
		s    string
		code int
	}{{"100", 100}, {"103", 103}, {"204", 204}, {"404", 404}, {"599", 599}} {
		status, h, cl, err := responseFromFields(hfF(":status", tc.s))
		if err != nil || status != tc.code || cl != -1 || h == nil || len(h) != 0 {
			t.Errorf(":status %q: got %d %v %d %v", tc.s, status, h, cl, err)
		}
	}
	if _, _, cl, err := responseFromFields(hfF(":status", "304", "content-length", "0")); err != nil || cl != 0 {
		t.Errorf("content-length 0: %d %v", cl, err)
	}
	if _, h, _, err := responseFromFields(hfF(":status", "200", "host", "a", "cookie", "a", "cookie", "b")); err != nil ||
		h.Get("Host") != "a" || !reflect.DeepEqual(h["Cookie"], []string{"a; b"}) {
		t.Errorf("host and cookies in a response: %v %v", h, err)
	}

	bad := map[string][]qpack.HeaderField{
		"empty":                  nil,
		"missing :status":        hfF("content-type", "text/html"),
		"duplicate :status":      hfF(":status", "200", ":status", "200"),
		"status 99":              hfF(":status", "99"),
		"status 600":             hfF(":status", "600"),
		"status 2000":            hfF(":status", "2000"),
		"status 099":             hfF(":status", "099"),
		"status abc":             hfF(":status", "abc"),
		"status 20x":             hfF(":status", "20x"),
		"status empty":           hfF(":status", ""),
		"status with space":      hfF(":status", " 200"),
		"status 101":             hfF(":status", "101"),
		":path in response":      hfF(":status", "200", ":path", "/"),
		":method in response":    hfF(":method", "GET", ":status", "200"),
		"unknown pseudo":         hfF(":status", "200", ":foo", "x"),
		"pseudo after regular":   hfF("content-type", "x", ":status", "200"),
		"uppercase name":         hfF(":status", "200", "Content-Type", "x"),
		"invalid name":           hfF(":status", "200", "a b", "x"),
		"invalid value":          hfF(":status", "200", "a", "x\ny"),
		"trailing space":         hfF(":status", "200", "a", "x "),
		"connection":             hfF(":status", "200", "connection", "close"),
		"transfer-encoding":      hfF(":status", "200", "transfer-encoding", "chunked"),
		"keep-alive":             hfF(":status", "200", "keep-alive", "1"),
		"upgrade":                hfF(":status", "200", "upgrade", "h2c"),
		"proxy-connection":       hfF(":status", "200", "proxy-connection", "close"),
		"te in response":         hfF(":status", "200", "te", "trailers"),
		"content-length differ":  hfF(":status", "200", "content-length", "1", "content-length", "2"),
		"content-length 5, 6":    hfF(":status", "200", "content-length", "5, 6"),
		"content-length invalid": hfF(":status", "200", "content-length", "x"),
	}
	for name, fields := range bad {
		t.Run(name, func(t *testing.T) {
			status, h, _, err := responseFromFields(fields)
			if status != 0 || h != nil {
				t.Errorf("got %d %v with the error", status, h)
			}
			hfWantMessageError(t, err)
		})
	}
}

func TestTrailersFromFields(t *testing.T) {
	h, err := trailersFromFields(hfF("grpc-status", "0", "grpc-message", "", "x-checksum", "abc", "x-checksum", "def", "content-length", "not checked"))
	if err != nil {
		t.Fatal(err)
	}
	want := http.Header{"Grpc-Status": {"0"}, "Grpc-Message": {""}, "X-Checksum": {"abc", "def"}, "Content-Length": {"not checked"}}
	if !reflect.DeepEqual(h, want) {
		t.Errorf("got %v, want %v", h, want)
	}
	if h, err := trailersFromFields(nil); err != nil || h == nil || len(h) != 0 {
		t.Errorf("empty trailers: %v %v", h, err)
	}
	bad := map[string][]qpack.HeaderField{
		":status":           hfF(":status", "200"),
		":path":             hfF(":path", "/"),
		"pseudo after":      hfF("a", "b", ":method", "GET"),
		"uppercase":         hfF("Grpc-Status", "0"),
		"invalid name":      hfF("a b", "0"),
		"NUL value":         hfF("a", "\x00"),
		"leading space":     hfF("a", " b"),
		"connection":        hfF("connection", "close"),
		"transfer-encoding": hfF("transfer-encoding", "chunked"),
		"te":                hfF("te", "trailers"),
	}
	for name, fields := range bad {
		t.Run(name, func(t *testing.T) {
			h, err := trailersFromFields(fields)
			if h != nil {
				t.Errorf("got %v with the error", h)
			}
			hfWantMessageError(t, err)
		})
	}
}

// hfSortRegular sorts the regular fields after the pseudo-header fields, which come
// out of a map in random order.
func hfSortRegular(fs []qpack.HeaderField) []qpack.HeaderField {
	i := slices.IndexFunc(fs, func(f qpack.HeaderField) bool { return !strings.HasPrefix(f.Name, ":") })
	if i >= 0 {
		slices.SortStableFunc(fs[i:], func(a, b qpack.HeaderField) int { return strings.Compare(a.Name, b.Name) })
	}
	return fs
}

func hfNewRequest(t *testing.T, method, target string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestAppendRequestFields(t *testing.T) {
	get := hfNewRequest(t, "GET", "https://example.com/a/b?q=1", nil)
	get.Header.Set("Accept", "*/*")
	get.Header.Set("User-Agent", "test")
	get.Header.Add("X-Multi", "1")
	get.Header.Add("X-Multi", " 2\t")
	get.Header.Set("Host", "ignored.example")
	get.Header.Set("Connection", "keep-alive")
	get.Header.Set("Keep-Alive", "timeout=5")
	get.Header.Set("Proxy-Connection", "keep-alive")
	get.Header.Set("Transfer-Encoding", "chunked")
	get.Header.Set("Upgrade", "websocket")
	get.Header.Set("Content-Length", "99")
	get.Header.Set("Te", "trailers")
	get.Header["lowercase-key"] = []string{"v"}
	get.Header["X-CamelCASE"] = []string{"w"}

	post := hfNewRequest(t, "POST", "https://example.com:8443/upload", nil)
	post.Host = "override.example"
	postBody := hfNewRequest(t, "POST", "https://example.com/", strings.NewReader("hello"))
	postUnknown := hfNewRequest(t, "PUT", "https://example.com/", io.NopCloser(strings.NewReader("hello")))
	connect := hfNewRequest(t, "CONNECT", "https://proxy.example:443", nil)
	connect.Host = "target.example:443"
	options := &http.Request{Method: "OPTIONS", URL: &url.URL{Scheme: "https", Host: "example.com", Path: "*"}, Header: http.Header{}}
	opaque := &http.Request{Method: "GET", URL: &url.URL{Scheme: "https", Opaque: "//example.com/a%2Fb", Host: "example.com"}, Header: http.Header{}}
	httpScheme := hfNewRequest(t, "GET", "http://example.com", nil)
	trailers := hfNewRequest(t, "POST", "https://example.com/t", strings.NewReader("x"))
	trailers.Trailer = http.Header{"X-Sum": nil, "Grpc-Status": nil}
	extConnect := hfNewRequest(t, "CONNECT", "https://example.com/chat", nil)
	extConnect.Header[":protocol"] = []string{"websocket"}
	teGzip := hfNewRequest(t, "GET", "https://example.com/", nil)
	teGzip.Header.Set("Te", "gzip")

	tests := []struct {
		name     string
		req      *http.Request
		protocol string
		gzip     bool
		want     []qpack.HeaderField
	}{
		{"GET", get, "", true, hfF(":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", "/a/b?q=1",
			"accept", "*/*", "accept-encoding", "gzip", "lowercase-key", "v", "te", "trailers", "user-agent", "test", "x-camelcase", "w", "x-multi", "1", "x-multi", "2")},
		{"POST without body", post, "", false, hfF(":method", "POST", ":scheme", "https", ":authority", "override.example", ":path", "/upload", "content-length", "0")},
		{"POST with body", postBody, "", false, hfF(":method", "POST", ":scheme", "https", ":authority", "example.com", ":path", "/", "content-length", "5")},
		{"PUT of unknown length", postUnknown, "", false, hfF(":method", "PUT", ":scheme", "https", ":authority", "example.com", ":path", "/")},
		{"CONNECT", connect, "", false, hfF(":method", "CONNECT", ":authority", "target.example:443")},
		{"extended CONNECT", extConnect, "websocket", false,
			hfF(":method", "CONNECT", ":protocol", "websocket", ":scheme", "https", ":authority", "example.com", ":path", "/chat")},
		{"OPTIONS *", options, "", false, hfF(":method", "OPTIONS", ":scheme", "https", ":authority", "example.com", ":path", "*")},
		{"opaque URL", opaque, "", false, hfF(":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", "/a%2Fb")},
		{"http scheme, empty path", httpScheme, "", false, hfF(":method", "GET", ":scheme", "http", ":authority", "example.com", ":path", "/")},
		{"trailers", trailers, "", false, hfF(":method", "POST", ":scheme", "https", ":authority", "example.com", ":path", "/t",
			"content-length", "1", "trailer", "grpc-status, x-sum")},
		{"te: gzip skipped", teGzip, "", false, hfF(":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", "/")},
		{"empty method", &http.Request{URL: &url.URL{Scheme: "https", Host: "a", Path: "/"}}, "", false,
			hfF(":method", "GET", ":scheme", "https", ":authority", "a", ":path", "/")},
		{"no scheme", &http.Request{Method: "GET", Host: "a", URL: &url.URL{Path: "/x"}}, "", false,
			hfF(":method", "GET", ":scheme", "https", ":authority", "a", ":path", "/x")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prefix := hfF("keep", "me")
			got, err := appendRequestFields(slices.Clone(prefix), tc.req, tc.protocol, tc.gzip)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got[:1], prefix) {
				t.Fatalf("dst prefix lost: %v", got)
			}
			got = hfSortRegular(got[1:])
			want := hfSortRegular(slices.Clone(tc.want))
			if !slices.Equal(got, want) {
				t.Errorf("got  %v\nwant %v", got, want)
			}
			for _, f := range got {
				if f.Sensitive {
					t.Errorf("field %q marked sensitive", f.Name)
				}
			}
		})
	}
}

func TestAppendRequestFieldsErrors(t *testing.T) {
	badName := hfNewRequest(t, "GET", "https://example.com/", nil)
	badName.Header["Bad Name"] = []string{"x"}
	badValue := hfNewRequest(t, "GET", "https://example.com/", nil)
	badValue.Header.Set("X-Bad", "a\r\nInjected: 1")
	pseudo := hfNewRequest(t, "GET", "https://example.com/", nil)
	pseudo.Header[":path"] = []string{"/other"}
	noHost := &http.Request{Method: "GET", URL: &url.URL{Path: "/"}}
	badHost := hfNewRequest(t, "GET", "https://example.com/", nil)
	badHost.Host = "a b"
	userinfo := hfNewRequest(t, "GET", "https://example.com/", nil)
	userinfo.Host = "user@example.com"
	badMethod := hfNewRequest(t, "GET", "https://example.com/", nil)
	badMethod.Method = "G T"
	badPath := &http.Request{Method: "GET", URL: &url.URL{Scheme: "https", Host: "a", Opaque: "no-slash"}}
	star := &http.Request{Method: "GET", URL: &url.URL{Scheme: "https", Host: "a", Path: "*"}}
	badTrailer := hfNewRequest(t, "POST", "https://example.com/", strings.NewReader("x"))
	badTrailer.Trailer = http.Header{"Content-Length": nil}

	tests := []struct {
		name     string
		req      *http.Request
		protocol string
		msg      string
	}{
		{"bad name", badName, "", `http3: invalid header field name "Bad Name"`},
		{"bad value", badValue, "", `http3: invalid header field value for "X-Bad"`},
		{"pseudo key", pseudo, "", `http3: invalid header field name ":path"`},
		{"no host", noHost, "", "http3: no Host in request URL"},
		{"nil URL", &http.Request{Method: "GET"}, "", "http3: nil Request.URL"},
		{"bad host", badHost, "", `http3: invalid Host "a b"`},
		{"userinfo host", userinfo, "", `http3: invalid Host "user@example.com"`},
		{"bad method", badMethod, "", `http3: invalid method "G T"`},
		{"bad path", badPath, "", `http3: invalid request :path "no-slash"`},
		{"asterisk with GET", star, "", `http3: invalid request :path "*"`},
		{"protocol without CONNECT", hfNewRequest(t, "GET", "https://example.com/", nil), "websocket", `http3: :protocol "websocket" with method "GET", not CONNECT`},
		{"bad protocol", hfNewRequest(t, "CONNECT", "https://example.com/", nil), "web socket", `http3: invalid :protocol "web socket"`},
		{"bad trailer key", badTrailer, "", `http3: invalid Trailer key "Content-Length"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prefix := hfF("keep", "me")
			got, err := appendRequestFields(slices.Clone(prefix), tc.req, tc.protocol, false)
			if err == nil || err.Error() != tc.msg {
				t.Fatalf("error %v, want %q", err, tc.msg)
			}
			if !slices.Equal(got, prefix) {
				t.Errorf("dst changed on error: %v", got)
			}
		})
	}
}

// TestRequestFieldsRoundTrip sends requests through appendRequestFields and reads them
// back with requestFromFields.
func TestRequestFieldsRoundTrip(t *testing.T) {
	type rt struct {
		name     string
		req      *http.Request
		protocol string
	}
	mk := func(method, target string, body io.Reader, hdr http.Header) *http.Request {
		r := hfNewRequest(t, method, target, body)
		for k, vv := range hdr {
			r.Header[k] = vv
		}
		return r
	}
	tests := []rt{
		{"GET", mk("GET", "https://example.com/", nil, http.Header{"Accept": {"text/html"}, "Accept-Language": {"en", "fr"}}), ""},
		{"GET query", mk("GET", "https://example.com:4433/p/a%20th?x=1&y=%2F", nil, nil), ""},
		{"POST", mk("POST", "https://example.com/submit", strings.NewReader("abc"), http.Header{"Content-Type": {"text/plain"}}), ""},
		{"POST empty", mk("POST", "https://example.com/submit", nil, nil), ""},
		{"DELETE", mk("DELETE", "https://example.com/item/7", nil, http.Header{"Authorization": {"Bearer t"}}), ""},
		{"cookies", mk("GET", "https://example.com/", nil, http.Header{"Cookie": {"a=1; b=2"}}), ""},
		{"te", mk("GET", "https://example.com/", nil, http.Header{"Te": {"trailers"}}), ""},
		{"http", mk("GET", "http://example.com/x", nil, nil), ""},
		{"IPv6", mk("GET", "https://[2001:db8::1]:443/", nil, nil), ""},
		{"CONNECT", mk("CONNECT", "https://example.com:443", nil, http.Header{"Proxy-Authorization": {"Basic x"}}), ""},
		{"extended CONNECT", mk("CONNECT", "https://example.com/ws?a=b", nil, http.Header{"Sec-Websocket-Version": {"13"}}), "websocket"},
		{"OPTIONS *", &http.Request{Method: "OPTIONS", URL: &url.URL{Scheme: "https", Host: "example.com", Path: "*"}, Header: http.Header{}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fields, err := appendRequestFields(nil, tc.req, tc.protocol, false)
			if err != nil {
				t.Fatal(err)
			}
			got, proto, err := requestFromFields(fields, fieldLimits{enableConnectProtocol: true})
			if err != nil {
				t.Fatalf("requestFromFields(%v): %v", fields, err)
			}
			in := tc.req
			if got.Method != in.Method || got.Host != in.URL.Host || proto != tc.protocol {
				t.Errorf("method %q host %q protocol %q, want %q %q %q", got.Method, got.Host, proto, in.Method, in.URL.Host, tc.protocol)
			}
			if in.Method == "CONNECT" && tc.protocol == "" {
				if got.URL.Host != in.URL.Host || got.RequestURI != in.URL.Host {
					t.Errorf("CONNECT URL %v RequestURI %q", got.URL, got.RequestURI)
				}
			} else if got.URL.RequestURI() != in.URL.RequestURI() || got.RequestURI != in.URL.RequestURI() || got.URL.Path != in.URL.Path || got.URL.RawQuery != in.URL.RawQuery {
				t.Errorf("URL %#v RequestURI %q, want %q", got.URL, got.RequestURI, in.URL.RequestURI())
			}
			wantCL := in.ContentLength
			if wantCL == 0 && in.Method != "POST" {
				wantCL = -1 // not sent
			}
			if got.ContentLength != wantCL {
				t.Errorf("ContentLength %d, want %d", got.ContentLength, wantCL)
			}
			wantHeader := in.Header.Clone()
			if wantHeader == nil {
				wantHeader = http.Header{}
			}
			if wantCL >= 0 {
				wantHeader.Set("Content-Length", strconv.FormatInt(wantCL, 10))
			}
			if !reflect.DeepEqual(got.Header, wantHeader) {
				t.Errorf("header %v, want %v", got.Header, wantHeader)
			}
		})
	}
}

func TestAppendResponseFields(t *testing.T) {
	h := http.Header{
		"Content-Type":        {"text/html; charset=utf-8"},
		"Content-Length":      {"12"},
		"Set-Cookie":          {"a=1", "b=2"},
		"X-Mixed-CASE":        {"x"},
		"x-lower":             {"  trimmed\t"},
		"Connection":          {"close"},
		"Keep-Alive":          {"1"},
		"Transfer-Encoding":   {"chunked"},
		"Upgrade":             {"h2c"},
		"Proxy-Connection":    {"close"},
		"Te":                  {"trailers"},
		"Trailer:X-Late":      {"1"},
		":status":             {"500"},
		"Bad Name":            {"x"},
		"X-Bad-Value":         {"ok", "a\nb", "c\x00", "d\r"},
		"Trailer":             {"X-Late"},
		http.TrailerPrefix:    {"x"},
		"Strict-Transport-Sx": {"y"},
	}
	got := appendResponseFields(hfF("keep", "me"), 200, h)
	want := hfF("keep", "me", ":status", "200",
		"content-length", "12", "content-type", "text/html; charset=utf-8", "set-cookie", "a=1", "set-cookie", "b=2",
		"strict-transport-sx", "y", "trailer", "X-Late", "x-bad-value", "ok", "x-lower", "trimmed", "x-mixed-case", "x")
	if got = hfSortRegular(got); !slices.Equal(got, hfSortRegular(want)) {
		t.Errorf("got  %v\nwant %v", got, want)
	}

	for _, tc := range []struct {
		code int
		want string
	}{{100, "100"}, {200, "200"}, {404, "404"}, {599, "599"}, {600, "600"}, {99, "99"}, {1000, "1000"}} {
		if got := appendResponseFields(nil, tc.code, nil); len(got) != 1 || got[0] != (qpack.HeaderField{Name: ":status", Value: tc.want}) {
			t.Errorf("status %d: %v", tc.code, got)
		}
	}

	// Round trip.
	h2 := http.Header{"Content-Type": {"application/json"}, "Content-Length": {"3"}, "Vary": {"Accept", "Origin"}, "X-Request-Id": {"abc"}}
	status, back, cl, err := responseFromFields(appendResponseFields(nil, 201, h2))
	if err != nil || status != 201 || cl != 3 || !reflect.DeepEqual(back, h2) {
		t.Errorf("round trip: %d %v %d %v", status, back, cl, err)
	}
}

func TestAppendTrailerFields(t *testing.T) {
	h := http.Header{
		"Grpc-Status":       {"0"},
		"X-Checksum":        {"abc"},
		"Content-Length":    {"1"},
		"Content-Type":      {"x"},
		"Host":              {"a"},
		"Trailer":           {"x"},
		"Te":                {"trailers"},
		"Connection":        {"close"},
		"Transfer-Encoding": {"chunked"},
		"Authorization":     {"x"},
		":path":             {"/"},
		"Bad Name":          {"x"},
		"X-Bad":             {"a\nb"},
	}
	got := hfSortRegular(appendTrailerFields(nil, h))
	want := hfF("grpc-status", "0", "x-checksum", "abc")
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	back, err := trailersFromFields(got)
	if err != nil || !reflect.DeepEqual(back, http.Header{"Grpc-Status": {"0"}, "X-Checksum": {"abc"}}) {
		t.Errorf("round trip: %v %v", back, err)
	}
}

// TestHeadersCommonNames checks the lookup tables against net/http's canonical form.
func TestHeadersCommonNames(t *testing.T) {
	for _, c := range hfCommonHeaders {
		if http.CanonicalHeaderKey(c) != c {
			t.Errorf("%q is not canonical (%q)", c, http.CanonicalHeaderKey(c))
		}
		l := strings.ToLower(c)
		if got, ok := hfLowerName(c); !ok || got != l {
			t.Errorf("hfLowerName(%q) = %q, %v", c, got, ok)
		}
		if got := hfCanonical(l); got != c {
			t.Errorf("hfCanonical(%q) = %q", l, got)
		}
	}
	for _, tc := range []struct{ in, want string }{{"X-Foo", "x-foo"}, {"x-foo", "x-foo"}, {"X-FOO_bar", "x-foo_bar"}, {"A", "a"}} {
		if got, ok := hfLowerName(tc.in); !ok || got != tc.want {
			t.Errorf("hfLowerName(%q) = %q, %v", tc.in, got, ok)
		}
	}
	for _, bad := range []string{"", "a b", ":path", "a:b", "caf\xc3\xa9", "a\x00", http.TrailerPrefix + "X"} {
		if got, ok := hfLowerName(bad); ok {
			t.Errorf("hfLowerName(%q) = %q, true", bad, got)
		}
	}
	for _, l := range []string{"x-foo", "a", "x-foo_bar", "accept"} {
		if got := hfCanonical(l); got != http.CanonicalHeaderKey(l) {
			t.Errorf("hfCanonical(%q) = %q", l, got)
		}
	}
}

func TestHeadersAllocs(t *testing.T) {
	h := http.Header{
		"Content-Type":   {"text/html"},
		"Content-Length": {"1234"},
		"Date":           {"Mon, 02 Jan 2006 15:04:05 GMT"},
		"Server":         {"h3wasi"},
		"Cache-Control":  {"no-cache"},
	}
	dst := make([]qpack.HeaderField, 0, 16)
	if n := testing.AllocsPerRun(100, func() { dst = appendResponseFields(dst[:0], 200, h) }); n != 0 {
		t.Errorf("appendResponseFields: %v allocations, want 0", n)
	}
	req := hfNewRequest(t, "GET", "https://example.com/index.html", nil)
	req.Header.Set("Accept", "*/*")
	req.Header.Set("User-Agent", "test")
	if n := testing.AllocsPerRun(100, func() { dst, _ = appendRequestFields(dst[:0], req, "", true) }); n != 0 {
		t.Errorf("appendRequestFields: %v allocations, want 0", n)
	}
	fields := hfBenchRequest()
	// The request, its URL, the header map (4 for more than 8 keys), the value array
	// and the joined cookies.
	if n := testing.AllocsPerRun(100, func() { _, _, _ = requestFromFields(fields, fieldLimits{}) }); n > 8 {
		t.Errorf("requestFromFields: %v allocations, want at most 8", n)
	}
}

func hfBenchRequest() []qpack.HeaderField {
	return hfF(
		":method", "GET", ":scheme", "https", ":authority", "www.example.com", ":path", "/static/app.js?v=3",
		"user-agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
		"accept", "*/*", "accept-language", "en-US,en;q=0.5", "accept-encoding", "gzip, deflate, br, zstd",
		"referer", "https://www.example.com/", "sec-fetch-dest", "script", "sec-fetch-mode", "no-cors",
		"sec-fetch-site", "same-origin", "cookie", "session=abc123", "cookie", "theme=dark", "priority", "u=2",
		"te", "trailers",
	)
}

func BenchmarkRequestFromFields(b *testing.B) {
	fields := hfBenchRequest()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := requestFromFields(fields, fieldLimits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendResponseFields(b *testing.B) {
	h := http.Header{
		"Content-Type":   {"text/html; charset=utf-8"},
		"Content-Length": {"1234"},
		"Date":           {"Mon, 02 Jan 2006 15:04:05 GMT"},
		"Server":         {"h3wasi"},
		"Cache-Control":  {"max-age=3600"},
		"Etag":           {`"abc"`},
		"Vary":           {"Accept-Encoding"},
	}
	dst := make([]qpack.HeaderField, 0, 16)
	b.ReportAllocs()
	for b.Loop() {
		dst = appendResponseFields(dst[:0], 200, h)
	}
}

func BenchmarkAppendRequestFields(b *testing.B) {
	req, _ := http.NewRequest("GET", "https://www.example.com/static/app.js?v=3", nil)
	req.Header.Set("User-Agent", "Mozilla/5.0")
	req.Header.Set("Accept", "*/*")
	req.Header.Set("Accept-Language", "en-US,en;q=0.5")
	dst := make([]qpack.HeaderField, 0, 16)
	b.ReportAllocs()
	for b.Loop() {
		dst, _ = appendRequestFields(dst[:0], req, "", true)
	}
}
