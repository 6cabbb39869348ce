package quicproto

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

// streamPairFrame is a frame in flight between two stream maps.
type streamPairFrame struct {
	chunk   StreamChunk
	ctrl    StreamControl
	isChunk bool
}

// streamPair wires a client and a server StreamMap through a lossy,
// reordering "network" of frames, with a virtual clock.
type streamPair struct {
	t        *testing.T
	rng      *rand.Rand
	loss     int // percent of frames lost
	now      int64
	cli, srv *StreamMap
}

// deliver applies f, sent by one side, to the other side (to).
func (p *streamPair) deliver(to *StreamMap, f streamPairFrame) {
	var err error
	if f.isChunk {
		c := f.chunk
		err = to.OnStreamFrame(c.ID, c.Offset, c.Data, c.Fin)
	} else {
		c := f.ctrl
		switch uint64(c.FrameType) {
		case streamFrameResetStream:
			err = to.OnResetStream(c.ID, c.Code, c.Value)
		case streamFrameStopSending:
			err = to.OnStopSending(c.ID, c.Code)
		case streamFrameMaxData:
			to.OnMaxData(c.Value)
		case streamFrameMaxStreamData:
			err = to.OnMaxStreamData(c.ID, c.Value)
		case streamFrameMaxStreamsBidi, streamFrameMaxStreamsUni:
			err = to.OnMaxStreams(uint64(c.FrameType) == streamFrameMaxStreamsBidi, c.Value)
		case streamFrameDataBlocked:
			to.OnDataBlocked(c.Value)
		case streamFrameStreamDataBlocked:
			err = to.OnStreamDataBlocked(c.ID, c.Value)
		case streamFrameStreamsBlockedBidi, streamFrameStreamsBlockedUni:
			err = to.OnStreamsBlocked(uint64(c.FrameType) == streamFrameStreamsBlockedBidi, c.Value)
		}
	}
	if err != nil {
		p.t.Fatalf("deliver %+v: %v", f, err)
	}
}

// flight sends up to n frames from one side to the other, shuffled, with
// losses reported back to the sender and deliveries acknowledged.
func (p *streamPair) flight(from, to *StreamMap, n int) {
	var fs []streamPairFrame
	for len(fs) < n {
		if c, ok := from.NextControl(); ok {
			from.OnControlSent(c)
			fs = append(fs, streamPairFrame{ctrl: c})
			continue
		}
		c, ok := from.NextChunk(200 + p.rng.IntN(1000))
		if !ok {
			break
		}
		// The chunk aliases the sender's buffer, which changes only on
		// acks and writes; deliver a copy anyway, as a packet would.
		c.Data = bytes.Clone(c.Data)
		fs = append(fs, streamPairFrame{chunk: c, isChunk: true})
	}
	p.rng.Shuffle(len(fs), func(i, j int) { fs[i], fs[j] = fs[j], fs[i] })
	for _, f := range fs {
		lost := p.rng.IntN(100) < p.loss
		if !lost {
			p.deliver(to, f)
		}
		switch {
		case f.isChunk && lost:
			from.OnStreamLost(f.chunk.ID, f.chunk.Offset, len(f.chunk.Data), f.chunk.Fin)
		case f.isChunk:
			from.OnStreamAcked(f.chunk.ID, f.chunk.Offset, len(f.chunk.Data), f.chunk.Fin)
		case lost:
			from.OnControlLost(f.ctrl)
		default:
			from.OnControlAcked(f.ctrl)
		}
	}
	p.now += 1e6
	p.cli.SetTime(p.now, 20e6)
	p.srv.SetTime(p.now, 20e6)
}

// TestStreamPairTransfer runs request/response exchanges on many streams
// over a lossy, reordering path and checks every byte, the stream limits
// (more streams than may be open at once) and that all state is dropped.
// With cancel > 0, the client abandons streams at random (CancelWrite and
// CancelRead), exercising resets and STOP_SENDING in every state.
func TestStreamPairTransfer(t *testing.T) {
	for _, loss := range []int{0, 10, 30} {
		for _, cancel := range []int{0, 20} {
			for seed := range uint64(3) {
				testStreamPair(t, loss, cancel, seed, 20, 20000)
			}
		}
	}
}

// pairSide is one end of a request/response stream in the pair test.
type pairSide struct {
	s         *Stream
	in, out   []byte // out: what is left to write
	ready     bool   // out is final: write it, then close
	closed    bool
	eof       bool // reading ended (FIN, reset or cancel)
	reset     bool // the peer reset the stream
	cancelled bool // the client gave up on the stream
}

// pump writes what the side may write and reads what is readable.
func (st *pairSide) pump(t *testing.T, buf []byte) {
	if st.s.CanSend() && st.ready && !st.closed {
		n := st.s.Write(st.out)
		st.out = st.out[n:]
		if len(st.out) == 0 {
			st.s.Close()
			st.closed = true
		}
	}
	for !st.eof && st.s.CanRecv() {
		n, err := st.s.Read(buf)
		st.in = append(st.in, buf[:n]...)
		var ae *ApplicationError
		switch {
		case errors.Is(err, io.EOF):
			st.eof = true
		case errors.As(err, &ae):
			st.eof, st.reset = true, true
		case err != nil:
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
}

// FuzzStreamPair runs the pair transfer with fuzzed loss, cancellation
// and randomness seed, checking byte-exact delivery and clean-up.
func FuzzStreamPair(f *testing.F) {
	f.Add(uint64(1), uint8(10), uint8(0))
	f.Add(uint64(2), uint8(40), uint8(30))
	f.Fuzz(func(t *testing.T, seed uint64, loss, cancel uint8) {
		testStreamPair(t, int(loss%60), int(cancel%100), seed, 6, 5000)
	})
}

func testStreamPair(t *testing.T, loss, cancel int, seed uint64, nStreams, maxReq int) {
	cfg := StreamMapConfig{MaxIncomingBidi: 4, MaxIncomingUni: 4, StreamWindow: 4000,
		MaxStreamWindow: 64000, ConnWindow: 6000, MaxConnWindow: 100000, SendBuffer: 3000}
	lim := StreamPeerLimits{MaxData: 6000, MaxStreamDataBidiLocal: 4000,
		MaxStreamDataBidiRemote: 4000, MaxStreamDataUni: 4000, MaxStreamsBidi: 4, MaxStreamsUni: 4}
	p := &streamPair{t: t, rng: rand.New(rand.NewPCG(seed, 7)), loss: loss}
	p.cli = NewStreamMap(cfg)
	cfg.IsServer = true
	p.srv = NewStreamMap(cfg)
	p.cli.SetPeerLimits(lim)
	p.srv.SetPeerLimits(lim)

	reqs := make([][]byte, nStreams)
	for i := range reqs {
		reqs[i] = make([]byte, p.rng.IntN(maxReq))
		for j := range reqs[i] {
			reqs[i][j] = byte(p.rng.Uint32())
		}
	}
	var cli, srv []*pairSide
	buf := make([]byte, 1500)
	for round := 0; round < 20000; round++ {
		if len(cli) < nStreams {
			if s, ok := p.cli.OpenStream(true); ok {
				cli = append(cli, &pairSide{s: s, out: reqs[len(cli)], ready: true})
			}
		}
		for n, ok := p.srv.NextNotice(); ok; n, ok = p.srv.NextNotice() {
			if n.Kind == StreamNoticeOpened {
				srv = append(srv, &pairSide{s: p.srv.Get(n.ID)})
			}
		}
		for p.cli.notices.len() > 0 {
			p.cli.NextNotice()
		}
		for _, st := range cli {
			if !st.eof && p.rng.IntN(1000) < cancel {
				st.s.CancelWrite(1)
				st.s.CancelRead(2)
				st.eof, st.cancelled = true, true
			}
			if st.cancelled {
				continue
			}
			st.pump(t, buf)
			if st.reset {
				t.Fatalf("stream %d reset by the server", st.s.ID())
			}
		}
		for _, st := range srv {
			st.pump(t, buf)
			switch {
			case st.reset && !st.closed:
				st.s.CancelWrite(3)
				st.closed = true
			case st.eof && !st.ready:
				st.out, st.ready = append([]byte("re:"), st.in...), true // echo
			}
		}
		p.flight(p.cli, p.srv, 1+p.rng.IntN(20))
		p.flight(p.srv, p.cli, 1+p.rng.IntN(20))
		done := len(cli) == nStreams
		for _, st := range cli {
			done = done && st.eof
		}
		if done && p.cli.Len() == 0 && p.srv.Len() == 0 {
			for i, st := range cli {
				want := append([]byte("re:"), reqs[i]...)
				if !st.cancelled && !bytes.Equal(st.in, want) {
					t.Fatalf("loss %d seed %d stream %d: response differs", loss, seed, i)
				}
			}
			return
		}
	}
	t.Fatalf("loss %d cancel %d seed %d: transfer did not finish (%d/%d streams opened, %d/%d live)",
		loss, cancel, seed, len(cli), nStreams, p.cli.Len(), p.srv.Len())
}
