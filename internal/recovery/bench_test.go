package recovery

import (
	"testing"

	"github.com/h3wasi/h3wasi/internal/quicwire"
)

// nopHandler ignores packet fates.
type nopHandler struct{ acked, lost int }

func (h *nopHandler) OnPacketAcked(Space, *SentPacket) { h.acked++ }
func (h *nopHandler) OnPacketLost(Space, *SentPacket)  { h.lost++ }

// steady drives a connection in steady state: packets with two frames are
// sent 100 µs apart; every second packet an ACK arrives 20 ms later
// acknowledging the last 10 packets except every 50th, which is lost.
type steady struct {
	r      *Recovery
	h      *nopHandler
	frames []Frame
	rs     []quicwire.AckRange
	pn     uint64
	now    int64
}

func newSteady() *steady {
	s := &steady{h: &nopHandler{}, frames: make([]Frame, 2), rs: make([]quicwire.AckRange, 0, 4)}
	s.r = New(Config{IsServer: true}, s.h)
	s.r.SetHandshakeConfirmed(0)
	return s
}

// step sends one packet and, every second packet, processes an ACK.
func (s *steady) step() {
	s.frames[0] = Frame{Kind: 1, ID: 4, Offset: s.pn * 1000, Length: 1000}
	s.frames[1] = Frame{Kind: 2, ID: s.pn}
	s.r.OnPacketSent(s.now, Application, SentPacket{PacketNumber: s.pn, Size: 1200, AckEliciting: true, Frames: s.frames})
	s.pn++
	s.now += 100e3
	if s.pn%2 == 0 && s.pn > 220 {
		largest := s.pn - 200 // acknowledged 20 ms after sending
		lo := largest - 9
		s.rs = s.rs[:0]
		if hole := largest - largest%50; hole > lo && hole <= largest {
			if hole < largest {
				s.rs = append(s.rs, quicwire.AckRange{Smallest: hole + 1, Largest: largest})
			}
			if hole > lo {
				s.rs = append(s.rs, quicwire.AckRange{Smallest: lo, Largest: hole - 1})
			}
		} else {
			s.rs = append(s.rs, quicwire.AckRange{Smallest: lo, Largest: largest})
		}
		if err := s.r.OnAck(s.now, Application, Ack{Ranges: s.rs, AckDelay: ms}); err != nil {
			panic(err)
		}
	}
	if s.now >= s.r.Deadline() {
		s.r.OnTimeout(s.now)
	}
}

func TestSteadyStateAllocs(t *testing.T) {
	s := newSteady()
	for i := 0; i < 5000; i++ {
		s.step()
	}
	if allocs := testing.AllocsPerRun(1000, s.step); allocs != 0 {
		t.Errorf("allocs per packet = %v, want 0", allocs)
	}
	if s.h.lost == 0 || s.h.acked == 0 {
		t.Errorf("scenario has acked %d lost %d", s.h.acked, s.h.lost)
	}
	if n := s.r.spaces[Application].sent.n; n > 1000 {
		t.Errorf("%d packets tracked: ring not drained", n)
	}
}

func BenchmarkSendAck(b *testing.B) {
	b.ReportAllocs()
	s := newSteady()
	for i := 0; i < 5000; i++ {
		s.step()
	}
	for b.Loop() {
		s.step()
	}
}

func BenchmarkAckTracker(b *testing.B) {
	b.ReportAllocs()
	var a AckTracker
	a.Init(Application, 25*ms)
	dst := make([]quicwire.AckRange, 0, DefaultMaxAckRanges)
	pn := uint64(0)
	for b.Loop() {
		pn++
		if pn%20 == 0 {
			pn++ // a lost packet leaves a gap
		}
		a.OnPacketReceived(int64(pn), pn, true, NotECT)
		if a.AckDue(int64(pn)) {
			dst = a.AppendRanges(dst[:0])
			a.OnAckSent()
			if pn%10 == 0 {
				a.OnAckAcked(dst[0].Largest)
			}
		}
	}
}
