package quicproto

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/internal/quicwire"
	"github.com/h3wasi/h3wasi/netsim"
)

var lan = netsim.LinkConfig{Delay: 10 * time.Millisecond}

func TestPairIdleTimeout(t *testing.T) {
	p := newPair(t, pairOpts{seed: 3, link: lan,
		clientCfg: func(c *Config) { c.MaxIdleTimeout = 5 * time.Second },
		serverCfg: func(c *Config) { c.MaxIdleTimeout = 30 * time.Second }})
	p.handshake()
	start := p.net.Now()
	p.run(time.Minute, func() bool { return p.cc.Done() && p.sc.Done() })
	if !errors.Is(p.cc.Err(), ErrIdleTimeout) || !errors.Is(p.sc.Err(), ErrIdleTimeout) {
		t.Fatalf("errors: client %v, server %v", p.cc.Err(), p.sc.Err())
	}
	// The smaller of the two idle timeouts applies to both (RFC 9000 section 10.1).
	if took := p.net.Now() - start; took < 5*time.Second || took > 6*time.Second {
		t.Errorf("idle timeout after %v, want about 5s", took)
	}
}

func TestPairKeepAlive(t *testing.T) {
	p := newPair(t, pairOpts{seed: 3, link: lan,
		clientCfg: func(c *Config) { c.MaxIdleTimeout = 5 * time.Second; c.KeepAlivePeriod = 2 * time.Second }})
	p.handshake()
	p.run(30*time.Second, func() bool { return p.cc.Err() != nil })
	if p.cc.Err() != nil || p.sc.Err() != nil {
		t.Fatalf("keep-alive did not keep the connection: %v / %v", p.cc.Err(), p.sc.Err())
	}
}

func TestPairApplicationClose(t *testing.T) {
	p := newPair(t, pairOpts{seed: 4, link: lan})
	p.handshake()
	p.cc.CloseWithError(int64(p.net.Now()), 0x1234, "bye now")
	p.run(10*time.Second, func() bool { return p.cc.Done() && p.sc.Done() })
	var ae *ApplicationError
	if !errors.As(p.sc.Err(), &ae) || ae.Code != 0x1234 || ae.Reason != "bye now" || !ae.Remote {
		t.Fatalf("server saw %v", p.sc.Err())
	}
	if !errors.As(p.cc.Err(), &ae) || ae.Remote {
		t.Fatalf("client error %v", p.cc.Err())
	}
	if !p.cc.Done() || !p.sc.Done() {
		t.Fatal("closing/draining did not end")
	}
}

func TestPairBlackhole(t *testing.T) {
	p := newPair(t, pairOpts{seed: 5, link: lan})
	p.handshake()
	// Everything is dropped for 5 s, starting 50 ms into the transfer.
	link := lan
	start := p.net.Now() + 50*time.Millisecond
	link.Blackholes = []netsim.Window{{Start: start, End: start + 5*time.Second}}
	p.net.SetPath(p.cep, p.sep, link, link)
	data := testData(2 << 20)
	got, took := p.transfer(data, 120*time.Second)
	if !bytes.Equal(got, data) {
		t.Fatal("data differs after blackhole")
	}
	if took < 5*time.Second {
		t.Errorf("transfer took %v through a 5 s blackhole", took)
	}
	t.Logf("2 MiB through a 5 s blackhole in %v", took)
}

func TestPairManyStreams(t *testing.T) {
	const streams = 1000
	p := newPair(t, pairOpts{seed: 6, link: lan,
		serverCfg: func(c *Config) { c.MaxIncomingStreams = streams }})
	p.handshake()
	type sendState struct {
		s    *Stream
		data []byte
		off  int
	}
	var senders []*sendState
	for i := range streams {
		s, ok := p.cc.OpenStream(false)
		if !ok {
			t.Fatalf("OpenStream %d failed", i)
		}
		senders = append(senders, &sendState{s: s, data: testData(1000 + i)})
	}
	got := map[StreamID][]byte{}
	finished := 0
	buf := make([]byte, 4096)
	p.run(60*time.Second, func() bool {
		for _, st := range senders {
			if st.off < len(st.data) {
				st.off += st.s.Write(st.data[st.off:])
				if st.off == len(st.data) {
					st.s.Close()
				}
			}
		}
		for {
			ev, ok := p.sc.NextEvent()
			if !ok {
				break
			}
			if ev.Kind != EventStreamReadable {
				continue
			}
			s := p.sc.Stream(ev.Stream)
			for s != nil {
				n, err := s.Read(buf)
				got[ev.Stream] = append(got[ev.Stream], buf[:n]...)
				if err != nil {
					finished++
					break
				}
				if n == 0 {
					break
				}
			}
		}
		return finished == streams
	})
	if finished != streams {
		t.Fatalf("%d of %d streams finished", finished, streams)
	}
	for i, st := range senders {
		if !bytes.Equal(got[st.s.ID()], st.data) {
			t.Fatalf("stream %d data differs", i)
		}
	}
}

func TestPairKeyUpdate(t *testing.T) {
	p := newPair(t, pairOpts{seed: 8, link: lan,
		clientCfg: func(c *Config) { c.KeyUpdateInterval = 300 }})
	p.handshake()
	data := testData(4 << 20)
	got, _ := p.transfer(data, 60*time.Second)
	if !bytes.Equal(got, data) {
		t.Fatal("data differs across key updates")
	}
	if p.cc.keyUpd.updates < 3 {
		t.Errorf("client initiated %d key updates", p.cc.keyUpd.updates)
	}
	if p.sc.keyUpd.keys.Phase() < 3 {
		t.Errorf("server key phase %d", p.sc.keyUpd.keys.Phase())
	}
}

func TestPairRetry(t *testing.T) {
	p := newPair(t, pairOpts{seed: 9, link: lan,
		endpointCfg: func(e *EndpointConfig) { e.RequireRetry = true }})
	p.handshake()
	if !p.cc.retried || !p.sc.retried {
		t.Fatal("no Retry round trip")
	}
	if lost := p.cc.Stats().PacketsLost; lost != 0 {
		t.Errorf("client counted %d packets lost on a clean link (the Retry is no loss)", lost)
	}
	data := testData(100 << 10)
	if got, _ := p.transfer(data, 10*time.Second); !bytes.Equal(got, data) {
		t.Fatal("data differs")
	}
}

func TestPairStatelessReset(t *testing.T) {
	p := newPair(t, pairOpts{seed: 10, link: lan})
	p.handshake()
	// The server forgets the connection (a restart, say); its next packet from the
	// client triggers a stateless reset.
	p.server.Forget(p.sc)
	p.server.list = nil
	s, _ := p.cc.OpenStream(false)
	s.Write([]byte("anyone there?"))
	p.run(5*time.Second, func() bool { return p.cc.Err() != nil })
	if !errors.Is(p.cc.Err(), ErrStatelessReset) {
		t.Fatalf("client error %v, want stateless reset", p.cc.Err())
	}
}

func TestPairVersionNegotiation(t *testing.T) {
	p := newPair(t, pairOpts{seed: 11, link: lan, clientCfg: func(c *Config) { c.Version = Version2 }})
	// Our server speaks v2 as well, so this handshake works.
	p.handshake()
	if p.sc.Version() != Version2 || p.cc.Version() != Version2 {
		t.Fatalf("versions: server %x, client %x", p.sc.Version(), p.cc.Version())
	}
}

// TestPairNATRebinding changes the client's address mid-transfer: the server follows it
// and validates the new path.
func TestPairNATRebinding(t *testing.T) {
	p := newPair(t, pairOpts{seed: 16, link: lan})
	p.handshake()
	p.cep.RebindAt(p.net.Now()+30*time.Millisecond, netip.MustParseAddrPort("10.0.0.1:5555"))
	data := testData(1 << 20)
	got, _ := p.transfer(data, 30*time.Second)
	if !bytes.Equal(got, data) {
		t.Fatal("data differs after rebinding")
	}
	if p.sc.path.migrations != 1 || p.sc.peerAddr.Port() != 5555 {
		t.Fatalf("server migrations %d, peer %v", p.sc.path.migrations, p.sc.peerAddr)
	}
	if p.sc.path.validating {
		t.Error("new path not validated")
	}
}

// TestPairMixedImpairments runs transfers with key updates through loss, jitter,
// reordering, duplication and corruption over many seeds; afterwards no probe may be left
// pending (a stuck probe lets a sender ignore its congestion window).
func TestPairMixedImpairments(t *testing.T) {
	data := testData(256 << 10)
	for seed := uint64(100); seed < 112; seed++ {
		link := netsim.LinkConfig{Delay: 10 * time.Millisecond, Jitter: 3 * time.Millisecond,
			Loss: 0.05 + float64(seed%4)*0.05, Reorder: 0.03, Duplicate: 0.02, Corrupt: 0.02}
		p := newPair(t, pairOpts{seed: seed, link: link,
			clientCfg: func(c *Config) { c.KeyUpdateInterval = 50 + seed }})
		if !p.run(60*time.Second, func() bool {
			return p.cc.handshakeConfirmed && p.sc != nil && p.sc.handshakeConfirmed
		}) {
			t.Fatalf("seed %d: handshake failed: %v", seed, p.cc.Err())
		}
		if got, _ := p.transfer(data, 300*time.Second); !bytes.Equal(got, data) {
			t.Fatalf("seed %d: data differs", seed)
		}
		for _, c := range []*Conn{p.cc, p.sc} {
			for l := levelInitial; l < levelApp; l++ {
				if n := c.lr.ProbesPending(toSpace(l)); n > 0 {
					t.Errorf("seed %d: server=%v has %d %v probes pending", seed, c.isServer, n, l)
				}
			}
		}
	}
}

// TestPathValidationFailure: if the new address never answers the PATH_CHALLENGE (here:
// an attacker spoofed it), the server limits what it sends there and goes back to the
// old address.
func TestPathValidationFailure(t *testing.T) {
	tc := newTestConn(t)
	old := tc.c.peerAddr
	spoofed := netip.MustParseAddrPort("203.0.113.9:999")
	tc.addr = spoofed
	tc.writeFrames(enc(quicwire.PingFrame{}))
	if tc.c.peerAddr != spoofed || !tc.c.path.validating {
		t.Fatalf("server did not move to the new address: %v", tc.c.peerAddr)
	}
	frames := tc.readFrames()
	if _, ok := find(frames, quicwire.FrameTypePathChallenge); !ok {
		t.Fatalf("no PATH_CHALLENGE, frames %v", frames)
	}
	if tc.c.path.sent > 3*tc.c.path.recv {
		t.Errorf("sent %d bytes to an unvalidated address after receiving %d", tc.c.path.sent, tc.c.path.recv)
	}
	tc.advance(5 * time.Second)
	if tc.c.peerAddr != old || tc.c.path.validating {
		t.Fatalf("server stayed on the unvalidated address %v", tc.c.peerAddr)
	}
}
