package wasihost

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"
)

// TestWakeLatency measures, over 1,000 ping-pongs, how long a datagram
// takes from a native send to the guest's ReadFrom returning (the guest
// reads both clocks: wasihost gives it the host's wall clock), and the
// native round-trip time through the wasm echo server.
func TestWakeLatency(t *testing.T) {
	t.Run("native baseline", func(t *testing.T) {
		srv, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		lats := make(chan []time.Duration, 1)
		go func() { // a native echo server measuring send -> ReadFrom
			var l []time.Duration
			buf := make([]byte, 2048)
			for {
				n, from, err := srv.ReadFromUDPAddrPort(buf)
				now := time.Now()
				if err != nil {
					lats <- l
					return
				}
				l = append(l, now.Sub(time.Unix(0, int64(binary.BigEndian.Uint64(buf[1:])))))
				srv.WriteToUDPAddrPort(buf[:n], from)
			}
		}()
		c := mustDial(t, srv.LocalAddr().(*net.UDPAddr))
		msg, buf := make([]byte, 64), make([]byte, 2048)
		rtts := make([]time.Duration, 0, 1000)
		for range 1000 {
			time.Sleep(20 * time.Microsecond)
			sent := time.Now()
			binary.BigEndian.PutUint64(msg[1:], uint64(sent.UnixNano()))
			c.Write(msg)
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.Read(buf); err != nil {
				t.Fatal(err)
			}
			rtts = append(rtts, time.Since(sent))
		}
		srv.Close()
		l := <-lats
		slices.Sort(l)
		slices.Sort(rtts)
		t.Logf("native Go server: send -> ReadFrom: median %v, p99 %v; round trip: median %v, p99 %v",
			l[len(l)/2], l[len(l)*99/100], rtts[500], rtts[990])
	})
	for _, mode := range []string{"doorbell", "poll"} {
		t.Run(mode, func(t *testing.T) {
			args := []string{"latency", "127.0.0.1:0"}
			if mode == "poll" {
				args = append(args, "poll")
			}
			p := start(t, Config{}, args...)
			addr := net.UDPAddrFromAddrPort(netip.MustParseAddrPort(p.expect(t, "LISTEN")))
			c := mustDial(t, addr)
			echoSequential(t, c, 100) // warm up
			msg := make([]byte, 64)
			buf := make([]byte, 2048)
			rtts := make([]time.Duration, 0, 1000)
			for range 1000 {
				// Let the guest fall asleep, as a server between requests.
				time.Sleep(20 * time.Microsecond)
				msg[0] = 't'
				sent := time.Now()
				binary.BigEndian.PutUint64(msg[1:], uint64(sent.UnixNano()))
				if _, err := c.Write(msg); err != nil {
					t.Fatal(err)
				}
				c.SetReadDeadline(time.Now().Add(5 * time.Second))
				if _, err := c.Read(buf); err != nil {
					t.Fatal(err)
				}
				rtts = append(rtts, time.Since(sent))
			}
			var median, p99, write int64
			if _, err := fmt.Sscanf(p.expect(t, "LATENCY"), "median=%d p99=%d write=%d", &median, &p99, &write); err != nil {
				t.Fatal(err)
			}
			slices.Sort(rtts)
			t.Logf("%s: send -> guest ReadFrom: median %v, p99 %v; guest ReadFrom return -> WriteTo return: median %v; round trip: median %v, p99 %v",
				mode, time.Duration(median), time.Duration(p99), time.Duration(write), rtts[500], rtts[990])
		})
	}
}
