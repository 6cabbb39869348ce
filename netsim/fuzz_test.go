package netsim

import (
	"net/netip"
	"testing"
	"time"
)

// fuzzConfig decodes a link configuration from 12 bytes.
func fuzzConfig(b []byte) LinkConfig {
	p := func(x byte) float64 { return float64(x) / 255 }
	cfg := LinkConfig{
		Delay:     time.Duration(b[0]) * time.Millisecond,
		Jitter:    time.Duration(b[1]) * 100 * time.Microsecond,
		Loss:      p(b[2]) / 4,
		Reorder:   p(b[3]) / 4,
		Duplicate: p(b[4]) / 4,
		Corrupt:   p(b[5]),
		MTU:       int(b[6]) * 8,
		Bandwidth: int64(b[7]) * 100_000,
		// QueueBytes 0 (unbounded) for b[8] == 0.
		QueueBytes: int(b[8]) * 100,
	}
	if b[9] != 0 {
		cfg.Burst = &GilbertElliott{PGoodToBad: p(b[9]) / 8, PBadToGood: p(b[10]), LossBad: p(b[11])}
	}
	if b[10]&1 == 1 {
		cfg.Blackholes = []Window{{time.Duration(b[10]) * time.Millisecond, time.Duration(b[11]) * time.Millisecond}}
	}
	return cfg
}

// FuzzNetwork drives two endpoints with a random configuration and a random
// sequence of sends, clock moves, rebinds and reconfigurations, checking the
// network's invariants: no panic, every copy accounted for, nothing delivered
// before its delay, nothing over the MTU.
func FuzzNetwork(f *testing.F) {
	f.Add([]byte{10, 20, 30, 40, 50, 60, 150, 10, 20, 1, 2, 3, 0, 100, 1, 2, 200, 3, 4, 0, 0})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 0, 1, 2, 0, 10})
	f.Add([]byte{5, 0, 255, 255, 255, 255, 1, 1, 1, 255, 255, 255, 0, 1, 0, 50, 2, 3, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 12 {
			return
		}
		cfg := fuzzConfig(data[:12])
		data = data[12:]
		if len(data) > 2*256 { // bound the work per input
			data = data[:2*256]
		}
		n := New(uint64(len(data)))
		a, b := n.MustListen("10.0.0.1:1"), n.MustListen("10.0.0.2:2")
		n.SetPath(a, b, cfg, cfg)
		// earliest[seq] is when datagram seq of a->b may arrive at the
		// earliest: its send time plus the link delay in force then.
		earliest := map[uint64]time.Duration{}
		n.SetTrace(func(ev TraceEvent) {
			if ev.To != b.AddrPort() {
				return
			}
			switch ev.Kind {
			case TraceSend:
				earliest[ev.Seq] = ev.At + cfg.Delay
			case TraceDeliver:
				if ev.At < earliest[ev.Seq] {
					t.Fatalf("datagram %d delivered at %v, before %v", ev.Seq, ev.At, earliest[ev.Seq])
				}
			}
		})
		b.SetHandler(func(now time.Duration, from netip.AddrPort, p []byte) {
			if cfg.MTU > 0 && len(p) > cfg.MTU {
				t.Fatalf("delivered %d bytes over MTU %d", len(p), cfg.MTU)
			}
		})
		buf := make([]byte, 2048)
		for len(data) >= 2 {
			op, arg := data[0], int(data[1])
			data = data[2:]
			switch op % 6 {
			case 0, 1: // send arg*8 bytes
				a.Send(b.AddrPort(), buf[:arg*8])
			case 2:
				n.Advance(time.Duration(arg) * time.Millisecond)
			case 3: // b answers to a, whatever a's address is now
				b.Send(a.ExternalAddr(), buf[:arg])
			case 4:
				a.RebindAt(n.Now()+time.Duration(arg)*time.Millisecond,
					netip.AddrPortFrom(netip.MustParseAddr("10.0.1.1"), uint16(arg)+1))
			case 5:
				// A perfect link from now on; the checks relax with it.
				cfg = LinkConfig{}
				n.Link(a, b).SetConfig(cfg)
				a.Recv(buf)
			}
		}
		n.Advance(time.Hour)
		for _, l := range []*Link{n.Link(a, b), n.Link(b, a)} {
			s := l.Stats()
			if s.Sent+s.Duplicated != s.Delivered+s.TotalDropped() {
				t.Fatalf("unaccounted copies: %+v", s)
			}
		}
		if _, ok := n.NextEvent(); ok {
			t.Fatal("events left after an hour")
		}
	})
}
