package quic

import (
	"sync"
	"testing"
)

func TestTracerAndStreamSweep(t *testing.T) {
	nw := networks[1] // netsim: runs everywhere
	var mu sync.Mutex
	counts := map[TraceKind]int{}
	tracer := func(ev TraceEvent) {
		mu.Lock()
		counts[ev.Kind]++
		mu.Unlock()
	}
	p := newTestPair(t, nw, &Config{Tracer: tracer}, nil)
	go echoServer(p.server)
	ctx := testCtx(t)
	const streams = 300
	for i := range streams {
		if err := echoOnce(ctx, p.client, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	p.client.CloseWithError(0, "")
	<-p.server.Context().Done()
	mu.Lock()
	defer mu.Unlock()
	for _, k := range []TraceKind{TraceConnStarted, TraceHandshakeDone, TraceConnClosed} {
		if counts[k] != 1 {
			t.Errorf("%v traced %d times, want 1", k, counts[k])
		}
	}
	if counts[TraceStreamAccepted] != streams {
		t.Errorf("%d streams accepted, want %d", counts[TraceStreamAccepted], streams)
	}
	if counts[TraceDatagramSent] == 0 || counts[TraceDatagramReceived] == 0 {
		t.Errorf("datagrams not traced: %v", counts)
	}
	// Finished streams do not pile up in the driver.
	p.st.mu.Lock()
	n := len(p.server.streams)
	p.st.mu.Unlock()
	if n > 128 {
		t.Errorf("server still tracks %d of %d finished streams", n, streams)
	}
}
