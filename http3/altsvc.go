package http3

import (
	"net/http"
	"strconv"
	"time"
)

// AltSvc returns an Alt-Svc header value (RFC 7838) that advertises HTTP/3 on
// UDP port port of the same host for maxAge (24 hours if zero), e.g.
// `h3=":443"; ma=86400`.
func AltSvc(port int, maxAge time.Duration) string {
	if maxAge <= 0 {
		maxAge = 24 * time.Hour
	}
	return `h3=":` + strconv.Itoa(port) + `"; ma=` + strconv.FormatInt(int64(maxAge/time.Second), 10)
}

// AdvertiseHTTP3 wraps the handler of an HTTP/1.1 or HTTP/2 server on TCP so that
// each response advertises HTTP/3 on UDP port port with an Alt-Svc header: a
// browser or a client that knows HTTP/3 then moves over (RFC 9114 section 3.1.1).
// Requests that came over HTTP/3 already are passed through unchanged.
func AdvertiseHTTP3(h http.Handler, port int) http.Handler {
	value := AltSvc(port, 0)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor < 3 {
			w.Header().Set("Alt-Svc", value)
		}
		h.ServeHTTP(w, r)
	})
}
