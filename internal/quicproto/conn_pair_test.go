package quicproto

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/netsim"
)

// pair is a client and a server endpoint connected through a simulated network.
type pair struct {
	t        testing.TB
	net      *netsim.Network
	loop     *netsim.Loop
	cep, sep *netsim.Endpoint
	client   *Endpoint
	server   *Endpoint
	cc       *Conn // client connection
	sc       *Conn // server connection, once accepted
}

type pairOpts struct {
	seed        uint64
	link        netsim.LinkConfig // both directions
	clientCfg   func(*Config)
	serverCfg   func(*Config)
	endpointCfg func(*EndpointConfig)
}

func newPair(t testing.TB, o pairOpts) *pair {
	t.Helper()
	ccfg, scfg := testConfigs(t, o.seed)
	if o.clientCfg != nil {
		o.clientCfg(ccfg)
	}
	if o.serverCfg != nil {
		o.serverCfg(scfg)
	}
	p := &pair{t: t, net: netsim.New(o.seed)}
	p.cep = p.net.MustListen("10.0.0.1:4000")
	p.sep = p.net.MustListen("10.0.0.2:443")
	p.net.SetPath(p.cep, p.sep, o.link, o.link)
	var err error
	p.client, err = NewEndpoint(EndpointConfig{Conn: ccfg})
	if err != nil {
		t.Fatal(err)
	}
	ecfg := EndpointConfig{Conn: scfg, Server: true}
	if o.endpointCfg != nil {
		o.endpointCfg(&ecfg)
	}
	p.server, err = NewEndpoint(ecfg)
	if err != nil {
		t.Fatal(err)
	}
	p.loop = netsim.NewLoop(p.net)
	p.loop.Add(p.cep, netsim.CoreNode(p.cep, p.client))
	p.loop.Add(p.sep, netsim.CoreNode(p.sep, p.server))
	p.cc, err = p.client.Dial(0, p.sep.AddrPort())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// run steps the simulation until done or the virtual time limit.
func (p *pair) run(limit time.Duration, done func() bool) bool {
	return p.loop.Run(p.net.Now()+limit, func() bool {
		if p.sc == nil {
			p.sc, _ = p.server.Accept()
		}
		return done()
	})
}

func (p *pair) handshake() {
	p.t.Helper()
	ok := p.run(10*time.Second, func() bool {
		return p.cc.HandshakeComplete() && p.sc != nil && p.sc.HandshakeComplete() && p.cc.handshakeConfirmed
	})
	if !ok {
		p.t.Fatalf("handshake did not complete: client err %v", p.cc.Err())
	}
}

func TestPairHandshake(t *testing.T) {
	p := newPair(t, pairOpts{seed: 1, link: netsim.LinkConfig{Delay: 10 * time.Millisecond}})
	p.handshake()
	if got := p.cc.TLSState().NegotiatedProtocol; got != "test" {
		t.Errorf("ALPN = %q", got)
	}
	if p.cc.spaces[levelInitial].seal != nil || p.cc.spaces[levelHandshake].seal != nil {
		t.Errorf("client kept Initial/Handshake keys after confirmation")
	}
	if !p.sc.spaces[levelHandshake].discarded {
		t.Errorf("server kept Handshake keys")
	}
	t.Logf("handshake done at %v", p.net.Now())
}

// testData returns n deterministic, non-repeating-looking bytes.
func testData(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// transfer sends data from the client to the server on one stream and returns what the
// server read, and the virtual time it took.
func (p *pair) transfer(data []byte, limit time.Duration) ([]byte, time.Duration) {
	p.t.Helper()
	start := p.net.Now()
	s, ok := p.cc.OpenStream(false)
	if !ok {
		p.t.Fatal("OpenStream failed")
	}
	written, closed, finished := 0, false, false
	var rs *Stream
	got := make([]byte, 0, len(data))
	buf := make([]byte, 64<<10)
	p.run(limit, func() bool {
		for written < len(data) {
			n := s.Write(data[written:])
			if n == 0 {
				break
			}
			written += n
		}
		if written == len(data) && !closed {
			s.Close()
			closed = true
		}
		for {
			ev, ok := p.sc.NextEvent()
			if !ok {
				break
			}
			if ev.Kind == EventStreamOpened && rs == nil {
				rs = p.sc.Stream(ev.Stream)
			}
		}
		for rs != nil && !finished {
			n, err := rs.Read(buf)
			got = append(got, buf[:n]...)
			if errors.Is(err, io.EOF) {
				finished = true
			} else if err != nil {
				p.t.Fatalf("server read: %v", err)
			}
			if n == 0 {
				break
			}
		}
		return finished || p.cc.Err() != nil || p.sc.Err() != nil
	})
	if !finished {
		p.t.Fatalf("transfer incomplete at %v: wrote %d, read %d; client err %v, server err %v",
			p.net.Now()-start, written, len(got), p.cc.Err(), p.sc.Err())
	}
	return got, p.net.Now() - start
}

func TestPairTransfer(t *testing.T) {
	data := testData(10 << 20)
	cases := []struct {
		name string
		link netsim.LinkConfig
	}{
		{"clean", netsim.LinkConfig{Delay: 10 * time.Millisecond}},
		{"loss2", netsim.LinkConfig{Delay: 10 * time.Millisecond, Loss: 0.02}},
		{"loss10", netsim.LinkConfig{Delay: 10 * time.Millisecond, Loss: 0.10}},
		{"loss30", netsim.LinkConfig{Delay: 10 * time.Millisecond, Loss: 0.30}},
		{"reorder-dup-corrupt", netsim.LinkConfig{Delay: 10 * time.Millisecond, Jitter: 5 * time.Millisecond,
			Reorder: 0.05, Duplicate: 0.02, Corrupt: 0.02, Loss: 0.01}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newPair(t, pairOpts{seed: 7, link: tc.link})
			p.handshake()
			got, took := p.transfer(data, 600*time.Second)
			if !bytes.Equal(got, data) {
				t.Fatalf("data differs: got %d bytes, want %d", len(got), len(data))
			}
			st := p.cc.Stats()
			t.Logf("%d bytes in %v virtual (%.1f Mbit/s); client sent %d packets, %d lost, srtt %v, cwnd %d; c->s %+v",
				len(data), took, float64(len(data))*8/took.Seconds()/1e6, st.PacketsSent, st.PacketsLost,
				st.SmoothedRTT, st.CongestionWindow, p.net.Link(p.cep, p.sep).Stats())
		})
	}
}
