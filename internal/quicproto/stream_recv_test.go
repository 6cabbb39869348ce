package quicproto

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

func newTestRecv(window uint64) *RecvStream {
	r := new(RecvStream)
	r.Init(window, window)
	return r
}

// wantCode checks that err is a *TransportError with the given code.
func wantCode(t *testing.T, err error, code ErrorCode) {
	t.Helper()
	var te *TransportError
	if code == NoError {
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		return
	}
	if !errors.As(err, &te) || te.Code != code {
		t.Fatalf("error %v, want code 0x%x", err, uint64(code))
	}
}

type recvOp struct {
	reset     bool
	code      uint64
	off       uint64
	n         int
	fin       bool
	finalSize uint64 // for reset
}

func (op recvOp) apply(r *RecvStream) error {
	if op.reset {
		_, _, err := r.OnResetStream(op.code, op.finalSize)
		return err
	}
	_, _, err := r.OnStreamFrame(op.off, make([]byte, op.n), op.fin)
	return err
}

func TestRecvStreamErrors(t *testing.T) {
	tests := []struct {
		name string
		ops  []recvOp
		want ErrorCode
	}{
		{"within window", []recvOp{{off: 0, n: 1000}}, NoError},
		{"beyond window", []recvOp{{off: 1000, n: 1}}, FlowControlError},
		{"beyond window at offset", []recvOp{{off: 600, n: 401}}, FlowControlError},
		{"offset beyond 2^62", []recvOp{{off: 1<<62 - 1, n: 1}}, FrameEncodingError},
		{"fin then data beyond", []recvOp{{off: 0, n: 10, fin: true}, {off: 10, n: 1}}, FinalSizeError},
		{"fin changed", []recvOp{{off: 0, n: 10, fin: true}, {off: 0, n: 11, fin: true}}, FinalSizeError},
		{"fin smaller", []recvOp{{off: 0, n: 10, fin: true}, {off: 0, n: 9, fin: true}}, FinalSizeError},
		{"fin below received", []recvOp{{off: 0, n: 10}, {off: 0, n: 5, fin: true}}, FinalSizeError},
		{"fin repeated", []recvOp{{off: 0, n: 10, fin: true}, {off: 5, n: 5, fin: true}}, NoError},
		{"data inside final size", []recvOp{{off: 5, n: 5, fin: true}, {off: 0, n: 5}}, NoError},
		{"reset below received", []recvOp{{off: 0, n: 10}, {reset: true, finalSize: 9}}, FinalSizeError},
		{"reset changes fin", []recvOp{{off: 0, n: 10, fin: true}, {reset: true, finalSize: 11}}, FinalSizeError},
		{"reset same fin", []recvOp{{off: 0, n: 10, fin: true}, {reset: true, finalSize: 10}}, NoError},
		{"reset beyond window", []recvOp{{reset: true, finalSize: 1001}}, FlowControlError},
		{"data after reset beyond", []recvOp{{reset: true, finalSize: 10}, {off: 10, n: 1}}, FinalSizeError},
		{"reset twice different", []recvOp{{reset: true, finalSize: 10}, {reset: true, finalSize: 12}}, FinalSizeError},
		{"reset twice same", []recvOp{{reset: true, finalSize: 10}, {reset: true, finalSize: 10}}, NoError},
		{"data after data read beyond", []recvOp{{off: 0, n: 0, fin: true}, {off: 0, n: 1}}, FinalSizeError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRecv(1000)
			var err error
			for _, op := range tt.ops {
				if err = op.apply(r); err != nil {
					break
				}
			}
			wantCode(t, err, tt.want)
		})
	}
}

func TestRecvStreamStates(t *testing.T) {
	buf := make([]byte, 100)
	tests := []struct {
		name string
		run  func(r *RecvStream)
		want RecvState
	}{
		{"new", func(r *RecvStream) {}, RecvRecv},
		{"data", func(r *RecvStream) { r.OnStreamFrame(0, []byte("ab"), false) }, RecvRecv},
		{"fin with gap", func(r *RecvStream) { r.OnStreamFrame(5, []byte("ab"), true) }, RecvSizeKnown},
		{"all data", func(r *RecvStream) { r.OnStreamFrame(0, []byte("ab"), true) }, RecvDataRecvd},
		{"gap filled", func(r *RecvStream) {
			r.OnStreamFrame(2, []byte("cd"), true)
			r.OnStreamFrame(0, []byte("ab"), false)
		}, RecvDataRecvd},
		{"all read", func(r *RecvStream) {
			r.OnStreamFrame(0, []byte("ab"), true)
			r.Read(buf, 0, 0)
		}, RecvDataRead},
		{"read then fin", func(r *RecvStream) {
			r.OnStreamFrame(0, []byte("ab"), false)
			r.Read(buf, 0, 0)
			r.OnStreamFrame(2, nil, true)
			r.Read(buf, 0, 0)
		}, RecvDataRead},
		{"reset", func(r *RecvStream) { r.OnResetStream(3, 10) }, RecvResetRecvd},
		{"reset in size known", func(r *RecvStream) {
			r.OnStreamFrame(5, []byte("ab"), true)
			r.OnResetStream(3, 7)
		}, RecvResetRecvd},
		{"reset ignored in data recvd", func(r *RecvStream) {
			r.OnStreamFrame(0, []byte("ab"), true)
			r.OnResetStream(3, 2)
		}, RecvDataRecvd},
		{"reset read", func(r *RecvStream) {
			r.OnResetStream(3, 10)
			r.Read(buf, 0, 0)
		}, RecvResetRead},
		{"cancel then reset", func(r *RecvStream) {
			r.CancelRead(1)
			r.OnResetStream(3, 10)
		}, RecvResetRead},
		{"cancel then fin", func(r *RecvStream) {
			r.CancelRead(1)
			r.OnStreamFrame(5, []byte("ab"), true)
		}, RecvDataRead},
		{"cancel in size known", func(r *RecvStream) {
			r.OnStreamFrame(5, []byte("ab"), true)
			r.CancelRead(1)
		}, RecvDataRead},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRecv(1000)
			tt.run(r)
			if r.State() != tt.want {
				t.Fatalf("state %v, want %v", r.State(), tt.want)
			}
		})
	}
}

func TestRecvStreamReadResults(t *testing.T) {
	r := newTestRecv(1000)
	buf := make([]byte, 10)
	if n, err := r.Read(buf, 0, 0); n != 0 || err != nil {
		t.Fatalf("empty read = %d %v", n, err)
	}
	r.OnStreamFrame(0, []byte("hello"), true)
	if n, err := r.Read(buf, 0, 0); n != 5 || err != io.EOF || string(buf[:5]) != "hello" {
		t.Fatalf("read = %d %v %q", n, err, buf[:n])
	}
	r = newTestRecv(1000)
	r.OnStreamFrame(0, []byte("hello"), false)
	r.OnResetStream(77, 5)
	var ae *ApplicationError
	if _, err := r.Read(buf, 0, 0); !errors.As(err, &ae) || ae.Code != 77 || !ae.Remote {
		t.Fatalf("read after reset: %v", err)
	}
	if r.TakeFreed() != 5 {
		t.Fatal("reset did not free unread bytes")
	}
}

func TestRecvStreamStopSending(t *testing.T) {
	r := newTestRecv(1000)
	r.OnStreamFrame(0, make([]byte, 300), false)
	r.CancelRead(5)
	if code, ok := r.StopPending(); !ok || code != 5 {
		t.Fatalf("StopPending = %d %v", code, ok)
	}
	if r.TakeFreed() != 300 {
		t.Fatal("buffered bytes not freed")
	}
	credit, _, _ := r.OnStreamFrame(300, make([]byte, 100), false)
	if credit != 100 || r.TakeFreed() != 100 {
		t.Fatal("data after CancelRead not charged and freed")
	}
	r.OnStopSent()
	r.OnStopLost()
	if _, ok := r.StopPending(); !ok {
		t.Fatal("lost STOP_SENDING not rescheduled")
	}
	r.OnResetStream(1, 500)
	if _, ok := r.StopPending(); ok || !r.Done() {
		t.Fatal("STOP_SENDING pending after reset, or not done")
	}
	if r.TakeFreed() != 100 {
		t.Fatal("reset final size not freed")
	}
}

// TestRecvStreamReassembly feeds random overlapping, duplicated and
// reordered chunks and checks the byte stream comes out intact.
func TestRecvStreamReassembly(t *testing.T) {
	for seed := range uint64(50) {
		rng := rand.New(rand.NewPCG(seed, 1))
		size := 1 + rng.IntN(200000)
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		r := newTestRecv(1 << 20)
		var out []byte
		buf := make([]byte, 1+rng.IntN(5000))
		for done := false; !done; {
			off := rng.IntN(size)
			if rng.IntN(4) == 0 {
				off = len(out) // bias towards progress
			}
			end := min(size, off+1+rng.IntN(3000))
			if _, _, err := r.OnStreamFrame(uint64(off), data[off:end], end == size); err != nil {
				t.Fatal(err)
			}
			if rng.IntN(3) == 0 {
				continue
			}
			n, err := r.Read(buf, 0, 0)
			out = append(out, buf[:n]...)
			done = err == io.EOF
		}
		if !bytes.Equal(out, data) {
			t.Fatalf("seed %d: reassembled %d bytes differ from %d sent", seed, len(out), size)
		}
	}
}

func TestRecvStreamWindowUpdate(t *testing.T) {
	r := newTestRecv(1000)
	buf := make([]byte, 1000)
	r.OnStreamFrame(0, make([]byte, 499), false)
	r.Read(buf, 0, 0)
	if _, ok := r.UpdatePending(); ok {
		t.Fatal("update before half the window was consumed")
	}
	r.OnStreamFrame(499, make([]byte, 1), false)
	r.Read(buf, 0, 0)
	lim, ok := r.UpdatePending()
	if !ok || lim != 1500 {
		t.Fatalf("UpdatePending = %d %v, want 1500 true", lim, ok)
	}
	r.OnUpdateSent(lim)
	if _, _, err := r.OnStreamFrame(500, make([]byte, 1000), false); err != nil {
		t.Fatal(err)
	}
	r.OnUpdateLost(lim)
	if l, ok := r.UpdatePending(); !ok || l != 1500 {
		t.Fatalf("lost update not rescheduled: %d %v", l, ok)
	}
	r.OnStreamFrame(1500, nil, true)
	if _, ok := r.UpdatePending(); ok {
		t.Fatal("update pending once the final size is known")
	}
}

func TestRecvStreamAutoTune(t *testing.T) {
	const ms = int64(1e6)
	tests := []struct {
		name       string
		perRead    int64 // ns between reads of 100 bytes
		wantGrowth bool
	}{
		{"fast reader grows", ms / 10, true},
		{"slow reader keeps", 100 * ms, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := new(RecvStream)
			r.Init(1000, 8000)
			buf := make([]byte, 100)
			now := int64(0)
			for off := uint64(0); off < 3000; off += 100 {
				if _, _, err := r.OnStreamFrame(off, make([]byte, 100), false); err != nil {
					t.Fatal(err)
				}
				now += tt.perRead
				r.Read(buf, now, 10*1e6)
				if l, ok := r.UpdatePending(); ok {
					r.OnUpdateSent(l)
				}
			}
			if grew := r.Window() > 1000; grew != tt.wantGrowth {
				t.Fatalf("window %d, growth %v want %v", r.Window(), grew, tt.wantGrowth)
			}
			if r.Window() > 8000 {
				t.Fatalf("window %d beyond maximum", r.Window())
			}
		})
	}
}

// TestRecvStreamFragmentation checks the bound on reassembly holes.
func TestRecvStreamFragmentation(t *testing.T) {
	r := newTestRecv(1 << 20)
	var err error
	for i := uint64(0); i <= streamMaxRecvRanges && err == nil; i++ {
		_, _, err = r.OnStreamFrame(1+2*i, []byte{1}, false)
	}
	wantCode(t, err, InternalError)
}
