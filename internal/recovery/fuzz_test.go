package recovery

import (
	"errors"
	"testing"

	"github.com/h3wasi/h3wasi/internal/quicwire"
)

// checkInvariants verifies that the accounting matches the tracked packets.
func checkInvariants(t *testing.T, r *Recovery) {
	t.Helper()
	inFlight := 0
	for sp := range r.spaces {
		s := &r.spaces[sp]
		eliciting := 0
		var prev int64 = -1
		for i := 0; i < s.sent.n; i++ {
			p := s.sent.at(i)
			if int64(p.PacketNumber) <= prev {
				t.Fatalf("space %d: packet numbers out of order", sp)
			}
			prev = int64(p.PacketNumber)
			if p.state == slotOutstanding {
				if p.InFlight {
					inFlight += p.Size
				}
				if p.AckEliciting {
					eliciting++
				}
			}
		}
		if eliciting != s.ackEliciting {
			t.Fatalf("space %d: %d ack-eliciting counted, %d tracked", sp, s.ackEliciting, eliciting)
		}
	}
	if inFlight != r.bytesInFlight {
		t.Fatalf("bytes in flight %d, tracked %d", r.bytesInFlight, inFlight)
	}
	if r.cc.Window() < MinimumWindow(r.mss) {
		t.Fatalf("window %d below minimum", r.cc.Window())
	}
}

// FuzzRecovery drives a Recovery with sends, ACKs (whose ranges come from
// the input, as from a peer), timeouts and key events, and checks that it
// never panics, rejects bad ACKs with a TransportError, and keeps its
// accounting consistent.
func FuzzRecovery(f *testing.F) {
	f.Add([]byte{0, 2, 0, 2, 0, 2, 0, 2, 1, 2, 3, 1, 0, 0, 2, 0})
	f.Add([]byte{0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 2, 9, 3, 0, 0, 4, 1, 0})
	f.Add([]byte{0, 2, 0, 2, 0, 2, 0, 2, 0, 2, 0, 2, 1, 2, 5, 2, 1, 1, 0, 0, 2, 0, 2, 0, 5, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 600 {
			data = data[:600]
		}
		var cc CongestionController
		switch len(data) % 4 {
		case 0:
			cc = NewCubic(0)
		case 1:
			c := NewCubic(0)
			c.HyStart = true
			cc = c
		case 2:
			c := NewNewReno(0)
			c.HyStart = true
			cc = c
		}
		r := New(Config{IsServer: len(data)%2 == 0, Congestion: cc}, &nopHandler{})
		var nextPN [NumSpaces]uint64
		now := int64(0)
		rs := make([]quicwire.AckRange, 0, 8)
		for len(data) >= 3 {
			op, space, arg := data[0]%6, Space(data[1]%3), data[2]
			data = data[3:]
			now += int64(arg) * ms / 4
			switch op {
			case 0: // send
				r.OnPacketSent(now, space, SentPacket{
					PacketNumber: nextPN[space], Size: 50 + int(arg)*5,
					AckEliciting: arg%4 != 0, InFlight: arg%8 == 0,
				})
				nextPN[space] += 1 + uint64(arg%3/2) // sometimes skip one
			case 1: // ACK with up to 4 ranges read from the input
				rs = rs[:0]
				n := int(arg%4) + 1
				for i := 0; i < n && len(data) >= 2; i++ {
					rs = append(rs, quicwire.AckRange{Smallest: uint64(data[1]), Largest: uint64(data[0])})
					data = data[2:]
				}
				err := r.OnAck(now, space, Ack{Ranges: rs, AckDelay: int64(arg) * ms, HasECN: arg%5 == 0, CE: uint64(arg)})
				var te *quicwire.TransportError
				if err != nil && !errors.As(err, &te) {
					t.Fatalf("untyped error %v", err)
				}
			case 2:
				r.OnTimeout(now)
			case 3:
				if space != Application {
					r.DiscardSpace(now, space)
				}
			case 4:
				r.SetAmplificationBlocked(now, arg%2 == 0)
			case 5:
				switch arg % 3 {
				case 0:
					r.SetHandshakeConfirmed(now)
				case 1:
					r.SetHandshakeKeys(now)
				case 2:
					r.SetMaxDatagramSize(1200 + int(arg))
				}
				if arg%7 == 0 {
					r.OnRetry(now)
				}
			}
			checkInvariants(t, r)
			if d := r.Deadline(); d != NoDeadline && d < 0 {
				t.Fatalf("deadline %d", d)
			}
		}
	})
}

// FuzzAckTracker feeds an AckTracker packet numbers from the input and
// checks that the ranges it would send are well formed, report only
// received packets, and that duplicates are caught.
func FuzzAckTracker(f *testing.F) {
	f.Add([]byte{0, 1, 2, 5, 6, 9, 12, 13}, uint8(3))
	f.Add([]byte{9, 8, 7, 1, 2, 3, 200, 3, 100}, uint8(0))
	f.Fuzz(func(t *testing.T, pns []byte, maxRanges uint8) {
		var a AckTracker
		a.Init(Application, 25*ms)
		a.MaxRanges = int(maxRanges%40) + 1
		received := map[uint64]bool{}
		var dst []quicwire.AckRange
		for i, b := range pns {
			pn := uint64(b)
			dup := a.OnPacketReceived(int64(i), pn, b%3 != 0, ECN(b%4))
			if received[pn] && !dup {
				t.Fatalf("duplicate %d accepted", pn)
			}
			received[pn] = true
			if b%7 == 0 {
				dst = a.AppendRanges(dst[:0])
				if len(dst) == 0 || len(dst) > a.MaxRanges {
					t.Fatalf("%d ranges", len(dst))
				}
				for j, r := range dst {
					if r.Smallest > r.Largest || (j > 0 && r.Largest+1 >= dst[j-1].Smallest) {
						t.Fatalf("bad ranges %v", dst)
					}
					for v := r.Smallest; v <= r.Largest; v++ {
						if !received[v] {
							t.Fatalf("acknowledged %d never received: %v", v, dst)
						}
					}
				}
				a.OnAckSent()
				if b%2 == 0 {
					a.OnAckAcked(dst[len(dst)-1].Largest)
				}
			}
		}
	})
}
