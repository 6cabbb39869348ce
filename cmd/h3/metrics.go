package main

import (
	"bufio"
	"context"
	"io"
	"math"
	"net/http"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/h3wasi/h3wasi/internal/quicwire"
	"github.com/h3wasi/h3wasi/quic"
)

// serveMetrics collects what h3 serve exposes at /metrics, in the Prometheus
// text exposition format (version 0.0.4), written by hand below. Request
// counts and body bytes come from the access-log middleware; connections, UDP
// bytes, packets (sent, lost, retransmitted) and RTT samples from
// quic.Config.Tracer; handshake kinds from
// each connection's ConnectionState once its handshake completed.
type serveMetrics struct {
	start time.Time

	mu       sync.Mutex
	requests map[requestKey]uint64

	requestBytes, responseBytes atomic.Uint64 // HTTP bodies: in, out
	udpIn, udpOut               atomic.Uint64 // UDP payload bytes (QUIC datagrams)
	connsOpen                   atomic.Int64
	connsTotal                  atomic.Uint64
	handshakes                  [3]atomic.Uint64 // by handshakeKind
	packetsSent, packetsLost    atomic.Uint64
	packetsRetransmitted        atomic.Uint64

	duration *histogram // request durations, seconds
	rtt      *histogram // RTT samples, seconds

	// rttConns is the tracer's per-connection state for RTT samples, by the
	// peer's address: quic reports the packets a server receives while it
	// routes their datagram, without the Conn (TraceEvent.Conn is nil), so the
	// peer is what ties them to the packets sent. (Two connections of one
	// client socket would share a tracker; a sample then needs a packet number
	// of one to match the other's.) It is used only from the tracer, which
	// quic calls with its transport lock held, but a Server may have several
	// transports, hence the lock.
	rttMu    sync.Mutex
	rttConns map[netip.AddrPort]*rttTracker

	// retxConns is the tracer's per-connection state for retransmissions:
	// how far each stream and each CRYPTO space has been sent. Sent packets
	// always come with their Conn, so it keys the state, which goes when the
	// connection closes.
	retxMu    sync.Mutex
	retxConns map[*quic.Conn]*retxTracker
}

type requestKey struct{ method, class string }

// Handshake kinds, exclusive: a 0-RTT handshake is also a resumption.
const (
	handshakeFull = iota
	handshakeResumed
	handshake0RTT
)

var handshakeKinds = [3]string{"full", "resumed", "0rtt"}

func newServeMetrics(start time.Time) *serveMetrics {
	return &serveMetrics{
		start:     start,
		requests:  make(map[requestKey]uint64),
		duration:  newHistogram(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
		rtt:       newHistogram(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1),
		rttConns:  make(map[netip.AddrPort]*rttTracker),
		retxConns: make(map[*quic.Conn]*retxTracker),
	}
}

// metricMethod keeps the method label's cardinality bounded.
func metricMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

func codeClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status/100) + "xx"
}

// request records one finished request.
func (m *serveMetrics) request(method string, status int, in, out int64, d time.Duration) {
	k := requestKey{metricMethod(method), codeClass(status)}
	m.mu.Lock()
	m.requests[k]++
	m.mu.Unlock()
	m.requestBytes.Add(uint64(in))
	m.responseBytes.Add(uint64(out))
	m.duration.observe(d.Seconds())
}

// totals returns the requests served and the body bytes received and sent.
func (m *serveMetrics) totals() (requests, in, out uint64) {
	m.mu.Lock()
	for _, n := range m.requests {
		requests += n
	}
	m.mu.Unlock()
	return requests, m.requestBytes.Load(), m.responseBytes.Load()
}

// connContext is http3.Server.ConnContext: it classifies the connection's
// handshake once it completes. (The Tracer's TraceHandshakeDone cannot do it:
// the tracer must not call back into quic, and ConnectionState does.)
func (m *serveMetrics) connContext(ctx context.Context, c *quic.Conn) context.Context {
	go func() {
		select {
		case <-c.HandshakeComplete():
		case <-c.Context().Done():
			return
		}
		st := c.ConnectionState()
		switch {
		case st.Used0RTT:
			m.handshakes[handshake0RTT].Add(1)
		case st.TLS.DidResume:
			m.handshakes[handshakeResumed].Add(1)
		default:
			m.handshakes[handshakeFull].Add(1)
		}
	}()
	return ctx
}

// trace is the server's quic.Config.Tracer. It runs under quic's transport lock:
// it only counts and keeps RTT state.
func (m *serveMetrics) trace(ev quic.TraceEvent) {
	if !ev.Server {
		return
	}
	switch ev.Kind {
	case quic.TraceConnStarted:
		m.connsTotal.Add(1)
		m.connsOpen.Add(1)
	case quic.TraceConnClosed:
		m.connsOpen.Add(-1)
		m.rttMu.Lock()
		delete(m.rttConns, ev.Peer)
		m.rttMu.Unlock()
		m.retxMu.Lock()
		delete(m.retxConns, ev.Conn)
		m.retxMu.Unlock()
	case quic.TraceDatagramReceived:
		m.udpIn.Add(uint64(ev.Size))
	case quic.TraceDatagramSent:
		m.udpOut.Add(uint64(ev.Size))
	case quic.TracePacketLost:
		m.packetsLost.Add(1)
	case quic.TracePacketSent:
		m.packetsSent.Add(1)
		if sp := pnSpace(ev.PacketType); sp >= 0 && ev.Peer.IsValid() {
			m.rttMu.Lock()
			m.tracker(ev.Peer).sent(sp, ev.PacketNumber, ev.Time, ackEliciting(ev.Payload))
			m.rttMu.Unlock()
		}
		if ev.Conn != nil {
			m.retxMu.Lock()
			t := m.retxConns[ev.Conn]
			if t == nil {
				t = newRetxTracker()
				m.retxConns[ev.Conn] = t
			}
			resent := t.sent(ev.PacketType, ev.Payload)
			m.retxMu.Unlock()
			if resent {
				m.packetsRetransmitted.Add(1)
			}
		}
	case quic.TracePacketReceived:
		if sp := pnSpace(ev.PacketType); sp >= 0 && ev.Peer.IsValid() {
			m.rttMu.Lock()
			sample, ok := m.tracker(ev.Peer).received(sp, ev.Payload, ev.Time)
			m.rttMu.Unlock()
			if ok {
				m.rtt.observe(sample.Seconds())
			}
		}
	}
}

func (m *serveMetrics) tracker(peer netip.AddrPort) *rttTracker {
	t := m.rttConns[peer]
	if t == nil {
		t = new(rttTracker)
		m.rttConns[peer] = t
	}
	return t
}

// RTT samples from the trace. quic exposes no RTT estimate, so the tracer
// measures it as RFC 9002 section 5 does: the time from sending a packet to
// receiving the ACK frame that newly acknowledges it as its largest packet
// number, if that packet was ack-eliciting, less the peer's ACK Delay in the
// application space (read with the default ack_delay_exponent 3, capped at the
// default max_ack_delay of 25 ms, and only when that leaves at least the
// connection's minimum RTT).

const rttRing = 64 // sent packets remembered per packet number space

// pnSpace maps a packet type to its packet number space: 0 Initial,
// 1 Handshake, 2 application data; -1 for 0-RTT (a server sends none and
// receives no ACK in it).
func pnSpace(packetType string) int {
	switch packetType {
	case "Initial":
		return 0
	case "Handshake":
		return 1
	case "1-RTT":
		return 2
	}
	return -1
}

type sentPacket struct {
	pn        uint64
	at        time.Time
	eliciting bool
}

type rttTracker struct {
	ring       [3][rttRing]sentPacket
	next       [3]int
	largest    [3]uint64
	hasLargest [3]bool
	minRTT     time.Duration
	ranges     []quicwire.AckRange
}

func (t *rttTracker) sent(space int, pn uint64, at time.Time, eliciting bool) {
	t.ring[space][t.next[space]] = sentPacket{pn: pn, at: at, eliciting: eliciting}
	t.next[space] = (t.next[space] + 1) % rttRing
}

func (t *rttTracker) received(space int, payload []byte, at time.Time) (time.Duration, bool) {
	ack, ok := t.findAck(payload)
	if !ok {
		return 0, false
	}
	largest := ack.Largest()
	if t.hasLargest[space] && largest <= t.largest[space] {
		return 0, false
	}
	t.largest[space], t.hasLargest[space] = largest, true
	var p *sentPacket
	for i := range t.ring[space] {
		if s := &t.ring[space][i]; !s.at.IsZero() && s.pn == largest {
			p = s
			break
		}
	}
	if p == nil || !p.eliciting {
		return 0, false
	}
	sample := at.Sub(p.at)
	if sample <= 0 {
		return 0, false
	}
	if t.minRTT == 0 || sample < t.minRTT {
		t.minRTT = sample
	}
	if space == 2 {
		delay := min(time.Duration(ack.AckDelay<<quicwire.DefaultAckDelayExponent)*time.Microsecond, 25*time.Millisecond)
		if sample-delay >= t.minRTT {
			sample -= delay
		}
	}
	return sample, true
}

// findAck returns the packet's ACK frame. Only ACK frames that come first,
// after any PADDING and PING, are looked for: walking every frame type would
// take the whole frame codec, and quic puts its ACK first.
func (t *rttTracker) findAck(payload []byte) (quicwire.AckFrame, bool) {
	b := payload
	for len(b) > 0 && (b[0] == byte(quicwire.FrameTypePadding) || b[0] == 0x01) {
		b = b[1:]
	}
	if len(b) == 0 || (b[0] != 0x02 && b[0] != 0x03) {
		return quicwire.AckFrame{}, false
	}
	f, _, err := quicwire.ParseAckFrame(b, t.ranges)
	if err != nil {
		return quicwire.AckFrame{}, false
	}
	t.ranges = f.Ranges
	return f, true
}

// ackEliciting reports whether a sent packet's payload holds a frame other
// than ACK and PADDING (by the same first-frame reading as findAck).
func ackEliciting(payload []byte) bool {
	b := payload
	for len(b) > 0 && b[0] == byte(quicwire.FrameTypePadding) {
		b = b[1:]
	}
	if len(b) == 0 {
		return false
	}
	if b[0] != 0x02 && b[0] != 0x03 {
		return true
	}
	var ranges [8]quicwire.AckRange
	_, n, err := quicwire.ParseAckFrame(b, ranges[:0])
	if err != nil {
		return true
	}
	for _, c := range b[n:] {
		if c != byte(quicwire.FrameTypePadding) {
			return true
		}
	}
	return false
}

// Retransmissions from the trace. quic does not say which packets repeat
// data, so the tracer reads the STREAM and CRYPTO frames of each sent packet
// and keeps, per connection, the highest offset+length sent so far of each
// stream and of each packet number space's CRYPTO stream: quic sends new data
// in order, so a frame that starts below it re-sends bytes, and so does any
// frame of a stream whose FIN (or RESET_STREAM) was sent already.

const (
	// retxDoneWindow is how many stream numbers above the lowest unfinished
	// one, per stream type, remember that their stream has ended. A stream
	// that falls below the window counts as ended: its first frame would then
	// be counted as a retransmission, which takes a stream left silent while
	// retxDoneWindow later ones of its type ended.
	retxDoneWindow = 512
	// retxMaxStreams bounds the streams followed per connection; the streams
	// opened beyond it go untracked (their re-sends are not counted).
	retxMaxStreams = 4096
)

type retxTracker struct {
	crypto  [3]uint64         // CRYPTO highest offset+length sent, by pnSpace
	streams map[uint64]uint64 // highest offset+length sent, by stream ID, of streams not ended
	done    [4]doneWindow     // streams whose FIN or RESET_STREAM was sent, by type (ID & 3)
	ranges  []quicwire.AckRange
}

func newRetxTracker() *retxTracker {
	return &retxTracker{streams: make(map[uint64]uint64)}
}

// sent records a sent packet's STREAM, CRYPTO and RESET_STREAM frames and
// reports whether it re-sends data. It reads the frames in order and stops at
// one it cannot parse: the packet was encoded by quic, so that means a frame
// type this walker does not know, and guessing its length would misread the
// rest.
func (t *retxTracker) sent(packetType string, payload []byte) bool {
	space := pnSpace(packetType)
	resent := false
	for b := payload; len(b) > 0; {
		ft, _, err := quicwire.ParseFrameType(b)
		if err != nil {
			return resent
		}
		var n int
		switch {
		case ft == quicwire.FrameTypePadding:
			_, n, err = quicwire.ParsePaddingFrame(b)
		case ft == quicwire.FrameTypePing:
			_, n, err = quicwire.ParsePingFrame(b)
		case ft == quicwire.FrameTypeAck || ft == quicwire.FrameTypeAckECN:
			var f quicwire.AckFrame
			f, n, err = quicwire.ParseAckFrame(b, t.ranges)
			t.ranges = f.Ranges[:0]
		case ft.IsStream():
			var f quicwire.StreamFrame
			if f, n, err = quicwire.ParseStreamFrame(b); err == nil && t.stream(f) {
				resent = true
			}
		case ft == quicwire.FrameTypeCrypto:
			var f quicwire.CryptoFrame
			if f, n, err = quicwire.ParseCryptoFrame(b); err == nil && space >= 0 {
				if f.Offset < t.crypto[space] {
					resent = true
				}
				t.crypto[space] = max(t.crypto[space], f.Offset+uint64(len(f.Data)))
			}
		case ft == quicwire.FrameTypeResetStream:
			var f quicwire.ResetStreamFrame
			if f, n, err = quicwire.ParseResetStreamFrame(b); err == nil {
				t.end(f.StreamID)
			}
		case ft == quicwire.FrameTypeStopSending:
			_, n, err = quicwire.ParseStopSendingFrame(b)
		case ft == quicwire.FrameTypeNewToken:
			_, n, err = quicwire.ParseNewTokenFrame(b)
		case ft == quicwire.FrameTypeMaxData:
			_, n, err = quicwire.ParseMaxDataFrame(b)
		case ft == quicwire.FrameTypeMaxStreamData:
			_, n, err = quicwire.ParseMaxStreamDataFrame(b)
		case ft == quicwire.FrameTypeMaxStreamsBidi || ft == quicwire.FrameTypeMaxStreamsUni:
			_, n, err = quicwire.ParseMaxStreamsFrame(b)
		case ft == quicwire.FrameTypeDataBlocked:
			_, n, err = quicwire.ParseDataBlockedFrame(b)
		case ft == quicwire.FrameTypeStreamDataBlocked:
			_, n, err = quicwire.ParseStreamDataBlockedFrame(b)
		case ft == quicwire.FrameTypeStreamsBlockedBidi || ft == quicwire.FrameTypeStreamsBlockedUni:
			_, n, err = quicwire.ParseStreamsBlockedFrame(b)
		case ft == quicwire.FrameTypeNewConnectionID:
			_, n, err = quicwire.ParseNewConnectionIDFrame(b)
		case ft == quicwire.FrameTypeRetireConnectionID:
			_, n, err = quicwire.ParseRetireConnectionIDFrame(b)
		case ft == quicwire.FrameTypePathChallenge:
			_, n, err = quicwire.ParsePathChallengeFrame(b)
		case ft == quicwire.FrameTypePathResponse:
			_, n, err = quicwire.ParsePathResponseFrame(b)
		case ft == quicwire.FrameTypeConnectionClose || ft == quicwire.FrameTypeConnectionCloseApp:
			_, n, err = quicwire.ParseConnectionCloseFrame(b)
		case ft == quicwire.FrameTypeHandshakeDone:
			_, n, err = quicwire.ParseHandshakeDoneFrame(b)
		case ft == quicwire.FrameTypeDatagram || ft == quicwire.FrameTypeDatagramWithLength:
			_, n, err = quicwire.ParseDatagramFrame(b)
		default:
			return resent
		}
		if err != nil || n <= 0 {
			return resent
		}
		b = b[n:]
	}
	return resent
}

// stream records a STREAM frame and reports whether it re-sends data.
func (t *retxTracker) stream(f quicwire.StreamFrame) bool {
	end := f.Offset + uint64(len(f.Data))
	resent := false
	if high, ok := t.streams[f.StreamID]; ok {
		resent = f.Offset < high
		if end > high {
			t.streams[f.StreamID] = end
		}
	} else if t.done[f.StreamID&3].has(f.StreamID >> 2) {
		return true // data or FIN of a stream that ended
	} else if len(t.streams) < retxMaxStreams {
		t.streams[f.StreamID] = end
	}
	if f.Fin {
		t.end(f.StreamID) // in-order sending: every byte up to the FIN is out
	}
	return resent
}

// end forgets a stream whose FIN or RESET_STREAM was sent, remembering only
// that it ended.
func (t *retxTracker) end(id uint64) {
	delete(t.streams, id)
	t.done[id&3].add(id >> 2)
}

// doneWindow is a set of stream numbers (ID >> 2) of one type: all those below
// base, and those of the retxDoneWindow above it whose bit is set (bit n%W
// for number n).
type doneWindow struct {
	base uint64
	bits [retxDoneWindow / 64]uint64
}

func (w *doneWindow) has(n uint64) bool {
	if n < w.base {
		return true
	}
	if n-w.base >= retxDoneWindow {
		return false
	}
	i := n % retxDoneWindow
	return w.bits[i/64]&(1<<(i%64)) != 0
}

func (w *doneWindow) add(n uint64) {
	if n < w.base {
		return
	}
	if n-w.base >= retxDoneWindow {
		// Slide the window up to n: the numbers it passes count as ended.
		newBase := n - retxDoneWindow + 1
		if newBase-w.base >= retxDoneWindow {
			w.bits = [retxDoneWindow / 64]uint64{}
		} else {
			for ; w.base < newBase; w.base++ {
				i := w.base % retxDoneWindow
				w.bits[i/64] &^= 1 << (i % 64)
			}
		}
		w.base = newBase
	}
	i := n % retxDoneWindow
	w.bits[i/64] |= 1 << (i % 64)
	for {
		i := w.base % retxDoneWindow
		if w.bits[i/64]&(1<<(i%64)) == 0 {
			return
		}
		w.bits[i/64] &^= 1 << (i % 64)
		w.base++
	}
}

// ServeHTTP writes the metrics in the Prometheus text format.
func (m *serveMetrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	m.writeTo(w)
}

func (m *serveMetrics) writeTo(w io.Writer) error {
	e := &expoWriter{w: bufio.NewWriter(w)}

	e.family("h3_requests_total", "counter", "HTTP requests served, by method and status class.")
	m.mu.Lock()
	keys := make([]requestKey, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].method != keys[j].method {
			return keys[i].method < keys[j].method
		}
		return keys[i].class < keys[j].class
	})
	for _, k := range keys {
		e.sample("h3_requests_total", float64(m.requests[k]), "method", k.method, "code_class", k.class)
	}
	m.mu.Unlock()

	e.family("h3_request_duration_seconds", "histogram", "Time from a request's headers to the end of its response.")
	m.duration.write(e, "h3_request_duration_seconds")
	e.counter("h3_request_body_bytes_total", "Request body bytes read by handlers (bytes in).", m.requestBytes.Load())
	e.counter("h3_response_body_bytes_total", "Response body bytes written (bytes out).", m.responseBytes.Load())
	e.counter("h3_udp_received_bytes_total", "UDP payload bytes received by QUIC connections.", m.udpIn.Load())
	e.counter("h3_udp_sent_bytes_total", "UDP payload bytes sent by QUIC connections.", m.udpOut.Load())

	e.family("h3_connections_open", "gauge", "QUIC connections open now.")
	e.sample("h3_connections_open", float64(m.connsOpen.Load()))
	e.counter("h3_connections_total", "QUIC connections accepted.", m.connsTotal.Load())

	e.family("h3_handshakes_total", "counter", "Completed handshakes: full, resumed (TLS session resumption without 0-RTT), or 0rtt (resumed with 0-RTT data accepted).")
	for i, k := range handshakeKinds {
		e.sample("h3_handshakes_total", float64(m.handshakes[i].Load()), "kind", k)
	}
	e.counter("h3_quic_packets_sent_total", "QUIC packets sent.", m.packetsSent.Load())
	e.counter("h3_quic_packets_lost_total", "QUIC packets declared lost by loss recovery.", m.packetsLost.Load())
	e.counter("h3_quic_packets_retransmitted_total", "QUIC packets sent that re-send stream or CRYPTO data (or a FIN) sent before on their connection.", m.packetsRetransmitted.Load())

	e.family("h3_rtt_seconds", "histogram", "Round-trip time samples: a packet's send to the ACK that newly acknowledged it (RFC 9002 section 5), less the peer's ACK delay.")
	m.rtt.write(e, "h3_rtt_seconds")

	e.family("h3_uptime_seconds", "gauge", "Seconds since the server started.")
	e.sample("h3_uptime_seconds", time.Since(m.start).Seconds())
	if e.err != nil {
		return e.err
	}
	return e.w.Flush()
}

// histogram is a Prometheus histogram with fixed upper bounds.
type histogram struct {
	mu     sync.Mutex
	bounds []float64
	counts []uint64 // counts[i]: observations in (bounds[i-1], bounds[i]]; the last one above every bound
	sum    float64
	n      uint64
}

func newHistogram(bounds ...float64) *histogram {
	return &histogram{bounds: bounds, counts: make([]uint64, len(bounds)+1)}
}

func (h *histogram) observe(v float64) {
	i := sort.SearchFloat64s(h.bounds, v) // first bound >= v
	h.mu.Lock()
	h.counts[i]++
	h.sum += v
	h.n++
	h.mu.Unlock()
}

func (h *histogram) write(e *expoWriter, name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var cum uint64
	for i, b := range h.bounds {
		cum += h.counts[i]
		e.sample(name+"_bucket", float64(cum), "le", formatFloat(b))
	}
	e.sample(name+"_bucket", float64(h.n), "le", "+Inf")
	e.sample(name+"_sum", h.sum)
	e.sample(name+"_count", float64(h.n))
}

// expoWriter writes the text exposition format: a HELP and a TYPE line per
// family, then its samples, name{label="value",...} value.
type expoWriter struct {
	w   *bufio.Writer
	err error
}

func (e *expoWriter) family(name, typ, help string) {
	e.printf("# HELP " + name + " " + escapeHelp(help) + "\n# TYPE " + name + " " + typ + "\n")
}

func (e *expoWriter) counter(name, help string, v uint64) {
	e.family(name, "counter", help)
	e.sample(name, float64(v))
}

// sample writes one sample; labels are name, value pairs.
func (e *expoWriter) sample(name string, v float64, labels ...string) {
	var b strings.Builder
	b.WriteString(name)
	if len(labels) > 0 {
		b.WriteByte('{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(labels[i])
			b.WriteString(`="`)
			b.WriteString(escapeLabel(labels[i+1]))
			b.WriteByte('"')
		}
		b.WriteByte('}')
	}
	b.WriteByte(' ')
	b.WriteString(formatFloat(v))
	b.WriteByte('\n')
	e.printf(b.String())
}

func (e *expoWriter) printf(s string) {
	if e.err == nil {
		_, e.err = e.w.WriteString(s)
	}
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.FormatFloat(v, 'f', -1, 64) // counts in full, not 4.2e+07
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

func escapeHelp(s string) string  { return helpEscaper.Replace(s) }
func escapeLabel(s string) string { return labelEscaper.Replace(s) }
