package wasm_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/interop/wasm/internal/app"
	"github.com/h3wasi/h3wasi/quic"
)

// transferCase is one byte-exact exchange over a client connection.
type transferCase struct {
	name string
	run  func(ctx context.Context, c conn) error
}

// caseLimit bounds one case. A 10 MiB echo through a wasm guest takes 4-5 s on an idle
// 2-core machine and has taken 30 s under a load average of 12; the limit is there to
// turn a hang into a failure, not to measure.
const caseLimit = 3 * time.Minute

var transferCases = []transferCase{
	{"echo-1KiB", func(ctx context.Context, c conn) error { return echo(ctx, c, app.Data(1, 1<<10)) }},
	{"echo-10MiB", func(ctx context.Context, c conn) error { return echo(ctx, c, app.Data(2, 10<<20)) }},
	{"echo-100-streams", parallelEcho(100, 10<<10)},
}

func echo(ctx context.Context, c conn, data []byte) error {
	s, err := c.OpenStreamSync(ctx)
	if err != nil {
		return err
	}
	return app.Echo(s, data)
}

// parallelEcho echoes n streams of size bytes at once on one connection, each with its
// own content.
func parallelEcho(n, size int) func(ctx context.Context, c conn) error {
	return func(ctx context.Context, c conn) error {
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() { errs[i] = echo(ctx, c, app.Data(100+i, size)) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				return fmt.Errorf("stream %d: %w", i, err)
			}
		}
		return nil
	}
}

// runCase dials addr and runs tc within limit: when the limit passes the connection
// closes, so that a stuck case fails rather than hangs.
func runCase(t *testing.T, d dialer, addr string, tc transferCase, limit time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	start := time.Now()
	c, err := d.dial(ctx, addr, 30*time.Second)
	if err != nil {
		t.Fatalf("%s dial: %v", d.name, err)
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	defer c.Close()
	if err := tc.run(ctx, c); err != nil {
		t.Fatalf("%s: %v", tc.name, err)
	}
	t.Logf("%s client, %s: %v", d.name, tc.name, time.Since(start).Round(time.Millisecond))
}

// TestWasmServer runs h3wasi's QUIC server in a wasm guest and serves native clients of
// both stacks byte-exact.
func TestWasmServer(t *testing.T) {
	for _, d := range []dialer{ourDialer, quicGoDialer} {
		t.Run(d.name+" client", func(t *testing.T) {
			_, addr := startServer(t, "ourserver")
			for _, tc := range transferCases {
				t.Run(tc.name, func(t *testing.T) { runCase(t, d, addr, tc, caseLimit) })
			}
		})
	}
}

// TestWasmServerHostCrypto runs the same cases against the wasm server built with
// wasihost's offloads (-tags h3wasi_offload): it seals and opens packets in the host
// (package wasi/hostcrypto) and sends runs of datagrams with one host call
// (segmented sends), which native clients of both stacks must read byte-exact.
func TestWasmServerHostCrypto(t *testing.T) {
	for _, d := range []dialer{ourDialer, quicGoDialer} {
		t.Run(d.name+" client", func(t *testing.T) {
			_, addr := startServer(t, "ourserver@offload")
			for _, tc := range transferCases {
				t.Run(tc.name, func(t *testing.T) { runCase(t, d, addr, tc, caseLimit) })
			}
		})
	}
}

// TestWasmClient runs h3wasi's QUIC client in a wasm guest against native servers of
// both stacks; the guest checks every byte.
func TestWasmClient(t *testing.T) {
	for _, srv := range []struct {
		name  string
		serve func() (string, func(), error)
	}{
		{"h3wasi server", serveOurs},
		{"quic-go server", serveQuicGo},
	} {
		t.Run(srv.name, func(t *testing.T) {
			addr, stop, err := srv.serve()
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			cases := []string{"echo-1k", "echo-10m", "download-10m", "streams-100"}
			g := startGuest(t, "ourclient", append([]string{addr}, cases...)...)
			for i, name := range cases {
				timeout := caseLimit
				if i == 0 {
					timeout = listenTimeout
				}
				t.Logf("wasm client, %s: %s", name, g.expect(t, "OK "+name, timeout))
			}
			g.expect(t, "DONE", caseLimit)
			select {
			case <-g.Done():
			case <-time.After(caseLimit):
				t.Fatal("guest did not exit")
			}
			if code, err := g.Wait(); code != 0 || err != nil {
				t.Fatalf("guest exit status %d, %v", code, err)
			}
		})
	}
}

// TestGuestFailsMidTransfer makes the wasm server exit, or trap, after 1 MiB of a
// 10 MiB echo: the host goes on, the module's status says what happened, the native
// client gets an error within its idle timeout, and a new module serves again.
func TestGuestFailsMidTransfer(t *testing.T) {
	for _, tt := range []struct {
		mode     string
		wantCode int
		wantErr  bool
	}{
		{"exit-after", 3, false},
		{"trap-after", 1, true},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			g, addr := startServer(t, "ourserver", tt.mode, "1048576")
			ctx, cancel := context.WithTimeout(context.Background(), caseLimit)
			defer cancel()
			c, err := dialOurs(ctx, addr, 2*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			stop := context.AfterFunc(ctx, func() { c.Close() })
			defer stop()
			start := time.Now()
			err = echo(ctx, c, app.Data(3, 10<<20))
			if err == nil {
				t.Fatal("echo through a failing module succeeded")
			}
			if ctx.Err() != nil {
				t.Fatalf("the client only stopped at the test's deadline: %v", err)
			}
			var idle *quic.IdleTimeoutError
			t.Logf("client error after %v: %v (idle timeout: %v)",
				time.Since(start).Round(time.Millisecond), err, errors.As(err, &idle))
			select {
			case <-g.Done():
			case <-ctx.Done():
				t.Fatal("module still running")
			}
			code, werr := g.Wait()
			t.Logf("module ended: status %d, %v", code, werr)
			if code != tt.wantCode || (werr != nil) != tt.wantErr {
				t.Fatalf("module status %d, %v; want %d, error %v", code, werr, tt.wantCode, tt.wantErr)
			}
			if n := g.Sockets(); n != 0 {
				t.Fatalf("%d host sockets still open", n)
			}
			_, addr = startServer(t, "ourserver")
			runCase(t, ourDialer, addr, transferCases[0], caseLimit)
		})
	}
}
