package quicproto

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
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

var _ = bytes.Equal
var _ = errors.Is
var _ = fmt.Sprint
var _ netip.AddrPort
