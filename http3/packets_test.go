package http3

import (
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/h3wasi/h3wasi/internal/quicwire"
	"github.com/h3wasi/h3wasi/quic"
)

// streamIDsIn returns the IDs of the STREAM frames of a 1-RTT packet payload.
func streamIDsIn(p []byte) []uint64 {
	var ids []uint64
	for len(p) > 0 {
		ft, _, err := quicwire.ParseFrameType(p)
		if err != nil {
			return ids
		}
		var n int
		switch {
		case ft == quicwire.FrameTypePadding:
			n = 1
		case ft == quicwire.FrameTypePing:
			n = 1
		case ft == quicwire.FrameTypeAck || ft == quicwire.FrameTypeAckECN:
			_, n, err = quicwire.ParseAckFrame(p, nil)
		case ft.IsStream():
			var f quicwire.StreamFrame
			f, n, err = quicwire.ParseStreamFrame(p)
			ids = append(ids, f.StreamID)
		default:
			return ids // the frames after one we do not parse are not needed here
		}
		if err != nil || n <= 0 {
			return ids
		}
		p = p[n:]
	}
	return ids
}

// TestSmallResponseOnePacket: a small response (HEADERS, a body and the end of
// the stream) leaves the server in one packet, and so does a GET.
func TestSmallResponseOnePacket(t *testing.T) {
	var mu sync.Mutex
	packets := map[string]map[uint64]int{"client": {}, "server": {}} // bidi stream -> packets
	tracer := func(side string) func(quic.TraceEvent) {
		return func(ev quic.TraceEvent) {
			if ev.Kind != quic.TracePacketSent || ev.PacketType != "1-RTT" {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, id := range streamIDsIn(ev.Payload) {
				if id&2 == 0 {
					packets[side][id]++
				}
			}
		}
	}
	ts := startServer(t, udpNet(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(testData(1000))
	}), func(s *Server, tr *Transport) {
		s.QUICConfig = &quic.Config{Tracer: tracer("server")}
		tr.QUICConfig = &quic.Config{Tracer: tracer("client")}
	})
	for range 3 {
		resp, err := ts.client.Get(ts.url + "/")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	for side, m := range packets {
		if len(m) != 3 {
			t.Errorf("%s: request streams %v, want 3", side, m)
		}
		for id, n := range m {
			if n != 1 {
				t.Errorf("%s sent stream %d in %d packets, want 1", side, id, n)
			}
		}
	}
}
