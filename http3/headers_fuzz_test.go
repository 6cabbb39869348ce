package http3

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/h3wasi/h3wasi/qpack"
)

// hfFuzzFields splits fuzz input into a field list: one field per line, the name up
// to the first ':' that is not its first byte, the value after it.
func hfFuzzFields(data string) []qpack.HeaderField {
	var fs []qpack.HeaderField
	for line := range strings.SplitSeq(data, "\n") {
		i := -1
		if len(line) > 0 {
			if j := strings.IndexByte(line[1:], ':'); j >= 0 {
				i = j + 1
			}
		}
		if i < 0 {
			fs = append(fs, qpack.HeaderField{Name: line})
			continue
		}
		fs = append(fs, qpack.HeaderField{Name: line[:i], Value: line[i+1:]})
	}
	return fs
}

func hfFuzzSeeds() []string {
	return []string{
		":method:GET\n:scheme:https\n:authority:example.com\n:path:/\nuser-agent:curl/8.0\naccept:*/*",
		":method:POST\n:scheme:https\n:authority:example.com:8443\n:path:/upload?x=1\ncontent-type:application/json\ncontent-length:42",
		":method:GET\n:scheme:http\n:path:/a%20b\nhost:example.com\ncookie:a=1\ncookie:b=2\nte:trailers",
		":method:CONNECT\n:authority:example.com:443",
		":method:CONNECT\n:protocol:websocket\n:scheme:https\n:authority:example.com\n:path:/chat\nsec-websocket-version:13",
		":method:OPTIONS\n:scheme:https\n:authority:example.com\n:path:*",
		":method:GET\n:scheme:https\n:authority:a\n:path:/\ncontent-length:5, 5",
		":method:GET\n:scheme:https\n:authority:a\n:path:/\ncontent-length:5, 6",
		":status:200\ncontent-type:text/html\ncontent-length:12",
		"grpc-status:0\ngrpc-message:",
		":method:GET\nAccept:x\n:path:/",
	}
}

func FuzzRequestFromFields(f *testing.F) {
	for _, s := range hfFuzzSeeds() {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, data string, enableConnect bool) {
		fields := hfFuzzFields(data)
		lim := fieldLimits{enableConnectProtocol: enableConnect}

		// The other readers must not panic either, and fail only with H3_MESSAGE_ERROR.
		if _, h, cl, err := responseFromFields(fields); err != nil {
			hfFuzzCheckErr(t, err)
		} else if h == nil || cl < -1 {
			t.Fatalf("response header %v, content-length %d", h, cl)
		}
		if h, err := trailersFromFields(fields); err != nil {
			hfFuzzCheckErr(t, err)
		} else if h == nil {
			t.Fatal("nil trailer header")
		}

		req, protocol, err := requestFromFields(fields, lim)
		if err != nil {
			hfFuzzCheckErr(t, err)
			return
		}
		if req.Method == "" || req.URL == nil || req.Header == nil || req.ContentLength < -1 {
			t.Fatalf("incomplete request %+v", req)
		}
		if protocol != "" && (!enableConnect || req.Method != "CONNECT") {
			t.Fatalf("protocol %q with method %q, setting %v", protocol, req.Method, enableConnect)
		}
		for k, vv := range req.Header {
			if k == "Host" || strings.HasPrefix(k, ":") || k != http.CanonicalHeaderKey(k) {
				t.Fatalf("header key %q", k)
			}
			for _, v := range vv {
				if strings.ContainsAny(v, "\x00\r\n") {
					t.Fatalf("header value %q", v)
				}
			}
		}
		var path, scheme string
		for _, f := range fields {
			switch f.Name {
			case ":path":
				path = f.Value
			case ":scheme":
				scheme = f.Value
			}
		}
		if req.Method == "CONNECT" && protocol == "" {
			if req.URL.Host != req.Host || req.RequestURI != req.Host {
				t.Fatalf("CONNECT URL %#v RequestURI %q Host %q", req.URL, req.RequestURI, req.Host)
			}
			return
		}
		// The URL is what url.ParseRequestURI makes of :path, fast path or not.
		want, werr := url.ParseRequestURI(path)
		if werr != nil || *want != *req.URL || req.RequestURI != path {
			t.Fatalf(":path %q: URL %#v, url.ParseRequestURI %#v, %v", path, req.URL, want, werr)
		}

		// What we accept, we can send, and read back the same.
		if !hfAuthorityMandatory(scheme) {
			return // we send only what http and https requests need
		}
		out := req.Clone(req.Context())
		out.URL.Scheme = strings.ToLower(scheme)
		fields2, err := appendRequestFields(nil, out, protocol, false)
		if err != nil {
			t.Fatalf("appendRequestFields of an accepted request: %v", err)
		}
		req2, protocol2, err := requestFromFields(fields2, lim)
		if err != nil {
			t.Fatalf("requestFromFields(%v) of a sent request: %v", fields2, err)
		}
		if req2.Method != req.Method || req2.Host != req.Host || protocol2 != protocol ||
			req2.URL.Path != req.URL.Path || req2.URL.RawQuery != req.URL.RawQuery {
			t.Fatalf("round trip changed the request: %q %q %q %#v -> %q %q %q %#v",
				req.Method, req.Host, protocol, req.URL, req2.Method, req2.Host, protocol2, req2.URL)
		}
	})
}

func hfFuzzCheckErr(t *testing.T, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Code != ErrCodeMessageError || e.IsConnectionError() || e.Reason == "" {
		t.Fatalf("error %v: want a stream error H3_MESSAGE_ERROR", err)
	}
}
