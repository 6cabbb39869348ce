package quic

import (
	"sync"
	"testing"
)

func TestTracerAndStreamSweep(t *testing.T) {
	nw := networks[1] // netsim: runs everywhere
	var mu sync.Mutex
	counts, withConn := map[TraceKind]int{}, map[TraceKind]int{}
	payloads := 0
	tracer := func(ev TraceEvent) {
		mu.Lock()
		counts[ev.Kind]++
		if ev.Conn != nil {
			withConn[ev.Kind]++
		}
		if len(ev.Payload) > 0 {
			payloads++
		}
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
	for _, k := range []TraceKind{TraceDatagramSent, TraceDatagramReceived, TracePacketSent, TracePacketReceived} {
		if counts[k] == 0 {
			t.Errorf("%v not traced: %v", k, counts)
		}
	}
	if withConn[TracePacketSent] != counts[TracePacketSent] {
		t.Errorf("%d of %d sent packets traced with their connection", withConn[TracePacketSent], counts[TracePacketSent])
	}
	if payloads == 0 {
		t.Errorf("no packet payloads traced")
	}
	// Finished streams do not pile up in the driver.
	p.st.mu.Lock()
	n := len(p.server.streams)
	p.st.mu.Unlock()
	if n > 128 {
		t.Errorf("server still tracks %d of %d finished streams", n, streams)
	}
}
