package quicproto

import (
	"bytes"
	"testing"
)

func newTestSend(limit uint64, buf int) *SendStream {
	s := new(SendStream)
	s.Init(limit, buf)
	return s
}

func TestSendStreamStates(t *testing.T) {
	tests := []struct {
		name string
		run  func(s *SendStream)
		want SendState
	}{
		{"new", func(s *SendStream) {}, SendReady},
		{"written not sent", func(s *SendStream) { s.Write([]byte("abc")) }, SendReady},
		{"sent", func(s *SendStream) {
			s.Write([]byte("abc"))
			s.NextChunk(100, 100)
		}, SendSend},
		{"fin sent with data", func(s *SendStream) {
			s.Write([]byte("abc"))
			s.Close()
			s.NextChunk(100, 100)
		}, SendDataSent},
		{"fin sent alone", func(s *SendStream) {
			s.Write([]byte("abc"))
			s.NextChunk(100, 100)
			s.Close()
			s.NextChunk(100, 100)
		}, SendDataSent},
		{"empty stream fin", func(s *SendStream) {
			s.Close()
			s.NextChunk(100, 100)
		}, SendDataSent},
		{"all acked", func(s *SendStream) {
			s.Write([]byte("abc"))
			s.Close()
			s.NextChunk(100, 100)
			s.OnAck(0, 3, true)
		}, SendDataRecvd},
		{"data acked fin not", func(s *SendStream) {
			s.Write([]byte("abc"))
			s.NextChunk(100, 100)
			s.Close()
			s.NextChunk(100, 100)
			s.OnAck(0, 3, false)
		}, SendDataSent},
		{"reset from ready", func(s *SendStream) { s.CancelWrite(7) }, SendResetSent},
		{"reset from send", func(s *SendStream) {
			s.Write([]byte("abc"))
			s.NextChunk(100, 100)
			s.CancelWrite(7)
		}, SendResetSent},
		{"reset from data sent", func(s *SendStream) {
			s.Close()
			s.NextChunk(100, 100)
			s.CancelWrite(7)
		}, SendResetSent},
		{"reset acked", func(s *SendStream) {
			s.CancelWrite(7)
			s.OnResetSent()
			s.OnResetAcked()
		}, SendResetRecvd},
		{"no reset after data recvd", func(s *SendStream) {
			s.Close()
			s.NextChunk(100, 100)
			s.OnAck(0, 0, true)
			s.CancelWrite(7)
		}, SendDataRecvd},
		{"stop sending", func(s *SendStream) { s.OnStopSending(9) }, SendResetSent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestSend(1000, 1000)
			tt.run(s)
			if s.State() != tt.want {
				t.Fatalf("state %v, want %v", s.State(), tt.want)
			}
		})
	}
}

func TestSendStreamResetFrame(t *testing.T) {
	s := newTestSend(1000, 1000)
	s.Write(make([]byte, 500))
	s.NextChunk(100, 1000)
	s.NextChunk(100, 1000)
	s.OnStopSending(42)
	code, size, ok := s.ResetPending()
	if !ok || code != 42 || size != 200 {
		t.Fatalf("ResetPending = %d %d %v, want 42 200 true", code, size, ok)
	}
	if _, ok := s.NextChunk(100, 1000); ok {
		t.Fatal("chunk after reset")
	}
	if c, ok := s.Stopped(); !ok || c != 42 {
		t.Fatalf("Stopped = %d %v", c, ok)
	}
	if s.Write([]byte("x")) != 0 {
		t.Fatal("write after reset")
	}
	s.OnResetSent()
	if _, _, ok := s.ResetPending(); ok {
		t.Fatal("still pending after sent")
	}
	s.OnResetLost()
	if _, _, ok := s.ResetPending(); !ok {
		t.Fatal("not pending after loss")
	}
	s.OnResetSent()
	s.OnResetAcked()
	s.OnResetLost()
	if _, _, ok := s.ResetPending(); ok || !s.Done() {
		t.Fatal("pending after ack, or not done")
	}
}

func TestSendStreamRetransmitFirst(t *testing.T) {
	s := newTestSend(1<<20, 1<<20)
	data := make([]byte, 3000)
	for i := range data {
		data[i] = byte(i)
	}
	s.Write(data)
	var chunks []StreamChunk
	for {
		c, ok := s.NextChunk(1000, 1<<20)
		if !ok {
			break
		}
		chunks = append(chunks, c)
	}
	if len(chunks) != 3 {
		t.Fatalf("%d chunks, want 3", len(chunks))
	}
	s.OnAck(1000, 1000, false)
	s.OnLost(0, 1000, false)
	s.OnLost(1000, 1000, false) // already acked: not resent
	s.Write(data[:10])
	c, ok := s.NextChunk(600, 1<<20)
	if !ok || c.Offset != 0 || len(c.Data) != 600 || c.NewBytes != 0 {
		t.Fatalf("first chunk after loss %+v", c)
	}
	c, _ = s.NextChunk(600, 1<<20)
	if c.Offset != 600 || len(c.Data) != 400 || !bytes.Equal(c.Data, data[600:1000]) {
		t.Fatalf("second chunk %d %d", c.Offset, len(c.Data))
	}
	c, _ = s.NextChunk(600, 1<<20)
	if c.Offset != 3000 || len(c.Data) != 10 || c.NewBytes != 10 {
		t.Fatalf("new data chunk %d %d", c.Offset, len(c.Data))
	}
}

func TestSendStreamWriteLimit(t *testing.T) {
	s := newTestSend(1<<20, 5000)
	if n := s.Write(make([]byte, 8000)); n != 5000 {
		t.Fatalf("wrote %d, want 5000", n)
	}
	if s.WriteSpace() != 0 {
		t.Fatal("space left")
	}
	c, _ := s.NextChunk(2000, 1<<20)
	if s.OnAck(c.Offset, len(c.Data), false) != true {
		t.Fatal("ack did not report writable")
	}
	if s.WriteSpace() != 2000 {
		t.Fatalf("space %d, want 2000", s.WriteSpace())
	}
}

func TestSendStreamFlowControl(t *testing.T) {
	s := newTestSend(100, 1000)
	s.Write(make([]byte, 300))
	if _, ok := s.BlockedPending(); ok {
		t.Fatal("blocked before credit ran out")
	}
	c, _ := s.NextChunk(1000, 1000)
	if len(c.Data) != 100 {
		t.Fatalf("sent %d beyond credit 100", len(c.Data))
	}
	lim, ok := s.BlockedPending()
	if !ok || lim != 100 {
		t.Fatalf("BlockedPending = %d %v", lim, ok)
	}
	s.OnBlockedSent(100)
	if _, ok := s.NextChunk(1000, 1000); ok {
		t.Fatal("chunk without credit")
	}
	if _, ok := s.BlockedPending(); ok {
		t.Fatal("STREAM_DATA_BLOCKED repeated for the same limit")
	}
	s.OnBlockedLost(100)
	if _, ok := s.BlockedPending(); !ok {
		t.Fatal("lost STREAM_DATA_BLOCKED not rescheduled")
	}
	s.OnMaxStreamData(250)
	if _, ok := s.BlockedPending(); ok {
		t.Fatal("blocked pending after credit raise")
	}
	c, _ = s.NextChunk(1000, 20)
	if len(c.Data) != 20 {
		t.Fatalf("sent %d beyond connection credit 20", len(c.Data))
	}
}

// TestSendStreamRingWrap writes and acknowledges more than the buffer
// limit many times, so chunks cross the ring's end.
func TestSendStreamRingWrap(t *testing.T) {
	s := newTestSend(1<<40, 5000)
	var want, got []byte
	for i := 0; len(got) < 100000; i++ {
		p := make([]byte, 777)
		for j := range p {
			p[j] = byte(i*7 + j)
		}
		n := s.Write(p)
		want = append(want, p[:n]...)
		c, ok := s.NextChunk(1234, 1<<40)
		if !ok {
			continue
		}
		if c.Offset != uint64(len(got)) {
			t.Fatalf("offset %d, want %d", c.Offset, len(got))
		}
		got = append(got, c.Data...)
		s.OnAck(c.Offset, len(c.Data), c.Fin)
	}
	if !bytes.Equal(got, want[:len(got)]) {
		t.Fatal("data mismatch")
	}
}
