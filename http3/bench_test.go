package http3

import (
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/h3wasi/h3wasi/quic"
)

// BenchmarkGet1K runs GETs of 1 KB, 16 at a time on one connection over UDP
// loopback, and reports the datagrams both sides send per request: on a path
// with no loss the ideal is one each way (the request, and the response with
// the acknowledgement).
func BenchmarkGet1K(b *testing.B) {
	var datagrams atomic.Int64
	tracer := func(ev quic.TraceEvent) {
		if ev.Kind == quic.TraceDatagramSent {
			datagrams.Add(1)
		}
	}
	body := testData(1024)
	ts := startServer(b, udpNet(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(body)
	}), func(s *Server, tr *Transport) {
		s.QUICConfig = &quic.Config{Tracer: tracer}
		tr.QUICConfig = &quic.Config{Tracer: tracer}
	})
	ts.get(b, "/") // connect
	datagrams.Store(0)
	b.ReportAllocs()
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
	b.ReportMetric(float64(datagrams.Load())/float64(b.N), "datagrams/req")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
