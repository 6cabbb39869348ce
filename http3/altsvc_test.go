package http3

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestAdvertiseHTTP3(t *testing.T) {
	h := AdvertiseHTTP3(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), 8443)
	for _, tt := range []struct {
		major int
		want  string
	}{{1, `h3=":8443"; ma=86400`}, {2, `h3=":8443"; ma=86400`}, {3, ""}} {
		r := httptest.NewRequest("GET", "/", nil)
		r.ProtoMajor = tt.major
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if got := w.Header().Get("Alt-Svc"); got != tt.want {
			t.Errorf("HTTP/%d: Alt-Svc %q, want %q", tt.major, got, tt.want)
		}
	}
	if got := AltSvc(443, time.Hour); got != `h3=":443"; ma=3600` {
		t.Errorf("AltSvc: %q", got)
	}
}
