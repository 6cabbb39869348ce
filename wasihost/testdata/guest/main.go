// Command guest is the WebAssembly test program of package wasihost: one
// binary (built with GOOS=wasip1 GOARCH=wasm by the tests) whose first
// argument picks a scenario. It reports on stdout, one line per fact.
package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strconv"
	"time"
	"unsafe"

	"github.com/h3wasi/h3wasi/internal/wasiabi"
	"github.com/h3wasi/h3wasi/wasi"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: guest scenario [args]")
	}
	args := os.Args[2:]
	if len(args) > 0 && args[len(args)-1] == "poll" {
		os.Setenv(wasiabi.WakeEnv, wasiabi.WakePoll) // measure the fallback
		args = args[:len(args)-1]
	}
	switch os.Args[1] {
	case "echo":
		echo(args[0], false)
	case "latency":
		echo(args[0], true)
	case "client":
		n, _ := strconv.Atoi(args[1])
		client(args[0], n)
	case "deadline":
		deadline()
	case "forbidden":
		forbidden(args[0], args[1])
	case "leak":
		n, _ := strconv.Atoi(args[0])
		leak(n)
	case "sleep":
		fmt.Println("SLEEPING")
		time.Sleep(time.Hour)
	case "compute":
		// Goroutines that only compute: the scheduler still reads the clock.
		fmt.Println("COMPUTING")
		for range 2 {
			go func() {
				for {
					spinFor(1000)
					runtime.Gosched()
				}
			}()
		}
		spinFor(-1)
	case "spin":
		// One goroutine in a loop that never calls the host.
		fmt.Println("SPINNING")
		spinFor(-1)
	case "resolve":
		a, err := wasi.ResolveUDPAddr("udp", args[0])
		fmt.Println("RESOLVED", a, err)
	default:
		fail("unknown scenario " + os.Args[1])
	}
}

func fail(msg string) {
	fmt.Println("FAIL", msg)
	os.Exit(1)
}

func listen(addr string) wasi.AddrPortConn {
	c, err := wasi.ListenPacket("udp", addr)
	if err != nil {
		fail(err.Error())
	}
	fmt.Println("LISTEN", c.LocalAddr())
	return c.(wasi.AddrPortConn)
}

// echo sends every datagram back. Control datagrams: "exit N" exits with
// status N; "trap" makes the module trap. With lat, datagrams that start
// with "t" carry the sender's wall clock (ns), and after each 1000 of them
// the guest prints the median and 99th percentile of arrival-to-ReadFrom
// latency.
func echo(addr string, lat bool) {
	c := listen(addr)
	buf := make([]byte, 2048)
	var lats, writes []int64
	for {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		now := time.Now().UnixNano()
		if err != nil {
			fail(err.Error())
		}
		msg := buf[:n]
		switch {
		case lat && n >= 9 && msg[0] == 't':
			lats = append(lats, now-int64(binary.BigEndian.Uint64(msg[1:])))
			if len(lats) == 1000 {
				slices.Sort(lats)
				slices.Sort(writes)
				fmt.Printf("LATENCY median=%d p99=%d write=%d\n", lats[500], lats[990], writes[len(writes)/2])
				lats, writes = lats[:0], writes[:0]
			}
		case string(msg) == "trap":
			fmt.Println("TRAPPING")
			// An access beyond linear memory is a real WebAssembly trap.
			trap(0xfffffff0)
		case len(msg) > 5 && string(msg[:5]) == "exit ":
			code, _ := strconv.Atoi(string(msg[5:]))
			os.Exit(code)
		}
		if _, err := c.WriteToUDPAddrPort(msg, from); err != nil {
			fail(err.Error())
		}
		if lat {
			writes = append(writes, time.Now().UnixNano()-now)
		}
	}
}

// trap loads from addr; beyond linear memory, that traps.
//
//go:noinline
func trap(addr uintptr) {
	p := (*byte)(unsafe.Add(nil, addr))
	fmt.Println(*p)
}

// client sends n datagrams of growing sizes to server, one at a time, and
// checks that each comes back byte-exact.
func client(server string, n int) {
	to, err := wasi.ResolveUDPAddr("udp", server)
	if err != nil {
		fail(err.Error())
	}
	c, err := wasi.ListenPacket("udp", "127.0.0.1:0")
	if to.IP.To4() == nil {
		c, err = wasi.ListenPacket("udp6", "[::1]:0")
	}
	if err != nil {
		fail(err.Error())
	}
	defer c.Close()
	out := make([]byte, 1452)
	in := make([]byte, 2048)
	for i := range n {
		size := 1 + i*131%1452
		for j := range size {
			out[j] = byte(i + j*7)
		}
		if _, err := c.WriteTo(out[:size], to); err != nil {
			fail(err.Error())
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		m, from, err := c.ReadFrom(in)
		if err != nil {
			fail(err.Error())
		}
		if from.String() != to.String() || string(in[:m]) != string(out[:size]) {
			fail(fmt.Sprintf("datagram %d: got %d bytes from %v", i, m, from))
		}
	}
	fmt.Println("OK", n)
}

// deadline checks that a read deadline fires while a ticker goroutine
// keeps running (the wait must not freeze the module).
func deadline() {
	c := listen("127.0.0.1:0")
	ticks := 0
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				ticks++
			case <-stop:
				return
			}
		}
	}()
	start := time.Now()
	c.SetReadDeadline(start.Add(100 * time.Millisecond))
	_, _, err := c.ReadFrom(make([]byte, 10))
	el := time.Since(start)
	close(stop)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		fail(fmt.Sprint("want deadline error, got ", err))
	}
	fmt.Printf("TIMEOUT elapsed=%dms ticks=%d\n", el.Milliseconds(), ticks)
	// A deadline set while a reader waits must wake it too.
	c.SetReadDeadline(time.Time{})
	go func() {
		time.Sleep(30 * time.Millisecond)
		c.SetReadDeadline(time.Now())
	}()
	_, _, err = c.ReadFrom(make([]byte, 10))
	fmt.Println("RESET", errors.Is(err, os.ErrDeadlineExceeded))
	c.SetReadDeadline(time.Time{})
	go func() {
		time.Sleep(30 * time.Millisecond)
		c.Close()
	}()
	_, _, err = c.ReadFrom(make([]byte, 10))
	fmt.Println("CLOSED", errors.Is(err, net.ErrClosed))
}

// forbidden tries to bind bindAddr and to send to sendAddr.
func forbidden(bindAddr, sendAddr string) {
	if c, err := wasi.ListenPacket("udp", bindAddr); err != nil {
		fmt.Println("BIND", err, "policy:", errors.Is(err, wasi.ErrNotPermitted))
	} else {
		fmt.Println("BIND OK", c.LocalAddr())
		c.Close()
	}
	c := listen("127.0.0.1:0")
	to := netip.MustParseAddrPort(sendAddr)
	_, err := c.WriteToUDPAddrPort([]byte("x"), to)
	fmt.Println("SEND", err, "policy:", errors.Is(err, wasi.ErrNotPermitted))
}

// leak opens n sockets and exits without closing them.
func leak(n int) {
	for range n {
		listen("127.0.0.1:0")
	}
	os.Exit(7)
}

// sink keeps spinFor's work from being optimized away.
var sink uint64

// spinFor runs n rounds of arithmetic (forever if n < 0) with no host call.
func spinFor(n int) {
	x := sink
	for i := 0; n < 0 || i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
		if x == 42 {
			sink = x
		}
	}
	sink = x
}
