package recovery

import (
	"math/rand/v2"
	"testing"

	"github.com/h3wasi/h3wasi/internal/quicwire"
)

// This file wires a Recovery (sender) and an AckTracker (receiver) through a
// simulated path under a virtual clock: a bottleneck link with a finite
// queue, a fixed propagation delay and random loss. It checks that a bulk
// transfer completes, that lost data is requeued through the Handler, and
// that the congestion controller reacts, as a connection would see it.

type simPacket struct {
	arrive int64
	pn     uint64
	seg    int64 // data segment carried; -1 for PING
}

type simAck struct {
	arrive int64
	ranges []quicwire.AckRange
	delay  int64
}

// simSender is the sending connection: segments to send and the Handler.
type simSender struct {
	r        *Recovery
	next     int64   // next new segment
	total    int64   // segments to transfer
	requeue  []int64 // lost segments to send again
	acked    map[int64]bool
	lostPkts int
}

func (s *simSender) OnPacketAcked(_ Space, p *SentPacket) {
	for _, f := range p.Frames {
		s.acked[int64(f.Offset)] = true
	}
}

func (s *simSender) OnPacketLost(_ Space, p *SentPacket) {
	s.lostPkts++
	for _, f := range p.Frames {
		if !s.acked[int64(f.Offset)] {
			s.requeue = append(s.requeue, int64(f.Offset))
		}
	}
}

// nextSegment returns the segment to send next, -1 when nothing is left.
func (s *simSender) nextSegment() int64 {
	for len(s.requeue) > 0 {
		seg := s.requeue[0]
		s.requeue = s.requeue[1:]
		if !s.acked[seg] {
			return seg
		}
	}
	if s.next < s.total {
		s.next++
		return s.next - 1
	}
	return -1
}

type simPath struct {
	oneWay    int64   // propagation delay
	perPacket int64   // serialization time of a 1200-byte packet
	queueMax  int64   // queueing delay beyond which packets are dropped
	loss      float64 // random loss probability of data packets
}

func runTransfer(t *testing.T, path simPath, cc CongestionController, segments int64, seed uint64) (*simSender, int64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	snd := &simSender{total: segments, acked: map[int64]bool{}}
	snd.r = New(Config{IsServer: true, Congestion: cc}, snd)
	snd.r.SetHandshakeConfirmed(0)
	var rcv AckTracker
	rcv.Init(Application, 25*ms)
	var (
		now      int64
		pn       uint64
		linkFree int64 // when the bottleneck finishes its queue
		data     []simPacket
		acks     []simAck
		frames   = make([]Frame, 1)
	)
	sendAck := func() {
		acks = append(acks, simAck{arrive: now + path.oneWay, ranges: rcv.AppendRanges(nil), delay: rcv.AckDelay(now)})
		rcv.OnAckSent()
	}
	for step := 0; len(snd.acked) < int(segments); step++ {
		if step > 10_000_000 || now > 3600e9 {
			t.Fatalf("transfer stuck at %d ns: %d/%d acked", now, len(snd.acked), segments)
		}
		// Send while the window, the pacer and the data allow.
		for {
			probe := snd.r.ProbesPending(Application) > 0
			if !probe && (!snd.r.CanSend(1200) || snd.r.NextSendTime(now, 1200) > now) {
				break
			}
			seg := snd.nextSegment()
			if seg < 0 && !probe {
				break
			}
			p := SentPacket{PacketNumber: pn, Size: 1200, AckEliciting: true}
			if seg >= 0 {
				frames[0] = Frame{Kind: 1, Offset: uint64(seg)}
				p.Frames = frames
			}
			snd.r.OnPacketSent(now, Application, p)
			start := max(now, linkFree)
			if start-now <= path.queueMax && rng.Float64() >= path.loss {
				linkFree = start + path.perPacket
				data = append(data, simPacket{arrive: linkFree + path.oneWay, pn: pn, seg: seg})
			}
			pn++
		}
		// Advance to the next event.
		next := min(snd.r.Deadline(), rcv.Deadline())
		if len(data) > 0 {
			next = min(next, data[0].arrive)
		}
		if len(acks) > 0 {
			next = min(next, acks[0].arrive)
		}
		if snd.r.CanSend(1200) && (len(snd.requeue) > 0 || snd.next < snd.total) {
			next = min(next, snd.r.NextSendTime(now, 1200))
		}
		if next == NoDeadline {
			t.Fatalf("deadlock at %d ns: nothing scheduled, %d/%d acked", now, len(snd.acked), segments)
		}
		now = max(now, next)
		for len(data) > 0 && data[0].arrive <= now {
			rcv.OnPacketReceived(now, data[0].pn, true, NotECT)
			data = data[1:]
		}
		if rcv.AckDue(now) {
			sendAck()
		}
		for len(acks) > 0 && acks[0].arrive <= now {
			if err := snd.r.OnAck(now, Application, Ack{Ranges: acks[0].ranges, AckDelay: acks[0].delay}); err != nil {
				t.Fatal(err)
			}
			acks = acks[1:]
		}
		snd.r.OnTimeout(now)
	}
	return snd, now
}

func TestSimulatedTransfer(t *testing.T) {
	const segments = 2000 // 2.4 MB
	tests := []struct {
		name    string
		path    simPath
		maxTime int64
		cubic   bool
		hystart bool
	}{
		// 10 Mbit/s (0.96 ms per packet), 40 ms RTT, a queue of 50 ms.
		{"clean", simPath{oneWay: 20 * ms, perPacket: 960e3, queueMax: 50 * ms}, 3e9, false, false},
		{"1% random loss", simPath{oneWay: 20 * ms, perPacket: 960e3, queueMax: 50 * ms, loss: 0.01}, 10e9, false, false}, // Mathis: ~6.5 s
		{"5% random loss", simPath{oneWay: 20 * ms, perPacket: 960e3, queueMax: 50 * ms, loss: 0.05}, 30e9, false, false}, // Mathis: ~15 s
		{"shallow queue", simPath{oneWay: 20 * ms, perPacket: 960e3, queueMax: 5 * ms}, 6e9, false, false},
		{"cubic clean", simPath{oneWay: 20 * ms, perPacket: 960e3, queueMax: 50 * ms}, 3e9, true, false},
		{"cubic 1% random loss", simPath{oneWay: 20 * ms, perPacket: 960e3, queueMax: 50 * ms, loss: 0.01}, 10e9, true, false},
		{"hystart clean", simPath{oneWay: 20 * ms, perPacket: 960e3, queueMax: 50 * ms}, 3e9, false, true},
		{"cubic hystart clean", simPath{oneWay: 20 * ms, perPacket: 960e3, queueMax: 50 * ms}, 3e9, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cc CongestionController = &NewReno{}
			if tt.cubic {
				c := NewCubic(1200)
				c.HyStart = tt.hystart
				cc = c
			} else {
				c := NewNewReno(1200)
				c.HyStart = tt.hystart
				cc = c
			}
			snd, end := runTransfer(t, tt.path, cc, segments, 7)
			// 2000 packets need at least 1.92 s at 10 Mbit/s.
			if end < 1920*ms || end > tt.maxTime {
				t.Errorf("transfer took %d ms, want between 1920 and %d", end/ms, tt.maxTime/ms)
			}
			if tt.path.loss > 0 && snd.lostPkts == 0 {
				t.Error("no loss detected on a lossy path")
			}
			if snd.r.BytesInFlight() < 0 {
				t.Errorf("bytes in flight %d", snd.r.BytesInFlight())
			}
			t.Logf("%d ms, %d packets lost, final window %d, srtt %d ms",
				end/ms, snd.lostPkts, snd.r.Congestion().Window(), snd.r.RTT().Smoothed()/ms)
		})
	}
}
