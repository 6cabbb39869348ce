package recovery

import (
	"slices"
	"testing"
)

// initialPTO is the PTO before any RTT sample: 333 + 4*166.5 ms.
const initialPTO = 999 * ms

func TestPTOBackoff(t *testing.T) {
	r := New(Config{IsServer: true}, &recorder{})
	r.SetHandshakeConfirmed(0)
	send(r, 0, Application, 0)
	pto := initialPTO + DefaultMaxAckDelay
	if r.Deadline() != pto {
		t.Fatalf("deadline %d, want %d", r.Deadline(), pto)
	}
	last := int64(0)
	pn := uint64(1)
	for k := 1; k <= 5; k++ {
		now := r.Deadline()
		r.OnTimeout(now)
		if r.PTOCount() != k || r.ProbesPending(Application) != 2 {
			t.Fatalf("after PTO %d: count %d probes %d", k, r.PTOCount(), r.ProbesPending(Application))
		}
		// The timer runs from the last ack-eliciting packet, backed off.
		if want := last + pto<<k; r.Deadline() != want {
			t.Fatalf("after PTO %d: deadline %d, want %d", k, r.Deadline(), want)
		}
		if !r.CanSend(1 << 30) {
			t.Fatal("probes blocked by the congestion window")
		}
		send(r, now, Application, pn, pn+1)
		pn += 2
		last = now
		if r.ProbesPending(Application) != 0 {
			t.Fatalf("probes pending after sending two")
		}
		if want := last + pto<<k; r.Deadline() != want {
			t.Fatalf("after probes %d: deadline %d, want %d", k, r.Deadline(), want)
		}
	}
	mustAck(t, r, r.Deadline()-1, Application, ranges(pn-1, pn-1), 0)
	if r.PTOCount() != 0 {
		t.Errorf("ACK did not reset pto_count: %d", r.PTOCount())
	}
}

func TestPTOSpaces(t *testing.T) {
	tests := []struct {
		name      string
		confirmed bool
		sends     []struct {
			space Space
			at    int64
		}
		wantDeadline int64
		wantSpace    Space
	}{
		{"initial", false, []struct {
			space Space
			at    int64
		}{{Initial, 0}, {Handshake, 10 * ms}}, initialPTO, Initial},
		{"handshake earliest", false, []struct {
			space Space
			at    int64
		}{{Handshake, 0}, {Initial, 10 * ms}}, initialPTO, Handshake},
		{"application not armed before confirmation", false, []struct {
			space Space
			at    int64
		}{{Application, 0}}, NoDeadline, 0},
		{"application after confirmation adds max_ack_delay", true, []struct {
			space Space
			at    int64
		}{{Application, 0}}, initialPTO + DefaultMaxAckDelay, Application},
		{"handshake before application", false, []struct {
			space Space
			at    int64
		}{{Application, 0}, {Handshake, 5 * ms}}, 5*ms + initialPTO, Handshake},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New(Config{IsServer: true}, &recorder{})
			if tt.confirmed {
				r.SetHandshakeConfirmed(0)
			}
			for i, s := range tt.sends {
				send(r, s.at, s.space, uint64(i))
			}
			if r.Deadline() != tt.wantDeadline {
				t.Fatalf("deadline %d, want %d", r.Deadline(), tt.wantDeadline)
			}
			if tt.wantDeadline == NoDeadline {
				return
			}
			r.OnTimeout(tt.wantDeadline)
			for s := Space(0); s < NumSpaces; s++ {
				want := 0
				if s == tt.wantSpace {
					want = 2
				}
				if r.ProbesPending(s) != want {
					t.Errorf("probes in %v: %d, want %d", s, r.ProbesPending(s), want)
				}
			}
		})
	}
}

func TestClientAntiDeadlock(t *testing.T) {
	r := New(Config{ProbeCount: 1}, &recorder{})
	send(r, 0, Initial, 0)
	mustAck(t, r, 100*ms, Initial, ranges(0, 0), 0) // srtt 100, rttvar 50: PTO 300 ms
	// Nothing in flight, but the server may be blocked by its amplification
	// limit: the client keeps a timer from now.
	if want := 100*ms + 300*ms; r.Deadline() != want {
		t.Fatalf("deadline %d, want %d", r.Deadline(), want)
	}
	r.OnTimeout(400 * ms)
	if r.ProbesPending(Initial) != 1 || r.PTOCount() != 1 {
		t.Fatalf("probes %d count %d", r.ProbesPending(Initial), r.PTOCount())
	}
	if want := 400*ms + 600*ms; r.Deadline() != want {
		t.Fatalf("backed-off deadline %d, want %d", r.Deadline(), want)
	}
	r.SetHandshakeKeys(400 * ms)
	r.DiscardSpace(400*ms, Initial)
	r.OnTimeout(r.Deadline())
	if r.ProbesPending(Handshake) != 1 {
		t.Fatalf("no Handshake anti-deadlock probe")
	}
	// An ACK in the Handshake space validates the client's address: no more
	// anti-deadlock timer.
	send(r, 1000*ms, Handshake, 0)
	mustAck(t, r, 1100*ms, Handshake, ranges(0, 0), 0)
	if r.Deadline() != NoDeadline || r.PTOCount() != 0 {
		t.Errorf("after Handshake ACK: deadline %d count %d", r.Deadline(), r.PTOCount())
	}
}

func TestServerNoAntiDeadlock(t *testing.T) {
	r := New(Config{IsServer: true}, &recorder{})
	send(r, 0, Initial, 0)
	mustAck(t, r, 100*ms, Initial, ranges(0, 0), 0)
	if r.Deadline() != NoDeadline {
		t.Errorf("server armed a timer with nothing in flight: %d", r.Deadline())
	}
}

func TestAmplificationBlocked(t *testing.T) {
	r := New(Config{IsServer: true}, &recorder{})
	send(r, 0, Initial, 0)
	r.SetAmplificationBlocked(0, true)
	if r.Deadline() != NoDeadline {
		t.Fatalf("PTO armed while blocked")
	}
	r.SetAmplificationBlocked(2000*ms, false)
	if r.Deadline() != initialPTO {
		t.Fatalf("deadline %d after unblocking, want %d (already past: probe at once)", r.Deadline(), initialPTO)
	}
	// A loss time is armed even when blocked: declaring loss sends nothing.
	r = New(Config{IsServer: true}, &recorder{})
	send(r, 0, Handshake, 0)
	send(r, 10*ms, Handshake, 1)
	r.SetAmplificationBlocked(10*ms, true)
	mustAck(t, r, 110*ms, Handshake, ranges(1, 1), 0)
	if r.Deadline() != 112500000 {
		t.Errorf("loss timer %d while blocked, want 112.5 ms", r.Deadline())
	}
}

func TestDiscardSpace(t *testing.T) {
	h := &recorder{}
	r := New(Config{}, h)
	send(r, 0, Initial, 0, 1)
	send(r, 5*ms, Handshake, 0)
	r.OnTimeout(r.Deadline())
	if r.PTOCount() != 1 {
		t.Fatal("no PTO")
	}
	r.DiscardSpace(1200*ms, Initial)
	if r.BytesInFlight() != 1200 || r.PTOCount() != 0 || r.ProbesPending(Initial) != 0 {
		t.Fatalf("inflight %d count %d probes %d", r.BytesInFlight(), r.PTOCount(), r.ProbesPending(Initial))
	}
	if len(h.lost[Initial]) != 0 || len(h.acked[Initial]) != 0 {
		t.Fatal("discarded packets reported")
	}
	if r.Deadline() != 5*ms+initialPTO {
		t.Errorf("deadline %d, want Handshake PTO", r.Deadline())
	}
	// The space is gone: its ACKs and packets are ignored.
	mustAck(t, r, 1300*ms, Initial, ranges(0, 1), 0)
	send(r, 1300*ms, Initial, 2)
	if r.BytesInFlight() != 1200 || len(h.acked[Initial]) != 0 {
		t.Errorf("discarded space still active")
	}
	r.DiscardSpace(1300*ms, Application) // never discarded
	send(r, 1300*ms, Application, 0)
	if r.BytesInFlight() != 2400 {
		t.Errorf("Application discarded")
	}
}

func TestPTOProbeTimeoutThenAckDeclaresLoss(t *testing.T) {
	// After a PTO, the probe is acknowledged and the original packet,
	// three packet numbers below, is declared lost (RFC 9002 section 6.2.4).
	h := &recorder{}
	r := New(Config{IsServer: true, ProbeCount: 1}, h)
	r.SetHandshakeConfirmed(0)
	send(r, 0, Application, 0)
	r.OnTimeout(r.Deadline())
	now := r.Deadline()
	send(r, now, Application, 1, 2, 3)
	mustAck(t, r, now+50*ms, Application, ranges(3, 3), 0)
	if !slices.Equal(h.lost[Application], []uint64{0}) {
		t.Errorf("lost %v, want [0]", h.lost[Application])
	}
}

func TestDiscardZeroRTT(t *testing.T) {
	h := &recorder{}
	r := New(Config{}, h)
	send(r, 0, Initial, 0)
	for pn := uint64(0); pn < 3; pn++ {
		r.OnPacketSent(0, Application, SentPacket{PacketNumber: pn, Size: 1000, AckEliciting: true, ZeroRTT: true})
	}
	send(r, 10*ms, Application, 3) // 1-RTT
	r.DiscardZeroRTT(20 * ms)
	if r.BytesInFlight() != 2400 || !slices.Equal(h.lost[Application], []uint64{0, 1, 2}) {
		t.Errorf("inflight %d lost %v", r.BytesInFlight(), h.lost[Application])
	}
	if r.Congestion().Window() != 12000 {
		t.Errorf("congestion response to rejected 0-RTT: window %d", r.Congestion().Window())
	}
	checkInvariants(t, r)
}

func TestOnRetry(t *testing.T) {
	h := &recorder{}
	r := New(Config{}, h)
	send(r, 0, Initial, 0, 1)
	r.OnPacketSent(0, Application, SentPacket{PacketNumber: 0, Size: 1000, AckEliciting: true, ZeroRTT: true})
	r.OnTimeout(r.Deadline()) // a PTO before the Retry arrives
	if r.PTOCount() != 1 {
		t.Fatal("no PTO")
	}
	r.OnRetry(initialPTO + 10*ms)
	if r.BytesInFlight() != 0 || r.PTOCount() != 0 || r.ProbesPending(Initial) != 0 {
		t.Fatalf("after Retry: inflight %d count %d probes %d", r.BytesInFlight(), r.PTOCount(), r.ProbesPending(Initial))
	}
	if len(h.lost[Initial]) != 0 || !slices.Equal(h.lost[Application], []uint64{0}) {
		t.Fatalf("lost Initial %v (want none) 0-RTT %v (want [0])", h.lost[Initial], h.lost[Application])
	}
	if r.Congestion().Window() != 12000 {
		t.Errorf("congestion response to a Retry: window %d", r.Congestion().Window())
	}
	// The Initial space lives on with continuing packet numbers; an ACK of
	// a packet sent before the Retry is still a packet we sent.
	now := initialPTO + 20*ms
	send(r, now, Initial, 2)
	if r.Deadline() != now+initialPTO {
		t.Errorf("deadline %d, want a fresh PTO %d", r.Deadline(), now+initialPTO)
	}
	mustAck(t, r, now+50*ms, Initial, ranges(2, 2), 0)
	if !slices.Equal(h.acked[Initial], []uint64{2}) || r.BytesInFlight() != 0 {
		t.Errorf("acked %v inflight %d", h.acked[Initial], r.BytesInFlight())
	}
	checkInvariants(t, r)
}

// TestNoProbeInDiscardedSpace: a PTO never asks for probes in a space whose
// keys are gone (they could never be sent).
func TestNoProbeInDiscardedSpace(t *testing.T) {
	for _, tt := range []struct {
		name          string
		handshakeKeys bool
		discard       Space
	}{
		{"anti-deadlock Initial after its discard", false, Initial},
		{"anti-deadlock Handshake after its discard", true, Handshake},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := New(Config{}, &recorder{})
			send(r, 0, Initial, 0)
			mustAck(t, r, 100*ms, Initial, ranges(0, 0), 0)
			if tt.handshakeKeys {
				r.SetHandshakeKeys(100 * ms)
			}
			deadline := r.Deadline()
			r.DiscardSpace(100*ms, tt.discard)
			r.OnTimeout(deadline)
			for s := range NumSpaces {
				if r.ProbesPending(s) != 0 {
					t.Errorf("%d probes in %v", r.ProbesPending(s), s)
				}
			}
			if r.Deadline() != NoDeadline {
				t.Errorf("timer %d armed with no space to probe", r.Deadline())
			}
		})
	}
}
