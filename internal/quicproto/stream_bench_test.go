package quicproto

import "testing"

const benchChunk = 1200

// BenchmarkStreamSend writes 1 MiB per op into one long-lived stream,
// takes 1200-byte chunks and acknowledges them: the steady-state send path.
func BenchmarkStreamSend(b *testing.B) {
	s := new(SendStream)
	s.Init(1<<62, 256<<10)
	p := make([]byte, benchChunk)
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		for sent := 0; sent < 1<<20; {
			s.Write(p)
			c, ok := s.NextChunk(benchChunk, 1<<62)
			if !ok {
				b.Fatal("no chunk")
			}
			sent += len(c.Data)
			s.OnAck(c.Offset, len(c.Data), c.Fin)
		}
	}
}

// BenchmarkStreamRecv delivers 1 MiB per op in 1200-byte STREAM frames,
// each pair swapped to exercise reassembly, and reads it back, granting
// window updates as they fall due.
func BenchmarkStreamRecv(b *testing.B) {
	r := new(RecvStream)
	r.Init(1<<20, 1<<20)
	data := make([]byte, benchChunk)
	buf := make([]byte, 16<<10)
	var off uint64
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		for end := off + 1<<20; off < end; off += 2 * benchChunk {
			if _, _, err := r.OnStreamFrame(off+benchChunk, data, false); err != nil {
				b.Fatal(err)
			}
			if _, _, err := r.OnStreamFrame(off, data, false); err != nil {
				b.Fatal(err)
			}
			r.Read(buf, 0, 0)
			if l, ok := r.UpdatePending(); ok {
				r.OnUpdateSent(l)
			}
		}
	}
}

// BenchmarkStreamMapTransfer moves 1 MiB per op from one StreamMap to
// another through NextChunk, OnStreamFrame, Read, OnStreamAcked and the
// window updates: the whole per-chunk path the conn drives.
func BenchmarkStreamMapTransfer(b *testing.B) {
	cfg := StreamMapConfig{MaxIncomingBidi: 10, StreamWindow: 1 << 20, MaxStreamWindow: 1 << 20,
		ConnWindow: 2 << 20, MaxConnWindow: 2 << 20, SendBuffer: 256 << 10}
	cli := NewStreamMap(cfg)
	cfg.IsServer = true
	srv := NewStreamMap(cfg)
	lim := StreamPeerLimits{MaxData: 2 << 20, MaxStreamDataBidiLocal: 1 << 20,
		MaxStreamDataBidiRemote: 1 << 20, MaxStreamsBidi: 10}
	cli.SetPeerLimits(lim)
	srv.SetPeerLimits(lim)
	s, _ := cli.OpenStream(true)
	p := make([]byte, benchChunk)
	buf := make([]byte, 16<<10)
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		for sent := 0; sent < 1<<20; {
			s.Write(p)
			c, ok := cli.NextChunk(benchChunk + 10)
			if !ok {
				b.Fatal("no chunk")
			}
			if err := srv.OnStreamFrame(c.ID, c.Offset, c.Data, c.Fin); err != nil {
				b.Fatal(err)
			}
			cli.OnStreamAcked(c.ID, c.Offset, len(c.Data), c.Fin)
			sent += len(c.Data)
			srv.Get(c.ID).Read(buf)
			for ctl, ok := srv.NextControl(); ok; ctl, ok = srv.NextControl() {
				srv.OnControlSent(ctl)
				switch ctl.FrameType {
				case 0x10:
					cli.OnMaxData(ctl.Value)
				case 0x11:
					cli.OnMaxStreamData(ctl.ID, ctl.Value)
				}
			}
			for _, ok := srv.NextNotice(); ok; _, ok = srv.NextNotice() {
			}
		}
	}
}

// BenchmarkStreamMapShortStreams runs one short request/response stream
// per op (peer opens, sends 100 bytes with FIN; we read, answer 1000 bytes
// and close; everything acknowledged), the HTTP/3 pattern: it measures
// the per-stream cost including the MAX_STREAMS credit.
func BenchmarkStreamMapShortStreams(b *testing.B) {
	m := NewStreamMap(StreamMapConfig{IsServer: true, MaxIncomingBidi: 100, StreamWindow: 1 << 16,
		MaxStreamWindow: 1 << 16, ConnWindow: 1 << 20, MaxConnWindow: 1 << 24, SendBuffer: 1 << 16})
	m.SetPeerLimits(StreamPeerLimits{MaxData: 1 << 62, MaxStreamDataBidiLocal: 1 << 16, MaxStreamsBidi: 100})
	req, resp, buf := make([]byte, 100), make([]byte, 1000), make([]byte, 200)
	var num uint64
	b.ReportAllocs()
	for b.Loop() {
		id := MakeStreamID(StreamClientBidi, num)
		num++
		if err := m.OnStreamFrame(id, 0, req, true); err != nil {
			b.Fatal(err)
		}
		s := m.Get(id)
		s.Read(buf)
		s.Write(resp)
		s.Close()
		c, _ := m.NextChunk(1200)
		m.OnStreamAcked(c.ID, c.Offset, len(c.Data), c.Fin)
		for ctl, ok := m.NextControl(); ok; ctl, ok = m.NextControl() {
			m.OnControlSent(ctl)
		}
		for _, ok := m.NextNotice(); ok; _, ok = m.NextNotice() {
		}
	}
}
