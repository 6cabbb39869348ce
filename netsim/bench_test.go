package netsim

import (
	"net/netip"
	"testing"
	"time"
)

// BenchmarkVirtualSendRecv measures one 1200-byte datagram sent, delayed,
// delivered and read with Recv under the virtual clock.
func BenchmarkVirtualSendRecv(b *testing.B) {
	for _, bc := range []struct {
		name string
		cfg  LinkConfig
	}{
		{"perfect", LinkConfig{}},
		{"impaired", LinkConfig{Delay: 10 * time.Millisecond, Jitter: time.Millisecond, Loss: 0.01,
			Duplicate: 0.01, Corrupt: 0.01, Reorder: 0.01, Bandwidth: 1e9, QueueBytes: 1 << 20}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			n := New(1)
			n.SetDefaultLink(bc.cfg)
			a, c := n.MustListen("10.0.0.1:1"), n.MustListen("10.0.0.2:2")
			to := c.AddrPort()
			msg := make([]byte, 1200)
			buf := make([]byte, 1500)
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			now := time.Duration(0)
			for b.Loop() {
				a.Send(to, msg)
				now += 20 * time.Microsecond
				n.AdvanceTo(now)
				for {
					if _, _, ok := c.Recv(buf); !ok {
						break
					}
				}
			}
		})
	}
}

// BenchmarkVirtualHandler measures delivery through a handler with a window
// of datagrams in flight, as a pair test would run.
func BenchmarkVirtualHandler(b *testing.B) {
	n := New(1)
	n.SetDefaultLink(LinkConfig{Delay: time.Millisecond, Jitter: 100 * time.Microsecond})
	a, c := n.MustListen("10.0.0.1:1"), n.MustListen("10.0.0.2:2")
	got := 0
	c.SetHandler(func(time.Duration, netip.AddrPort, []byte) { got++ })
	to := c.AddrPort()
	msg := make([]byte, 1200)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	now := time.Duration(0)
	for b.Loop() {
		a.Send(to, msg)
		now += time.Microsecond // ~1000 datagrams in flight
		n.AdvanceTo(now)
	}
}

// BenchmarkRealtimePacketConn measures WriteToUDPAddrPort and a blocking
// ReadFromUDPAddrPort through the realtime delivery goroutine.
func BenchmarkRealtimePacketConn(b *testing.B) {
	n := NewRealtime(1)
	defer n.Close()
	a, c := n.MustListen("10.0.0.1:1"), n.MustListen("10.0.0.2:2")
	to := c.AddrPort()
	msg := make([]byte, 1200)
	buf := make([]byte, 1500)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		a.WriteToUDPAddrPort(msg, to)
		if _, _, err := c.ReadFromUDPAddrPort(buf); err != nil {
			b.Fatal(err)
		}
	}
}
