package quicproto

import (
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

// fuzzByte is the content of stream byte o in the fuzz targets, so any
// data delivered can be checked without keeping a copy.
func fuzzByte(o uint64) byte { return byte(o*7 + o>>8) }

func fuzzData(off uint64, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = fuzzByte(off + uint64(i))
	}
	return b
}

// fuzzOps reads little records from b: an op byte then two varint-ish
// values, so the fuzzer can steer offsets and lengths.
type fuzzOps struct{ b []byte }

func (f *fuzzOps) more() bool { return len(f.b) > 0 }

func (f *fuzzOps) byte() byte {
	if len(f.b) == 0 {
		return 0
	}
	c := f.b[0]
	f.b = f.b[1:]
	return c
}

func (f *fuzzOps) uint(maxBits int) uint64 {
	v, n := binary.Uvarint(f.b)
	if n <= 0 {
		f.b = nil
		return 0
	}
	f.b = f.b[n:]
	return v & (1<<maxBits - 1)
}

// checkTransportErr fails unless err is nil or a *TransportError.
func checkTransportErr(t *testing.T, err error) bool {
	if err == nil {
		return true
	}
	var te *TransportError
	if !errors.As(err, &te) {
		t.Fatalf("untyped error %v", err)
	}
	return false
}

// FuzzStreamRecv feeds STREAM and RESET_STREAM frames at fuzzed offsets
// into a receiving part, reading in between, and checks that whatever is
// read is the stream's true content, in order.
func FuzzStreamRecv(f *testing.F) {
	f.Add([]byte{0, 0, 10, 0, 10, 10, 1, 20, 5})
	f.Add([]byte{0, 100, 50, 0, 0, 100, 1, 150, 0, 2, 0, 0})
	f.Add([]byte{3, 5, 30, 0, 0, 40, 2, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		ops := &fuzzOps{b: in}
		r := new(RecvStream)
		r.Init(4096, 1<<16)
		var read uint64
		buf := make([]byte, 700)
		for ops.more() {
			var err error
			switch op := ops.byte() % 4; op {
			case 0, 1: // STREAM frame, with FIN when op == 1
				off, n := ops.uint(14), int(ops.uint(11))
				_, _, err = r.OnStreamFrame(off, fuzzData(off, n), op == 1)
			case 2:
				n, rerr := r.Read(buf, int64(read), 1000)
				for i := range n {
					if buf[i] != fuzzByte(read+uint64(i)) {
						t.Fatalf("byte %d corrupted", read+uint64(i))
					}
				}
				read += uint64(n)
				if rerr != nil && rerr != io.EOF {
					var ae *ApplicationError
					if !errors.As(rerr, &ae) {
						t.Fatalf("read error %v", rerr)
					}
				}
				if l, ok := r.UpdatePending(); ok {
					r.OnUpdateSent(l)
				}
			case 3:
				switch ops.byte() % 3 {
				case 0:
					_, _, err = r.OnResetStream(7, ops.uint(14))
				case 1:
					r.CancelRead(3)
				default:
					r.TakeFreed()
				}
			}
			if !checkTransportErr(t, err) {
				return
			}
		}
	})
}

// FuzzStreamSend drives a sending part with writes, chunks and fuzzed
// acknowledgments and losses of the chunks sent, and checks that chunks
// always carry the stream's true content and that the buffer stays bounded.
func FuzzStreamSend(f *testing.F) {
	f.Add([]byte{0, 200, 1, 100, 1, 100, 2, 0, 3, 1, 1, 100})
	f.Add([]byte{0, 255, 0, 255, 4, 1, 255, 2, 0, 1, 255, 2, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		ops := &fuzzOps{b: in}
		s := new(SendStream)
		s.Init(1<<20, 3000)
		var written uint64
		var sent []StreamChunk
		for ops.more() {
			switch ops.byte() % 6 {
			case 0:
				written += uint64(s.Write(fuzzData(written, int(ops.uint(12)))))
			case 1:
				c, ok := s.NextChunk(int(ops.uint(11)), ops.uint(12))
				if !ok {
					continue
				}
				for i, b := range c.Data {
					if b != fuzzByte(c.Offset+uint64(i)) {
						t.Fatalf("chunk byte %d corrupted", c.Offset+uint64(i))
					}
				}
				sent = append(sent, StreamChunk{Offset: c.Offset, Data: make([]byte, len(c.Data)), Fin: c.Fin})
			case 2, 3:
				if len(sent) == 0 {
					continue
				}
				i := int(ops.uint(8)) % len(sent)
				c := sent[i]
				sent = append(sent[:i], sent[i+1:]...)
				if len(ops.b) > 0 && ops.b[0]&1 == 0 {
					s.OnAck(c.Offset, len(c.Data), c.Fin)
				} else {
					s.OnLost(c.Offset, len(c.Data), c.Fin)
				}
			case 4:
				s.Close()
			case 5:
				if ops.byte()%4 == 0 {
					s.CancelWrite(1)
				} else {
					s.OnMaxStreamData(ops.uint(20))
				}
			}
			if s.written-s.acked > 3000 {
				t.Fatalf("buffered %d bytes beyond the limit", s.written-s.acked)
			}
		}
	})
}

// FuzzStreamMapFrames applies fuzzed stream-related frames from the peer,
// mixed with local application and sender activity, to a StreamMap: it
// must never panic and must only fail with a *TransportError.
func FuzzStreamMapFrames(f *testing.F) {
	f.Add(true, []byte{0, 0, 0, 10, 1, 4, 0, 5, 2, 1, 9, 0})
	f.Add(false, []byte{0, 1, 0, 100, 3, 3, 100, 4, 5, 1, 6, 0, 8, 0, 9, 0, 10, 1, 11, 0})
	f.Add(true, []byte{5, 8, 200, 7, 1, 12, 0, 12, 1, 13, 0})
	f.Fuzz(func(t *testing.T, server bool, in []byte) {
		ops := &fuzzOps{b: in}
		m := NewStreamMap(StreamMapConfig{IsServer: server, MaxIncomingBidi: 3, MaxIncomingUni: 3,
			StreamWindow: 2000, MaxStreamWindow: 8000, ConnWindow: 5000, MaxConnWindow: 20000, SendBuffer: 3000})
		m.SetPeerLimits(StreamPeerLimits{MaxData: 5000, MaxStreamDataBidiLocal: 1000,
			MaxStreamDataBidiRemote: 1000, MaxStreamDataUni: 1000, MaxStreamsBidi: 2, MaxStreamsUni: 2})
		var chunks []StreamChunk
		var ctrls []StreamControl
		buf := make([]byte, 500)
		for ops.more() {
			var err error
			op := ops.byte() % 14
			id := StreamID(ops.uint(6))
			switch op {
			case 0:
				off, n := ops.uint(12), int(ops.uint(10))
				err = m.OnStreamFrame(id, off, fuzzData(off, n), ops.byte()&1 == 1)
			case 1:
				err = m.OnResetStream(id, 5, ops.uint(13))
			case 2:
				err = m.OnStopSending(id, 6)
			case 3:
				err = m.OnMaxStreamData(id, ops.uint(14))
			case 4:
				err = m.OnStreamDataBlocked(id, ops.uint(14))
			case 5:
				m.OnMaxData(ops.uint(16))
			case 6:
				err = m.OnMaxStreams(id&1 == 0, ops.uint(62))
			case 7:
				err = m.OnStreamsBlocked(id&1 == 0, ops.uint(62))
			case 8:
				if s, ok := m.OpenStream(id&1 == 0); ok {
					s.Write(fuzzData(0, int(ops.uint(12))))
				}
			case 9:
				if s := m.Get(id); s != nil {
					switch ops.byte() % 5 {
					case 0:
						s.Read(buf)
					case 1:
						s.Write(fuzzData(0, 700))
					case 2:
						s.Close()
					case 3:
						s.CancelRead(1)
					default:
						s.CancelWrite(2)
					}
				}
			case 10:
				space, has := int(ops.uint(11)), m.HasSendData()
				c, ok := m.NextChunk(space)
				if space >= 64 && ok != has {
					t.Fatalf("HasSendData %v but NextChunk %v", has, ok)
				}
				if ok {
					chunks = append(chunks, StreamChunk{ID: c.ID, Offset: c.Offset, Data: make([]byte, len(c.Data)), Fin: c.Fin})
				}
				if c, ok := m.NextControl(); ok {
					m.OnControlSent(c)
					ctrls = append(ctrls, c)
				}
			case 11, 12:
				if len(chunks) > 0 {
					c := chunks[0]
					chunks = chunks[1:]
					if op == 11 {
						m.OnStreamAcked(c.ID, c.Offset, len(c.Data), c.Fin)
					} else {
						m.OnStreamLost(c.ID, c.Offset, len(c.Data), c.Fin)
					}
				}
			case 13:
				if len(ctrls) > 0 {
					c := ctrls[0]
					ctrls = ctrls[1:]
					if id&1 == 0 {
						m.OnControlAcked(c)
					} else {
						m.OnControlLost(c)
					}
				}
			}
			m.NextNotice()
			if !checkTransportErr(t, err) {
				return
			}
		}
	})
}
