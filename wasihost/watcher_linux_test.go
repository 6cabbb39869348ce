//go:build linux

package wasihost

import (
	"net"
	"net/netip"
	"testing"
)

// TestWatcherFallback runs the echo server with wazero's own poll_oneoff
// and a watcher goroutine per socket, as on other Unix systems.
func TestWatcherFallback(t *testing.T) {
	inlinePoll = false
	defer func() { inlinePoll = true }()
	p := start(t, Config{}, "echo", "127.0.0.1:0")
	addr := net.UDPAddrFromAddrPort(netip.MustParseAddrPort(p.expect(t, "LISTEN")))
	c := mustDial(t, addr)
	echoSequential(t, c, 300)
	echoWindowed(t, c, 300, 16)
	c.Write([]byte("exit 0"))
	if code, err := p.wait(t); code != 0 || err != nil {
		t.Fatalf("exit = %d, %v", code, err)
	}
	if n := p.Sockets(); n != 0 {
		t.Fatalf("%d sockets left", n)
	}
}
