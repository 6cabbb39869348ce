package quic

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/h3wasi/h3wasi/internal/quicwire"
)

// streamFramesIn returns the STREAM frames of a 1-RTT packet payload (copied).
func streamFramesIn(p []byte) ([]quicwire.StreamFrame, error) {
	var out []quicwire.StreamFrame
	var ranges []quicwire.AckRange
	for len(p) > 0 {
		ft, _, err := quicwire.ParseFrameType(p)
		if err != nil {
			return out, err
		}
		var n int
		switch {
		case ft == quicwire.FrameTypePadding:
			_, n, err = quicwire.ParsePaddingFrame(p)
		case ft == quicwire.FrameTypePing:
			_, n, err = quicwire.ParsePingFrame(p)
		case ft == quicwire.FrameTypeAck || ft == quicwire.FrameTypeAckECN:
			_, n, err = quicwire.ParseAckFrame(p, ranges)
		case ft.IsStream():
			var f quicwire.StreamFrame
			f, n, err = quicwire.ParseStreamFrame(p)
			f.Data = bytes.Clone(f.Data)
			out = append(out, f)
		case ft == quicwire.FrameTypeMaxData:
			_, n, err = quicwire.ParseMaxDataFrame(p)
		case ft == quicwire.FrameTypeMaxStreamData:
			_, n, err = quicwire.ParseMaxStreamDataFrame(p)
		case ft == quicwire.FrameTypeMaxStreamsBidi || ft == quicwire.FrameTypeMaxStreamsUni:
			_, n, err = quicwire.ParseMaxStreamsFrame(p)
		case ft == quicwire.FrameTypeNewConnectionID:
			_, n, err = quicwire.ParseNewConnectionIDFrame(p)
		case ft == quicwire.FrameTypeRetireConnectionID:
			_, n, err = quicwire.ParseRetireConnectionIDFrame(p)
		default:
			return out, fmt.Errorf("frame type %v not handled by the test", ft)
		}
		if err != nil {
			return out, err
		}
		p = p[n:]
	}
	return out, nil
}

func TestWriteAndCloseOnePacket(t *testing.T) {
	data := testData(100)
	for _, tc := range []struct {
		name    string
		send    func(s *Stream) error
		packets int // 1-RTT packets carrying the stream's frames
	}{
		{"WriteAndClose", func(s *Stream) error {
			n, err := s.WriteAndClose(data)
			if n != len(data) {
				return fmt.Errorf("WriteAndClose wrote %d of %d bytes: %v", n, len(data), err)
			}
			return err
		}, 1},
		// A deferred write waits for the next one: both leave in one packet.
		{"WriteDeferred then WriteAndClose", func(s *Stream) error {
			if _, err := s.WriteDeferred(data[:10]); err != nil {
				return err
			}
			_, err := s.WriteAndClose(data[10:])
			return err
		}, 1},
		// Write and Close flush one after the other: the FIN goes in its own packet.
		{"Write then Close", func(s *Stream) error {
			if _, err := s.Write(data); err != nil {
				return err
			}
			return s.Close()
		}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var frames [][]quicwire.StreamFrame // per 1-RTT packet with STREAM frames
			var parseErr error
			tracer := func(ev TraceEvent) {
				if ev.Kind != TracePacketSent || ev.PacketType != "1-RTT" {
					return
				}
				fs, err := streamFramesIn(ev.Payload)
				mu.Lock()
				defer mu.Unlock()
				if err != nil && parseErr == nil {
					parseErr = err
				}
				if len(fs) > 0 {
					frames = append(frames, fs)
				}
			}
			p := newTestPair(t, networks[1], nil, &Config{Tracer: tracer})
			s, err := p.client.OpenStream()
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.send(s); err != nil {
				t.Fatal(err)
			}
			ss, err := p.server.AcceptStream(testCtx(t))
			if err != nil {
				t.Fatal(err)
			}
			if got, err := io.ReadAll(ss); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("server read %d bytes, %v", len(got), err)
			}
			mu.Lock()
			defer mu.Unlock()
			if parseErr != nil {
				t.Fatal(parseErr)
			}
			if len(frames) != tc.packets {
				t.Fatalf("%d packets carried STREAM frames, want %d: %+v", len(frames), tc.packets, frames)
			}
			first := frames[0]
			if len(first) != 1 || first[0].StreamID != uint64(s.StreamID()) || first[0].Offset != 0 ||
				!bytes.Equal(first[0].Data, data) {
				t.Fatalf("first packet's STREAM frames: %+v", first)
			}
			last := frames[len(frames)-1]
			if len(last) != 1 || !last[0].Fin {
				t.Errorf("last packet's STREAM frames carry no FIN: %+v", last)
			}
		})
	}
}

// TestWriteDeferredAlone: deferred data with nothing to follow it still leaves,
// after DeferredWriteDelay.
func TestWriteDeferredAlone(t *testing.T) {
	p := newTestPair(t, networks[0], nil, nil)
	s, err := p.client.OpenStream()
	if err != nil {
		t.Fatal(err)
	}
	data := testData(100)
	if _, err := s.WriteDeferred(data); err != nil {
		t.Fatal(err)
	}
	ss, err := p.server.AcceptStream(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(data))
	if _, err := io.ReadFull(ss, got); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("server read %q, %v", got, err)
	}
}

// TestWriteAndCloseLarge: data beyond the send buffer is written as Write does, the FIN
// after it; a later write fails.
func TestWriteAndCloseLarge(t *testing.T) {
	p := newTestPair(t, networks[1], nil, nil)
	data := testData(5 << 20)
	s, err := p.client.OpenUniStream()
	if err != nil {
		t.Fatal(err)
	}
	werr := make(chan error, 1)
	go func() {
		n, err := s.WriteAndClose(data)
		if err == nil && n != len(data) {
			err = fmt.Errorf("wrote %d of %d bytes", n, len(data))
		}
		werr <- err
	}()
	rs, err := p.server.AcceptUniStream(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(rs); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes, %v", len(got), err)
	}
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteAndClose([]byte("x")); err == nil {
		t.Error("WriteAndClose after the FIN succeeded")
	}
}

// TestSetPriority: priorities reach the core's scheduler, and prioritised streams
// deliver their data (the order is tested in the core, TestStreamMapPriority).
func TestSetPriority(t *testing.T) {
	p := newTestPair(t, networks[1], nil, nil)
	ctx := testCtx(t)
	go echoServer(p.server)
	for i, tc := range []struct {
		urgency     uint8
		incremental bool
		want        uint8
	}{{0, false, 0}, {7, true, 7}, {3, true, 3}, {9, false, 7}} {
		s, err := p.client.OpenStreamSync(ctx)
		if err != nil {
			t.Fatal(err)
		}
		s.SetPriority(tc.urgency, tc.incremental)
		p.ct.mu.Lock()
		u, inc := s.sendHalf.s.cs.Priority()
		p.ct.mu.Unlock()
		if u != tc.want || inc != tc.incremental {
			t.Errorf("SetPriority(%d, %v): core has %d, %v", tc.urgency, tc.incremental, u, inc)
		}
		data := testData(100<<10 + i)
		go s.WriteAndClose(data)
		if got, err := io.ReadAll(s); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("stream %d: echo of %d bytes, %v", i, len(got), err)
		}
	}
}
