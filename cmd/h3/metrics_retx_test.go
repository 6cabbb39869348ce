package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/internal/quicwire"
	"github.com/h3wasi/h3wasi/internal/selfsigned"
	"github.com/h3wasi/h3wasi/netsim"
	"github.com/h3wasi/h3wasi/quic"
)

// TestMetricsRetransmitted feeds the tracer sent packets with hand-built
// payloads: the counter moves for each packet that re-sends stream or CRYPTO
// bytes (or a FIN), and only for those.
func TestMetricsRetransmitted(t *testing.T) {
	m := newServeMetrics(time.Now())
	c := new(quic.Conn)
	peer := netip.MustParseAddrPort("127.0.0.1:1234")
	data := bytes.Repeat([]byte{'x'}, 2000)
	ack := quicwire.AckFrame{Ranges: []quicwire.AckRange{{Largest: 3, Smallest: 1}}}.Append(nil)
	crypto := func(off, n int) []byte {
		return quicwire.CryptoFrame{Offset: uint64(off), Data: data[:n]}.Append(nil)
	}
	stream := func(id uint64, off, n int, fin bool) []byte {
		return quicwire.StreamFrame{StreamID: id, Offset: uint64(off), Data: data[:n], Fin: fin}.Append(nil)
	}
	reset := func(id uint64) []byte {
		return quicwire.ResetStreamFrame{StreamID: id, FinalSize: 5}.Append(nil)
	}
	last := func(f []byte) []byte { // a STREAM frame without its Length field
		g, _, err := quicwire.ParseStreamFrame(f)
		if err != nil {
			t.Fatal(err)
		}
		g.OmitLength = true
		return g.Append(nil)
	}
	m.trace(quic.TraceEvent{Kind: quic.TraceConnStarted, Server: true, Conn: c, Peer: peer})
	var pn uint64
	for _, step := range []struct {
		name       string
		packetType string
		frames     [][]byte
		resent     bool
	}{
		{"first Initial CRYPTO", "Initial", [][]byte{crypto(0, 100)}, false},
		{"next Initial CRYPTO after an ACK", "Initial", [][]byte{ack, crypto(100, 100)}, false},
		{"Handshake CRYPTO has its own offsets", "Handshake", [][]byte{crypto(0, 100)}, false},
		{"Initial CRYPTO again, padded", "Initial", [][]byte{ack, crypto(0, 100), make([]byte, 900)}, true},
		{"1-RTT CRYPTO has its own offsets", "1-RTT", [][]byte{crypto(0, 300)}, false},
		{"1-RTT CRYPTO again", "1-RTT", [][]byte{crypto(200, 100)}, true},
		{"ACK only", "1-RTT", [][]byte{ack}, false},
		{"new stream", "1-RTT", [][]byte{stream(0, 0, 1000, false)}, false},
		{"two streams, new data", "1-RTT", [][]byte{{0x01}, stream(0, 1000, 1000, false), last(stream(4, 0, 10, false))}, false},
		{"a range overlapping what was sent", "1-RTT", [][]byte{stream(0, 500, 1000, false)}, true},
		{"re-sent after new data, last frame", "1-RTT", [][]byte{stream(0, 2000, 10, false), last(stream(4, 0, 10, false))}, true},
		{"FIN ends a stream", "1-RTT", [][]byte{stream(4, 10, 10, true)}, false},
		{"FIN frame again", "1-RTT", [][]byte{stream(4, 10, 10, true)}, true},
		{"data of an ended stream", "1-RTT", [][]byte{stream(4, 0, 20, false)}, true},
		{"FIN-only frame", "1-RTT", [][]byte{stream(0, 2010, 0, true)}, false},
		{"FIN-only frame again", "1-RTT", [][]byte{stream(0, 2010, 0, true)}, true},
		{"server-initiated stream", "1-RTT", [][]byte{stream(3, 0, 50, false)}, false},
		{"stream before RESET_STREAM", "1-RTT", [][]byte{stream(8, 0, 5, false), reset(8)}, false},
		{"data of a reset stream", "1-RTT", [][]byte{stream(8, 0, 5, false)}, true},
		{"frames after an unknown type are not read", "1-RTT", [][]byte{{0x21}, stream(0, 0, 10, false)}, false},
		{"ended stream after the reset one", "1-RTT", [][]byte{stream(12, 0, 10, true)}, false},
		{"new stream after ended ones", "1-RTT", [][]byte{stream(16, 0, 10, false)}, false},
	} {
		before := m.packetsRetransmitted.Load()
		m.trace(quic.TraceEvent{Kind: quic.TracePacketSent, Server: true, Conn: c, Peer: peer, PacketType: step.packetType, PacketNumber: pn, Payload: bytes.Join(step.frames, nil)})
		pn++
		if got := m.packetsRetransmitted.Load() - before; got != map[bool]uint64{true: 1}[step.resent] {
			t.Errorf("%s: counter moved by %d; want resent=%v", step.name, got, step.resent)
		}
	}
	// A client's packets are not the server's.
	m.trace(quic.TraceEvent{Kind: quic.TracePacketSent, Server: false, Conn: c, Peer: peer, PacketType: "1-RTT", Payload: stream(0, 0, 10, false)})
	want := m.packetsRetransmitted.Load()
	if want != 8 {
		t.Errorf("retransmitted %d; want 8", want)
	}
	tr := m.retxConns[c]
	if tr == nil || len(tr.streams) != 2 { // 3 and 16 are open; 0, 4, 8 and 12 ended
		t.Fatalf("tracker %+v", tr)
	}
	var buf bytes.Buffer
	if err := m.writeTo(&buf); err != nil {
		t.Fatal(err)
	}
	if got := value(parseExposition(t, buf.String()), "h3_quic_packets_retransmitted_total"); got != float64(want) {
		t.Errorf("h3_quic_packets_retransmitted_total %v; want %d", got, want)
	}
	m.trace(quic.TraceEvent{Kind: quic.TraceConnClosed, Server: true, Conn: c, Peer: peer})
	if len(m.retxConns) != 0 {
		t.Errorf("closed connection's state kept: %d trackers", len(m.retxConns))
	}
}

// TestMetricsDoneWindow checks the set of ended streams: out of order, and
// sliding when a stream far above the lowest unfinished one ends.
func TestMetricsDoneWindow(t *testing.T) {
	var w doneWindow
	w.add(1)
	if w.has(0) || !w.has(1) || w.base != 0 {
		t.Fatalf("after 1: base %d, has(0) %v, has(1) %v", w.base, w.has(0), w.has(1))
	}
	w.add(0)
	if !w.has(0) || w.base != 2 {
		t.Fatalf("after 0: base %d", w.base)
	}
	w.add(5)
	w.add(2 + retxDoneWindow + 10) // slides: 2..12 now count as ended
	if w.base != 13 || !w.has(12) || w.has(13) || !w.has(2+retxDoneWindow+10) || w.has(2+retxDoneWindow+11) {
		t.Fatalf("after the slide: base %d", w.base)
	}
	w.add(10 * retxDoneWindow) // slides past the whole window
	if w.base != 9*retxDoneWindow+1 || w.has(9*retxDoneWindow+1) || !w.has(10*retxDoneWindow) {
		t.Fatalf("after the long slide: base %d", w.base)
	}
	for i := uint64(9*retxDoneWindow + 1); i < 10*retxDoneWindow; i++ {
		w.add(i)
	}
	if w.base != 10*retxDoneWindow+1 || w.bits != [retxDoneWindow / 64]uint64{} {
		t.Fatalf("all ended: base %d, bits %x", w.base, w.bits)
	}
}

// TestMetricsRetransmittedNetsim runs a QUIC server with the metrics tracer
// over a simulated network: with 10% loss each way, a 256 KB response is
// partly re-sent and the counter moves; without loss it stays (nearly) still.
func TestMetricsRetransmittedNetsim(t *testing.T) {
	for _, loss := range []float64{0.1, 0} {
		m := newServeMetrics(time.Now())
		n := netsim.NewRealtime(7)
		defer n.Close()
		sep, cep := n.MustListen("10.0.0.1:443"), n.MustListen("10.0.0.2:4000")
		link := netsim.LinkConfig{Delay: 2 * time.Millisecond, Loss: loss}
		n.SetPath(sep, cep, link, link)
		cert, pool, err := selfsigned.Fresh("retx")
		if err != nil {
			t.Fatal(err)
		}
		st, ct := &quic.Transport{Conn: sep}, &quic.Transport{Conn: cep}
		defer ct.Close()
		defer st.Close()
		ln, err := st.Listen(&tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"retx"}}, &quic.Config{Tracer: m.trace})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		body := bytes.Repeat([]byte("0123456789abcdef"), 16<<10)
		served := make(chan error, 1)
		go func() {
			sc, err := ln.Accept(ctx)
			if err == nil {
				var s *quic.Stream
				if s, err = sc.AcceptStream(ctx); err == nil {
					if _, err = io.ReadAll(s); err == nil {
						_, err = s.WriteAndClose(body)
					}
				}
			}
			served <- err
		}()
		cc, err := ct.Dial(ctx, sep.LocalAddr(), &tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: []string{"retx"}}, nil)
		if err != nil {
			t.Fatalf("loss %v: Dial: %v", loss, err)
		}
		s, err := cc.OpenStream()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.WriteAndClose([]byte("GET")); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(s)
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("loss %v: read %d of %d bytes: %v", loss, len(got), len(body), err)
		}
		if err := <-served; err != nil {
			t.Fatalf("loss %v: server: %v", loss, err)
		}
		sent, lost, retx := m.packetsSent.Load(), m.packetsLost.Load(), m.packetsRetransmitted.Load()
		t.Logf("loss %v: server sent %d packets, %d lost, %d retransmitted", loss, sent, lost, retx)
		if loss > 0 && (lost == 0 || retx == 0 || retx > sent) {
			t.Errorf("loss %v: sent %d, lost %d, retransmitted %d; want some of the lost data re-sent", loss, sent, lost, retx)
		}
		// Without loss only a probe timeout (a stall of the test's machine)
		// could re-send data: allow one or two.
		if loss == 0 && retx > 2 {
			t.Errorf("no loss: %d packets counted as retransmitted", retx)
		}
		cc.CloseWithError(0, "")
	}
}
