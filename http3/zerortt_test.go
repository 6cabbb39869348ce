package http3

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/netsim"
	"github.com/h3wasi/h3wasi/quic"
)

// TestZeroRTT resumes a session and sends an idempotent request in 0-RTT data:
// the handler sees it marked early; an unsafe request waits for the handshake.
func TestZeroRTT(t *testing.T) {
	// A path with delay: the request is written long before the handshake can
	// complete, so it rides in 0-RTT data (on loopback the handshake may win).
	nw := simNet("10ms", netsim.LinkConfig{Delay: 10 * time.Millisecond}, 3)
	ts := startServer(t, nw, TooEarly(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "early=%v", IsEarlyData(r))
	})), func(s *Server, tr *Transport) {
		s.QUICConfig = &quic.Config{Allow0RTT: true}
		tr.Allow0RTT = true
		tr.TLSClientConfig.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	})
	if _, body := ts.get(t, "/first"); body != "early=false" {
		t.Fatalf("first request: %q", body)
	}
	// The session ticket arrives after the handshake; a second request on the
	// same connection makes sure it was processed before the connection closes.
	ts.get(t, "/ticket")
	ts.tr.CloseIdleConnections()

	resp, err := ts.client.Get(ts.url + "/resumed")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "early=true" || !resp.TLS.DidResume {
		t.Errorf("resumed GET: %q, resumed %v", b, resp.TLS.DidResume)
	}
	ts.tr.CloseIdleConnections()

	resp, err = ts.client.Post(ts.url+"/post", "text/plain", strings.NewReader("unsafe"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "early=false" {
		t.Errorf("resumed POST: %d %q (an unsafe request must wait for the handshake)", resp.StatusCode, b)
	}
}
