package wasihost

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// hasIPv6Loopback reports whether this machine can bind ::1.
func hasIPv6Loopback() bool {
	c, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func TestEchoServerServesNativeClient(t *testing.T) {
	for _, tc := range []struct {
		name, listen string
	}{
		{"IPv4", "127.0.0.1:0"},
		{"IPv6", "[::1]:0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "IPv6" && !hasIPv6Loopback() {
				t.Skip("no IPv6 loopback on this machine")
			}
			p := start(t, Config{}, "echo", tc.listen)
			addr := net.UDPAddrFromAddrPort(netip.MustParseAddrPort(p.expect(t, "LISTEN")))
			c, err := net.DialUDP("udp", nil, addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			echoSequential(t, c, 1000)
			echoWindowed(t, c, 2000, 32)
			if _, err := c.Write([]byte("exit 0")); err != nil {
				t.Fatal(err)
			}
			if code, err := p.wait(t); code != 0 || err != nil {
				t.Fatalf("exit = %d, %v; want 0, nil", code, err)
			}
			if n := p.Sockets(); n != 0 {
				t.Fatalf("%d host sockets open after exit", n)
			}
		})
	}
}

// payload returns datagram i: sizes cycle through 1..1452 bytes.
func payload(i int) []byte {
	b := make([]byte, 1+i*131%1452)
	for j := range b {
		b[j] = byte(i*31 + j)
	}
	return b
}

func echoSequential(t *testing.T, c *net.UDPConn, n int) {
	buf := make([]byte, 2048)
	for i := range n {
		want := payload(i)
		if _, err := c.Write(want); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		m, err := c.Read(buf)
		if err != nil {
			t.Fatalf("datagram %d: %v", i, err)
		}
		if !bytes.Equal(buf[:m], want) {
			t.Fatalf("datagram %d: echo differs (%d bytes, want %d)", i, m, len(want))
		}
	}
}

// echoWindowed keeps up to window datagrams in flight; loopback does not
// reorder, so echoes come back in order.
func echoWindowed(t *testing.T, c *net.UDPConn, n, window int) {
	buf := make([]byte, 2048)
	sent := 0
	for got := 0; got < n; got++ {
		for sent < n && sent-got < window {
			if _, err := c.Write(payload(sent)); err != nil {
				t.Fatal(err)
			}
			sent++
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		m, err := c.Read(buf)
		if err != nil {
			t.Fatalf("datagram %d: %v", got, err)
		}
		if !bytes.Equal(buf[:m], payload(got)) {
			t.Fatalf("datagram %d: echo differs (%d bytes)", got, m)
		}
	}
}

// nativeEcho serves a UDP echo on addr until the test ends.
func nativeEcho(t *testing.T, network, addr string) net.Addr {
	c, err := net.ListenPacket(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 2048)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			c.WriteTo(buf[:n], from)
		}
	}()
	t.Cleanup(func() {
		c.Close()
		wg.Wait()
	})
	return c.LocalAddr()
}

func TestWasmClientTalksToNativeServer(t *testing.T) {
	for _, tc := range []struct{ name, network, addr string }{
		{"IPv4", "udp4", "127.0.0.1:0"},
		{"IPv6", "udp6", "[::1]:0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "IPv6" && !hasIPv6Loopback() {
				t.Skip("no IPv6 loopback on this machine")
			}
			srv := nativeEcho(t, tc.network, tc.addr)
			p := start(t, Config{}, "client", srv.String(), "500")
			if got := p.expect(t, "OK"); got != "500" {
				t.Fatalf("client: OK %s", got)
			}
			if code, err := p.wait(t); code != 0 || err != nil {
				t.Fatalf("exit = %d, %v", code, err)
			}
		})
	}
}

func TestReadDeadlineFiresInGuest(t *testing.T) {
	p := start(t, Config{}, "deadline")
	var ms, ticks int
	line := p.expect(t, "TIMEOUT")
	if _, err := fmt.Sscanf(line, "elapsed=%dms ticks=%d", &ms, &ticks); err != nil {
		t.Fatalf("bad line %q: %v", line, err)
	}
	t.Logf("100 ms read deadline fired after %d ms; a 5 ms ticker ticked %d times meanwhile", ms, ticks)
	if ms < 100 || ms > 2000 {
		t.Errorf("deadline fired after %d ms, want about 100", ms)
	}
	if ticks < 2 {
		t.Errorf("ticker ticked %d times during the wait: the read froze the module", ticks)
	}
	if got := p.expect(t, "RESET"); got != "true" {
		t.Errorf("a deadline set during a read did not end it: %s", got)
	}
	if got := p.expect(t, "CLOSED"); got != "true" {
		t.Errorf("Close during a read did not end it with net.ErrClosed: %s", got)
	}
}

func TestPolicy(t *testing.T) {
	allowAny, _ := ParseRule("0.0.0.0")
	for _, tc := range []struct {
		name       string
		policy     Policy
		bind, send string
		wantBind   []string // substrings of the BIND line
		wantSend   []string
	}{
		{
			name: "forbidden", bind: "192.0.2.1:4000", send: "192.0.2.1:53",
			wantBind: []string{"192.0.2.1:4000", "not permitted by the host's network policy", "Capabilities insufficient", "policy: true"},
			wantSend: []string{"192.0.2.1:53", "not permitted by the host's network policy", "policy: true"},
		},
		{
			name: "unspecified narrowed to loopback", bind: "0.0.0.0:0", send: "127.0.0.1:9",
			wantBind: []string{"OK 127.0.0.1:"},
			wantSend: []string{"<nil> policy: false"},
		},
		{
			name: "unspecified allowed", policy: Policy{Allow: []Rule{allowAny}}, bind: "0.0.0.0:0", send: "[::ffff:127.0.0.1]:9",
			wantBind: []string{"OK 0.0.0.0:"},
			wantSend: []string{"<nil>"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := start(t, Config{Policy: tc.policy}, "forbidden", tc.bind, tc.send)
			bind := p.expect(t, "BIND")
			send := p.expect(t, "SEND")
			for _, w := range tc.wantBind {
				if !strings.Contains(bind, w) {
					t.Errorf("BIND %s: want %q in it", bind, w)
				}
			}
			for _, w := range tc.wantSend {
				if !strings.Contains(send, w) {
					t.Errorf("SEND %s: want %q in it", send, w)
				}
			}
		})
	}
}

func TestSocketsFreedOnExit(t *testing.T) {
	p := start(t, Config{}, "leak", "5")
	var addrs []string
	for range 5 {
		addrs = append(addrs, p.expect(t, "LISTEN"))
	}
	if code, err := p.wait(t); code != 7 || err != nil {
		t.Fatalf("exit = %d, %v; want 7", code, err)
	}
	if n := p.Sockets(); n != 0 {
		t.Fatalf("%d host sockets open after exit", n)
	}
	for _, a := range addrs {
		c, err := net.ListenPacket("udp", a)
		if err != nil {
			t.Fatalf("port of exited module not rebindable: %v", err)
		}
		c.Close()
	}
}

func TestMaxSockets(t *testing.T) {
	p := start(t, Config{MaxSockets: 3}, "leak", "5")
	fail := p.expect(t, "FAIL")
	if !strings.Contains(fail, "sock_open") {
		t.Errorf("4th socket: %s", fail)
	}
	if code, _ := p.wait(t); code != 1 {
		t.Fatalf("exit = %d; want 1", code)
	}
}

// TestModuleDiesMidTransfer kills the echo server in three ways while a
// native client streams datagrams at it: the host survives, Wait reports
// it, and every socket is freed.
func TestModuleDiesMidTransfer(t *testing.T) {
	for _, tc := range []struct {
		name     string
		kill     string // datagram that ends the module; "" cancels ctx
		trusted  bool
		wantCode int
		wantErr  bool
	}{
		{"exit", "exit 5", false, 5, false},
		{"trap", "trap", false, 1, true},
		{"cancel", "", false, 1, true},
		{"cancel-trusted", "", true, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := start(t, Config{Trusted: tc.trusted}, "echo", "127.0.0.1:0")
			laddr := p.expect(t, "LISTEN")
			addr := net.UDPAddrFromAddrPort(netip.MustParseAddrPort(laddr))
			c, err := net.DialUDP("udp", nil, addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() { // a steady stream; echoes are read below
				defer close(done)
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					c.Write(payload(i))
					time.Sleep(200 * time.Microsecond) // pace, not synchronization
				}
			}()
			// Mid-transfer: echoes are flowing.
			buf := make([]byte, 2048)
			for range 20 {
				c.SetReadDeadline(time.Now().Add(5 * time.Second))
				if _, err := c.Read(buf); err != nil {
					close(stop)
					t.Fatalf("no echo: %v", err)
				}
			}
			if tc.kill == "" {
				p.cancel()
			} else {
				mustDial(t, addr).Write([]byte(tc.kill))
			}
			code, err := p.wait(t)
			close(stop)
			<-done
			t.Logf("module ended: %d, %v", code, err)
			if code != tc.wantCode || (err != nil) != tc.wantErr {
				t.Fatalf("exit = %d, %v; want %d, error %v", code, err, tc.wantCode, tc.wantErr)
			}
			if n := p.Sockets(); n != 0 {
				t.Fatalf("%d host sockets open after the module died", n)
			}
			rc, err := net.ListenPacket("udp", laddr)
			if err != nil {
				t.Fatalf("port not rebindable: %v", err)
			}
			rc.Close()
		})
	}
}

// TestCancelSleepingModule: ending ctx stops a module asleep in a timer
// (wazero alone would sleep through it), Trusted or not.
func TestCancelSleepingModule(t *testing.T) {
	for _, trusted := range []bool{false, true} {
		t.Run(fmt.Sprintf("trusted=%v", trusted), func(t *testing.T) {
			p := start(t, Config{Trusted: trusted}, "sleep")
			p.expect(t, "SLEEPING")
			p.cancel()
			select {
			case <-p.Done():
			case <-time.After(10 * time.Second):
				t.Fatal("cancel did not stop a sleeping module")
			}
			if _, err := p.Wait(); err == nil {
				t.Fatal("a cancelled module reported success")
			}
		})
	}
}

// TestCancelBusyModule: ending ctx stops a module (not Trusted) whose
// goroutines only compute, or that spins in a loop that never calls the host.
func TestCancelBusyModule(t *testing.T) {
	for _, tc := range []struct{ scenario, ready string }{
		{"compute", "COMPUTING"},
		{"spin", "SPINNING"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			p := start(t, Config{}, tc.scenario)
			p.expect(t, tc.ready)
			p.cancel()
			select {
			case <-p.Done():
			case <-time.After(30 * time.Second):
				t.Fatal("cancel did not stop a busy module")
			}
			if _, err := p.Wait(); err == nil {
				t.Fatal("a cancelled module reported success")
			}
		})
	}
}

func mustDial(t *testing.T, addr *net.UDPAddr) *net.UDPConn {
	c, err := net.DialUDP("udp", nil, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestMemoryLimit(t *testing.T) {
	_, err := Run(t.Context(), guestWasm(t), Config{MemoryLimit: 1 << 20, Args: []string{"guest", "leak", "0"}, CacheDir: testCacheDir()})
	if err == nil {
		t.Fatal("a Go module ran in 1 MiB of memory")
	}
	t.Logf("1 MiB limit: %v", err)
}

func TestResolveInGuest(t *testing.T) {
	for _, tc := range []struct {
		name, addr, want string
	}{
		{"literal", "192.0.2.1:53", "192.0.2.1:53 <nil>"},
		{"localhost", "localhost:80", "127.0.0.1:80 <nil>"},
		{"lookup forbidden", "example.invalid:80", "Capabilities insufficient"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := start(t, Config{}, "resolve", tc.addr)
			if got := p.expect(t, "RESOLVED"); !strings.Contains(got, tc.want) {
				t.Errorf("RESOLVED %s; want %q in it", got, tc.want)
			}
		})
	}
}

// TestLookupInGuest resolves a name through sock_getaddrinfo with the
// host's resolver (this machine's own name, from /etc/hosts), checking the
// addrinfo records end to end.
func TestLookupInGuest(t *testing.T) {
	name, err := os.Hostname()
	if err != nil {
		t.Skip(err)
	}
	ips, err := net.DefaultResolver.LookupNetIP(t.Context(), "ip", name)
	if err != nil || len(ips) == 0 {
		t.Skipf("this machine cannot resolve its own name %q: %v", name, err)
	}
	p := start(t, Config{Policy: Policy{Lookup: true}}, "resolve", net.JoinHostPort(name, "4433"))
	got := p.expect(t, "RESOLVED")
	for _, ip := range ips {
		if strings.HasPrefix(got, netip.AddrPortFrom(ip.Unmap(), 4433).String()+" <nil>") {
			return
		}
	}
	t.Fatalf("RESOLVED %s; want one of %v, port 4433", got, ips)
}
