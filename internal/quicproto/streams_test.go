package quicproto

import (
	"slices"
	"testing"
)

func testMapConfig(server bool) StreamMapConfig {
	return StreamMapConfig{
		IsServer:        server,
		MaxIncomingBidi: 2, MaxIncomingUni: 2,
		StreamWindow: 1000, MaxStreamWindow: 1000,
		ConnWindow: 1500, MaxConnWindow: 1500,
		SendBuffer: 10000,
	}
}

func testPeerLimits() StreamPeerLimits {
	return StreamPeerLimits{
		MaxData:                1 << 20,
		MaxStreamDataBidiLocal: 1 << 16, MaxStreamDataBidiRemote: 1 << 16, MaxStreamDataUni: 1 << 16,
		MaxStreamsBidi: 2, MaxStreamsUni: 2,
	}
}

func newTestMap(t *testing.T, server bool) *StreamMap {
	t.Helper()
	m := NewStreamMap(testMapConfig(server))
	if err := m.SetPeerLimits(testPeerLimits()); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestStreamMapErrors checks each frame-validity rule of RFC 9000
// sections 4 and 19 with its error code, from the client's side.
func TestStreamMapErrors(t *testing.T) {
	const big = 1 << 60
	tests := []struct {
		name string
		run  func(m *StreamMap) error
		want ErrorCode
	}{
		{"STREAM on own uni", func(m *StreamMap) error {
			m.OpenStream(false)
			return m.OnStreamFrame(2, 0, []byte("x"), false)
		}, StreamStateError},
		{"STREAM on unopened local bidi", func(m *StreamMap) error {
			return m.OnStreamFrame(0, 0, nil, false)
		}, StreamStateError},
		{"STREAM on opened local bidi", func(m *StreamMap) error {
			m.OpenStream(true)
			return m.OnStreamFrame(0, 0, []byte("x"), false)
		}, NoError},
		{"RESET_STREAM on own uni", func(m *StreamMap) error {
			m.OpenStream(false)
			return m.OnResetStream(2, 0, 0)
		}, StreamStateError},
		{"STREAM_DATA_BLOCKED on own uni", func(m *StreamMap) error {
			m.OpenStream(false)
			return m.OnStreamDataBlocked(2, 0)
		}, StreamStateError},
		{"MAX_STREAM_DATA on peer uni", func(m *StreamMap) error {
			return m.OnMaxStreamData(3, 100)
		}, StreamStateError},
		{"STOP_SENDING on peer uni", func(m *StreamMap) error {
			return m.OnStopSending(3, 0)
		}, StreamStateError},
		{"MAX_STREAM_DATA on unopened local", func(m *StreamMap) error {
			return m.OnMaxStreamData(0, 100)
		}, StreamStateError},
		{"STOP_SENDING on unopened local", func(m *StreamMap) error {
			return m.OnStopSending(2, 0)
		}, StreamStateError},
		{"MAX_STREAM_DATA opens peer bidi", func(m *StreamMap) error {
			return m.OnMaxStreamData(5, 100)
		}, NoError},
		{"peer bidi within limit", func(m *StreamMap) error {
			return m.OnStreamFrame(5, 0, nil, false)
		}, NoError},
		{"peer bidi beyond limit", func(m *StreamMap) error {
			return m.OnStreamFrame(9, 0, nil, false)
		}, StreamLimitError},
		{"peer uni beyond limit", func(m *StreamMap) error {
			return m.OnResetStream(11, 0, 0)
		}, StreamLimitError},
		{"MAX_STREAMS 2^60", func(m *StreamMap) error { return m.OnMaxStreams(true, big) }, NoError},
		{"MAX_STREAMS above 2^60", func(m *StreamMap) error { return m.OnMaxStreams(true, big+1) }, FrameEncodingError},
		{"MAX_STREAMS uni above 2^60", func(m *StreamMap) error { return m.OnMaxStreams(false, big+1) }, FrameEncodingError},
		{"STREAMS_BLOCKED above 2^60", func(m *StreamMap) error { return m.OnStreamsBlocked(false, big+1) }, FrameEncodingError},
		{"max_streams parameter above 2^60", func(m *StreamMap) error {
			p := testPeerLimits()
			p.MaxStreamsUni = big + 1
			return m.SetPeerLimits(p)
		}, TransportParameterError},
		{"connection window exceeded", func(m *StreamMap) error {
			if err := m.OnStreamFrame(1, 0, make([]byte, 1000), false); err != nil {
				return err
			}
			return m.OnStreamFrame(5, 0, make([]byte, 501), false)
		}, FlowControlError},
		{"connection window exceeded by reset", func(m *StreamMap) error {
			if err := m.OnStreamFrame(1, 0, make([]byte, 1000), false); err != nil {
				return err
			}
			return m.OnResetStream(5, 0, 501)
		}, FlowControlError},
		{"stream window exceeded", func(m *StreamMap) error {
			return m.OnStreamFrame(1, 1000, make([]byte, 1), false)
		}, FlowControlError},
		{"final size change", func(m *StreamMap) error {
			if err := m.OnStreamFrame(1, 0, make([]byte, 10), true); err != nil {
				return err
			}
			return m.OnResetStream(1, 0, 20)
		}, FinalSizeError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, tt.run(newTestMap(t, false)), tt.want)
		})
	}
}

func TestStreamMapImplicitOpen(t *testing.T) {
	m := NewStreamMap(StreamMapConfig{IsServer: true, MaxIncomingBidi: 10, StreamWindow: 100, ConnWindow: 1000})
	if err := m.OnStreamFrame(8, 0, []byte("x"), false); err != nil {
		t.Fatal(err)
	}
	var opened []StreamID
	for n, ok := m.NextNotice(); ok; n, ok = m.NextNotice() {
		if n.Kind == StreamNoticeOpened {
			opened = append(opened, n.ID)
		}
	}
	if len(opened) != 3 || opened[0] != 0 || opened[1] != 4 || opened[2] != 8 {
		t.Fatalf("opened %v, want [0 4 8]", opened)
	}
	if err := m.OnStreamFrame(4, 0, []byte("y"), false); err != nil || m.Len() != 3 {
		t.Fatalf("lower stream: %v, %d live", err, m.Len())
	}
}

func TestStreamMapOpenLimit(t *testing.T) {
	m := newTestMap(t, true)
	for i := range 2 {
		s, ok := m.OpenStream(true)
		if !ok || s.ID() != MakeStreamID(StreamServerBidi, uint64(i)) {
			t.Fatalf("open %d failed", i)
		}
	}
	if _, ok := m.OpenStream(true); ok {
		t.Fatal("opened beyond the peer's limit")
	}
	c, ok := m.NextControl()
	if !ok || c.FrameType != 0x16 || c.Value != 2 {
		t.Fatalf("STREAMS_BLOCKED expected, got %+v", c)
	}
	m.OnControlSent(c)
	m.OpenStream(true)
	if _, ok := m.NextControl(); ok {
		t.Fatal("STREAMS_BLOCKED repeated for the same limit")
	}
	m.OnControlLost(c)
	if c2, ok := m.NextControl(); !ok || c2 != c {
		t.Fatal("lost STREAMS_BLOCKED not rescheduled")
	}
	m.OnMaxStreams(true, 1) // smaller: ignored
	m.OnMaxStreams(true, 3)
	if _, ok := m.NextControl(); ok {
		t.Fatal("STREAMS_BLOCKED pending after MAX_STREAMS")
	}
	var avail bool
	for n, ok := m.NextNotice(); ok; n, ok = m.NextNotice() {
		avail = avail || n.Kind == StreamNoticeStreamsAvailable && n.ID.IsBidi()
	}
	if !avail {
		t.Fatal("no StreamsAvailable notice")
	}
	if s, ok := m.OpenStream(true); !ok || s.ID() != 9 {
		t.Fatal("open after MAX_STREAMS failed")
	}
	if _, ok := m.OpenStream(false); !ok {
		t.Fatal("uni space must be independent")
	}
}

// TestStreamMapManyPeerStreams has the peer open, use and close 10,000
// streams while only 2 may be open at once: MAX_STREAMS must keep up.
func TestStreamMapManyPeerStreams(t *testing.T) {
	m := newTestMap(t, true)
	limit := uint64(2) // what the peer knows
	buf := make([]byte, 10)
	for i := range uint64(10000) {
		if i >= limit {
			t.Fatalf("peer blocked at stream %d (limit %d)", i, limit)
		}
		id := MakeStreamID(StreamClientBidi, i)
		if err := m.OnStreamFrame(id, 0, []byte("ping"), true); err != nil {
			t.Fatalf("stream %d: %v", i, err)
		}
		s := m.Get(id)
		if n, _ := s.Read(buf); n != 4 {
			t.Fatalf("read %d", n)
		}
		s.Write([]byte("pong"))
		s.Close()
		c, ok := m.NextChunk(1200)
		if !ok || !c.Fin {
			t.Fatal("no response chunk")
		}
		m.OnStreamAcked(id, c.Offset, len(c.Data), c.Fin)
		for c, ok := m.NextControl(); ok; c, ok = m.NextControl() {
			m.OnControlSent(c)
			if c.FrameType == 0x12 {
				limit = max(limit, c.Value)
			}
			m.OnControlAcked(c)
		}
	}
	if m.Len() != 0 {
		t.Fatalf("%d streams still live", m.Len())
	}
	if limit < 10000 {
		t.Fatalf("limit %d", limit)
	}
}

// TestStreamMapRoundRobin: incremental streams of one urgency take turns.
func TestStreamMapRoundRobin(t *testing.T) {
	m := newTestMap(t, false)
	var ids []StreamID
	for range 2 {
		s, _ := m.OpenStream(true)
		s.SetPriority(DefaultUrgency, true)
		s.Write(make([]byte, 3000))
		ids = append(ids, s.ID())
	}
	u, _ := m.OpenStream(false)
	u.Write(make([]byte, 3000))
	u.SetPriority(DefaultUrgency, true) // while queued
	ids = append(ids, u.ID())
	for i := range 6 {
		c, ok := m.NextChunk(1000)
		if !ok || c.ID != ids[i%3] {
			t.Fatalf("chunk %d from stream %d, want %d", i, c.ID, ids[i%3])
		}
		if len(c.Data) > 1000-4 {
			t.Fatalf("chunk of %d bytes does not leave room for a header", len(c.Data))
		}
	}
}

func TestStreamMapConnFlowSend(t *testing.T) {
	m := NewStreamMap(testMapConfig(false))
	p := testPeerLimits()
	p.MaxData = 1500
	m.SetPeerLimits(p)
	a, _ := m.OpenStream(true)
	b, _ := m.OpenStream(true)
	a.Write(make([]byte, 1000))
	b.Write(make([]byte, 1000))
	var total int
	for c, ok := m.NextChunk(1200); ok; c, ok = m.NextChunk(1200) {
		total += len(c.Data)
	}
	if total != 1500 {
		t.Fatalf("sent %d bytes, connection credit 1500", total)
	}
	c, ok := m.NextControl()
	if !ok || c.FrameType != 0x14 || c.Value != 1500 {
		t.Fatalf("DATA_BLOCKED expected, got %+v %v", c, ok)
	}
	m.OnControlSent(c)
	if m.HasSendData() {
		t.Fatal("HasSendData while blocked")
	}
	m.OnMaxData(2000)
	if !m.HasSendData() {
		t.Fatal("no data after MAX_DATA")
	}
}

func TestStreamMapControlFrames(t *testing.T) {
	m := newTestMap(t, false)
	s, _ := m.OpenStream(true)
	s.CancelWrite(11)
	s.CancelRead(12)
	want := []StreamControl{
		{FrameType: 0x04, ID: s.ID(), Code: 11, Value: 0},
		{FrameType: 0x05, ID: s.ID(), Code: 12},
	}
	for _, w := range want {
		c, ok := m.NextControl()
		if !ok || c != w {
			t.Fatalf("got %+v, want %+v", c, w)
		}
		m.OnControlSent(c)
	}
	if c, ok := m.NextControl(); ok {
		t.Fatalf("unexpected %+v", c)
	}
	m.OnControlLost(want[0])
	if c, _ := m.NextControl(); c != want[0] {
		t.Fatal("lost RESET_STREAM not rescheduled")
	}
	m.OnControlSent(want[0])
	m.OnControlAcked(want[0])
	if m.Len() != 1 {
		t.Fatal("stream retired before its receiving part ended")
	}
	if err := m.OnResetStream(s.ID(), 1, 0); err != nil {
		t.Fatal(err)
	}
	if m.Len() != 0 {
		t.Fatal("finished stream not retired")
	}
}

func TestStreamMapWindowUpdates(t *testing.T) {
	m := newTestMap(t, false)
	buf := make([]byte, 1000)
	if err := m.OnStreamFrame(1, 0, make([]byte, 800), false); err != nil {
		t.Fatal(err)
	}
	if err := m.OnStreamFrame(5, 0, make([]byte, 600), false); err != nil {
		t.Fatal(err)
	}
	m.Get(1).Read(buf)
	m.Get(5).Read(buf)
	got := map[uint64]uint64{}
	for c, ok := m.NextControl(); ok; c, ok = m.NextControl() {
		got[uint64(c.FrameType)<<8|uint64(c.ID)] = c.Value
		m.OnControlSent(c)
	}
	if got[0x10<<8] != 1400+1500 || got[0x11<<8|1] != 1800 || got[0x11<<8|5] != 1600 {
		t.Fatalf("updates %v", got)
	}
	if err := m.OnStreamFrame(1, 800, make([]byte, 1000), false); err != nil {
		t.Fatalf("new credit not usable: %v", err)
	}
}

// TestStreamMapNoSpin checks that streams blocked by flow control are not
// reported as having data, so the conn does not build empty packets.
func TestStreamMapNoSpin(t *testing.T) {
	m := NewStreamMap(testMapConfig(false))
	p := testPeerLimits()
	p.MaxStreamDataBidiRemote = 100
	m.SetPeerLimits(p)
	s, _ := m.OpenStream(true)
	s.Write(make([]byte, 300))
	s.Close()
	if c, ok := m.NextChunk(1200); !ok || len(c.Data) != 100 || c.Fin {
		t.Fatalf("first chunk %+v", c)
	}
	if m.HasSendData() {
		t.Fatal("HasSendData with the FIN held back by flow control")
	}
	if _, ok := m.NextChunk(1200); ok {
		t.Fatal("chunk beyond the stream limit")
	}
	s.CancelWrite(1)
	if m.HasSendData() {
		t.Fatal("HasSendData after reset")
	}
}

// TestStreamMapDataBlockedOnWrite checks that data written after the
// connection credit ran out still produces a DATA_BLOCKED frame.
func TestStreamMapDataBlockedOnWrite(t *testing.T) {
	m := NewStreamMap(testMapConfig(false))
	p := testPeerLimits()
	p.MaxData = 100
	m.SetPeerLimits(p)
	s, _ := m.OpenStream(true)
	s.Write(make([]byte, 100))
	if c, ok := m.NextChunk(1200); !ok || len(c.Data) != 100 {
		t.Fatal("first chunk")
	}
	if c, ok := m.NextControl(); ok {
		t.Fatalf("premature %+v", c)
	}
	s.Write(make([]byte, 10))
	if c, ok := m.NextControl(); !ok || c.FrameType != 0x14 || c.Value != 100 {
		t.Fatalf("DATA_BLOCKED expected, got %+v %v", c, ok)
	}
}

func TestStreamMapAll(t *testing.T) {
	m := newTestMap(t, false)
	m.OpenStream(true)
	m.OpenStream(false)
	if err := m.OnStreamFrame(3, 0, []byte("x"), false); err != nil {
		t.Fatal(err)
	}
	n := 0
	for s := range m.All() {
		if m.Get(s.ID()) != s {
			t.Fatalf("stream %d not in map", s.ID())
		}
		n++
	}
	if n != 3 {
		t.Fatalf("All yielded %d streams, want 3", n)
	}
}

// TestStreamMapPriority checks the send order of RFC 9218 priorities: lower urgency
// first; within an urgency, non-incremental streams one after another by stream ID
// (each until it has nothing left), then incremental ones in turns. Every stream
// writes 2000 bytes and chunks carry at most 1000 bytes, so a stream needs two chunks.
func TestStreamMapPriority(t *testing.T) {
	type prio struct {
		urgency     uint8
		incremental bool
	}
	def := prio{DefaultUrgency, false}
	for _, tc := range []struct {
		name string
		// prios[i] is the priority of the i-th stream opened (bidirectional, IDs 0,
		// 4, 8...); streams are written in reverse order so that the order of
		// writes cannot explain the result.
		prios []prio
		// after, if set, changes a priority once everything is queued.
		after func(ss []*Stream)
		// want lists the index of the stream of each chunk.
		want []int
	}{
		{"default: by stream ID, each to the end", []prio{def, def, def}, nil,
			[]int{0, 0, 1, 1, 2, 2}},
		{"urgency first", []prio{{5, false}, {0, false}, {3, false}}, nil,
			[]int{1, 1, 2, 2, 0, 0}},
		{"incremental in turns", []prio{{3, true}, {3, true}, {3, true}}, nil,
			[]int{2, 1, 0, 2, 1, 0}},
		{"non-incremental before incremental of the same urgency", []prio{{3, true}, {3, false}, {3, true}}, nil,
			[]int{1, 1, 2, 0, 2, 0}},
		{"urgency beats incremental", []prio{{4, true}, {4, true}, {1, false}}, nil,
			[]int{2, 2, 1, 0, 1, 0}},
		{"urgency above 7 is 7", []prio{{200, false}, {7, false}, def}, nil,
			[]int{2, 2, 0, 0, 1, 1}},
		{"reprioritised while queued", []prio{def, def, def}, func(ss []*Stream) { ss[2].SetPriority(0, false) },
			[]int{2, 2, 0, 0, 1, 1}},
		{"made incremental while queued", []prio{def, def, def}, func(ss []*Stream) {
			ss[0].SetPriority(DefaultUrgency, true)
			ss[1].SetPriority(DefaultUrgency, true)
		}, []int{2, 2, 0, 1, 0, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := NewStreamMap(StreamMapConfig{MaxIncomingBidi: 10, StreamWindow: 1 << 16, MaxStreamWindow: 1 << 16,
				ConnWindow: 1 << 20, MaxConnWindow: 1 << 20, SendBuffer: 1 << 16})
			m.SetPeerLimits(StreamPeerLimits{MaxData: 1 << 20, MaxStreamDataBidiRemote: 1 << 16, MaxStreamsBidi: 10})
			ss := make([]*Stream, len(tc.prios))
			for i, p := range tc.prios {
				ss[i], _ = m.OpenStream(true)
				ss[i].SetPriority(p.urgency, p.incremental)
			}
			for i := len(ss) - 1; i >= 0; i-- {
				ss[i].Write(make([]byte, 2000))
			}
			if tc.after != nil {
				tc.after(ss)
			}
			var got []int
			for c, ok := m.NextChunk(1000 + 8); ok; c, ok = m.NextChunk(1000 + 8) {
				got = append(got, int(c.ID.Num()))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("chunks from streams %v, want %v", got, tc.want)
			}
		})
	}
}

// TestStreamMapPriorityBlocked: a non-incremental stream that flow control holds back
// lets the next one send, and resumes first once it may.
func TestStreamMapPriorityBlocked(t *testing.T) {
	m := NewStreamMap(testMapConfig(false))
	p := testPeerLimits()
	p.MaxStreamDataBidiRemote = 1000
	m.SetPeerLimits(p)
	a, _ := m.OpenStream(true)
	b, _ := m.OpenStream(true)
	a.Write(make([]byte, 3000))
	b.Write(make([]byte, 3000))
	var got []StreamID
	for c, ok := m.NextChunk(600); ok; c, ok = m.NextChunk(600) {
		got = append(got, c.ID)
	}
	if want := []StreamID{a.ID(), a.ID(), b.ID(), b.ID()}; !slices.Equal(got, want) {
		t.Fatalf("chunks from %v, want %v", got, want)
	}
	if err := m.OnMaxStreamData(b.ID(), 2000); err != nil {
		t.Fatal(err)
	}
	if err := m.OnMaxStreamData(a.ID(), 2000); err != nil {
		t.Fatal(err)
	}
	if c, ok := m.NextChunk(600); !ok || c.ID != a.ID() {
		t.Fatalf("after MAX_STREAM_DATA: chunk %+v, want stream %d first", c, a.ID())
	}
}

// TestStreamMapPriorityAllocs: once its queues have grown, the scheduler allocates
// nothing, whatever the mix of priorities.
func TestStreamMapPriorityAllocs(t *testing.T) {
	m := NewStreamMap(StreamMapConfig{MaxIncomingBidi: 10, StreamWindow: 1 << 16, MaxStreamWindow: 1 << 16,
		ConnWindow: 1 << 20, MaxConnWindow: 1 << 20, SendBuffer: 1 << 16})
	m.SetPeerLimits(StreamPeerLimits{MaxData: 1 << 62, MaxStreamDataBidiRemote: 1 << 62, MaxStreamsBidi: 10})
	var ss []*Stream
	for i := range 8 {
		s, _ := m.OpenStream(true)
		s.SetPriority(uint8(i%3), i%2 == 0)
		ss = append(ss, s)
	}
	data := make([]byte, 500)
	round := func() {
		for _, s := range ss {
			s.Write(data)
		}
		for c, ok := m.NextChunk(1200); ok; c, ok = m.NextChunk(1200) {
			m.OnStreamAcked(c.ID, c.Offset, len(c.Data), c.Fin)
		}
	}
	round()
	if n := testing.AllocsPerRun(100, round); n != 0 {
		t.Errorf("%v allocations per round", n)
	}
}
