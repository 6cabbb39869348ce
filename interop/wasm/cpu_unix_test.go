//go:build unix

package wasm_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/interop/wasm/internal/app"
)

func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestIdleServerCPU measures the CPU time of this whole process (host, wasm server and
// native client) over one second while the wasm server holds an idle connection.
func TestIdleServerCPU(t *testing.T) {
	_, addr := startServer(t, "ourserver")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := dialOurs(ctx, addr, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := echo(ctx, c, app.Data(1, 1<<10)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // let the last acknowledgements settle
	before, wall := cpuTime(t), time.Now()
	time.Sleep(time.Second) // the measurement: real idle time
	used := cpuTime(t) - before
	share := float64(used) / float64(time.Since(wall))
	t.Logf("idle wasm QUIC server with one open connection: %v CPU in 1 s (%.2f%% of one core)", used, 100*share)
	if share > 0.20 {
		t.Fatalf("idle server uses %.1f%% of a core", 100*share)
	}
}
