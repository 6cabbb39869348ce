package http3

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/h3wasi/h3wasi/internal/quicwire"
	"github.com/h3wasi/h3wasi/quic"
)

// temporary: classify packets of the Get1K pattern
func classifyPayload(p []byte) string {
	var ranges []quicwire.AckRange
	ack, streams, other := 0, 0, 0
	for len(p) > 0 {
		ft, _, err := quicwire.ParseFrameType(p)
		if err != nil {
			return "err"
		}
		var n int
		switch {
		case ft == quicwire.FrameTypePadding:
			_, n, err = quicwire.ParsePaddingFrame(p)
		case ft == quicwire.FrameTypeAck || ft == quicwire.FrameTypeAckECN:
			_, n, err = quicwire.ParseAckFrame(p, ranges)
			ack++
		case ft.IsStream():
			_, n, err = quicwire.ParseStreamFrame(p)
			streams++
		default:
			return "other"
		}
		if err != nil {
			return "err"
		}
		p = p[n:]
	}
	_ = other
	if streams == 0 {
		if ack > 0 {
			return "ackonly"
		}
		return "none"
	}
	s := fmt.Sprintf("s%d", min(streams, 9))
	if ack > 0 {
		s += "+ack"
	}
	return s
}

func BenchmarkZZClassify(b *testing.B) {
	var mu sync.Mutex
	counts := map[string]int{}
	var datagrams atomic.Int64
	tracer := func(ev quic.TraceEvent) {
		if ev.Kind == quic.TraceDatagramSent {
			datagrams.Add(1)
		}
		if ev.Kind != quic.TracePacketSent || ev.PacketType != "1-RTT" {
			return
		}
		k := classifyPayload(ev.Payload)
		side := "c:"
		if ev.Server {
			side = "s:"
		}
		mu.Lock()
		counts[side+k]++
		mu.Unlock()
	}
	body := testData(1024)
	ts := startServer(b, udpNet(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(body)
	}), func(s *Server, tr *Transport) {
		s.QUICConfig = &quic.Config{Tracer: tracer}
		tr.QUICConfig = &quic.Config{Tracer: tracer}
	})
	ts.get(b, "/")
	mu.Lock()
	clear(counts)
	mu.Unlock()
	datagrams.Store(0)
	b.ResetTimer()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				resp, err := ts.client.Get(ts.url + "/")
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	mu.Lock()
	var keys []string
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.ReportMetric(float64(counts[k])/float64(b.N), k)
	}
	mu.Unlock()
	b.ReportMetric(float64(datagrams.Load())/float64(b.N), "dg/req")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
