package quic

import (
	"context"
	"errors"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/internal/quicproto"
)

// waitUntil polls cond, which watches the outcome of network events, for up to 10 s,
// with tr's lock held.
func waitUntil(t *testing.T, tr *Transport, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		tr.mu.Lock()
		ok := cond()
		tr.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitDone waits for ctx to be cancelled and returns its cause.
func waitDone(t *testing.T, ctx context.Context) error {
	t.Helper()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-time.After(10 * time.Second):
		t.Fatal("stream context not cancelled")
		return nil
	}
}

// acceptedStream opens a client stream, writes to it and accepts it on the server.
func acceptedStream(t *testing.T, p *testPair) (client, server *Stream) {
	t.Helper()
	cs, err := p.client.OpenStream()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	ss, err := p.server.AcceptStream(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	return cs, ss
}

func TestStreamContext(t *testing.T) {
	peerErr := func(code uint64) error { return &StreamError{ErrorCode: code, Remote: true} }
	for _, tc := range []struct {
		name string
		// run acts on a fresh connection pair and returns the server-side context
		// under test.
		run func(t *testing.T, p *testPair) context.Context
		// want is the cause the context must end with (errors.Is); nil: it must
		// still be live after run, until the connection ends.
		want error
	}{
		{"peer RESET_STREAM", func(t *testing.T, p *testPair) context.Context {
			cs, ss := acceptedStream(t, p)
			ctx := ss.Context()
			cs.CancelWrite(7)
			return ctx
		}, peerErr(7)},
		{"peer STOP_SENDING", func(t *testing.T, p *testPair) context.Context {
			cs, ss := acceptedStream(t, p)
			ctx := ss.Context()
			cs.CancelRead(8)
			return ctx
		}, peerErr(8)},
		{"made after the reset was read", func(t *testing.T, p *testPair) context.Context {
			cs, ss := acceptedStream(t, p)
			cs.CancelWrite(9)
			if _, err := io.ReadAll(ss); !errors.Is(err, peerErr(9)) {
				t.Fatalf("Read = %v", err)
			}
			ctx := ss.Context()
			if ctx.Err() == nil {
				t.Error("context of a reset stream not cancelled when made")
			}
			return ctx
		}, peerErr(9)},
		{"unidirectional RESET_STREAM", func(t *testing.T, p *testPair) context.Context {
			cs, err := p.client.OpenUniStream()
			if err != nil {
				t.Fatal(err)
			}
			cs.Write([]byte("x"))
			rs, err := p.server.AcceptUniStream(testCtx(t))
			if err != nil {
				t.Fatal(err)
			}
			ctx := rs.Context()
			cs.CancelWrite(10)
			return ctx
		}, peerErr(10)},
		{"unidirectional STOP_SENDING", func(t *testing.T, p *testPair) context.Context {
			ss, err := p.server.OpenUniStream()
			if err != nil {
				t.Fatal(err)
			}
			ctx := ss.Context()
			ss.Write([]byte("x"))
			rs, err := p.client.AcceptUniStream(testCtx(t))
			if err != nil {
				t.Fatal(err)
			}
			rs.CancelRead(11)
			return ctx
		}, peerErr(11)},
		{"connection closed", func(t *testing.T, p *testPair) context.Context {
			_, ss := acceptedStream(t, p)
			ctx := ss.Context()
			p.client.CloseWithError(0x11, "bye")
			return ctx
		}, &ApplicationError{Code: 0x11, Reason: "bye", Remote: true}},
		{"completed normally", func(t *testing.T, p *testPair) context.Context {
			cs, ss := acceptedStream(t, p)
			ctx := ss.Context()
			cs.Close()
			if _, err := io.Copy(ss, ss); err != nil {
				t.Fatal(err)
			}
			ss.Close()
			if got, err := io.ReadAll(cs); err != nil || string(got) != "hello" {
				t.Fatalf("echo: %q, %v", got, err)
			}
			// Until the server's FIN is acknowledged and the stream retired.
			id := quicproto.StreamID(ss.StreamID())
			waitUntil(t, p.st, "the stream to retire", func() bool { return p.server.core.Stream(id) == nil })
			return ctx
		}, nil},
		{"local cancels", func(t *testing.T, p *testPair) context.Context {
			_, ss := acceptedStream(t, p)
			ctx := ss.Context()
			ss.CancelWrite(1)
			ss.CancelRead(2) // the client answers with RESET_STREAM
			waitUntil(t, p.st, "the peer's RESET_STREAM", func() bool {
				_, ok := ss.recvHalf.s.cs.PeerReset()
				return ok
			})
			return ctx
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newTestPair(t, networks[1], nil, nil)
			ctx := tc.run(t, p)
			want := tc.want
			if want == nil {
				if err := context.Cause(ctx); err != nil {
					t.Fatalf("context cancelled: %v", err)
				}
				p.client.CloseWithError(0x22, "")
				want = &ApplicationError{Code: 0x22, Remote: true}
			}
			err := waitDone(t, ctx)
			var ae, wantAE *ApplicationError
			if errors.As(want, &wantAE) {
				if !errors.As(err, &ae) || ae.Code != wantAE.Code || !ae.Remote {
					t.Errorf("cause %v, want %v", err, want)
				}
			} else if !errors.Is(err, want) {
				t.Errorf("cause %v, want %v", err, want)
			}
			if ctx.Err() != context.Canceled {
				t.Errorf("Err = %v", ctx.Err())
			}
		})
	}
}

// TestStreamContextMemory checks that the contexts of completed streams are not kept
// by the connection once nothing else refers to them, while one still referenced is
// cancelled when the connection ends.
func TestStreamContextMemory(t *testing.T) {
	p := newTestPair(t, networks[1], nil, nil)
	ctx := testCtx(t)
	go func() {
		for {
			s, err := p.server.AcceptStream(context.Background())
			if err != nil {
				return
			}
			go func() {
				_ = s.Context() // made and dropped
				io.Copy(s, s)
				s.Close()
			}()
		}
	}()
	const streams = 400
	for i := range streams {
		if err := echoOnce(ctx, p.client, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
		if i%50 == 0 {
			runtime.GC()
		}
	}
	// A completed client stream whose context alone is still referenced.
	kept := func() context.Context {
		s, err := p.client.OpenStream()
		if err != nil {
			t.Fatal(err)
		}
		sctx := s.Context()
		s.Write([]byte("last"))
		s.Close()
		if _, err := io.ReadAll(s); err != nil {
			t.Fatal(err)
		}
		id := quicproto.StreamID(s.StreamID())
		waitUntil(t, p.ct, "the stream to retire", func() bool { return p.client.core.Stream(id) == nil })
		return sctx
	}()
	runtime.GC()
	if kept.Err() != nil {
		t.Fatalf("completed stream's context cancelled: %v", context.Cause(kept))
	}
	p.st.mu.Lock()
	n := len(p.server.streamCtxs)
	p.st.mu.Unlock()
	t.Logf("server holds %d stream contexts after %d streams", n, streams)
	if n >= streams {
		t.Errorf("server holds %d stream contexts after %d streams", n, streams)
	}
	p.server.CloseWithError(5, "")
	var ae *ApplicationError
	if err := waitDone(t, kept); !errors.As(err, &ae) || ae.Code != 5 {
		t.Errorf("kept context's cause %v", err)
	}
}
