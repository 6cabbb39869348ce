//go:build unix

package wasihost

import (
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"
)

func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestIdleServerUsesNoCPU measures the CPU time of this whole process
// (host and module) over one second while a wasm server waits for traffic.
func TestIdleServerUsesNoCPU(t *testing.T) {
	for _, mode := range []string{"doorbell", "poll"} {
		t.Run(mode, func(t *testing.T) {
			args := []string{"echo", "127.0.0.1:0"}
			if mode == "poll" {
				args = append(args, "poll")
			}
			p := start(t, Config{}, args...)
			addr := net.UDPAddrFromAddrPort(netip.MustParseAddrPort(p.expect(t, "LISTEN")))
			echoSequential(t, mustDial(t, addr), 10) // the server is up and has waited
			time.Sleep(100 * time.Millisecond)
			before, wall := cpuTime(t), time.Now()
			time.Sleep(time.Second) // the measurement: real idle time
			used := cpuTime(t) - before
			share := float64(used) / float64(time.Since(wall))
			t.Logf("%s: idle wasm server used %v CPU in 1 s (%.2f%% of one core)", mode, used, 100*share)
			if mode == "doorbell" && share > 0.20 {
				t.Fatalf("idle server uses %.1f%% of a core", 100*share)
			}
		})
	}
}
