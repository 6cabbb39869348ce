package quicproto

import (
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/internal/quicwire"
	"github.com/h3wasi/h3wasi/netsim"
)

// countTracer counts what a Tracer sees and checks that every payload parses.
type countTracer struct {
	t                      *testing.T
	sent, recv, drop, lost int
	sentTypes              map[quicwire.PacketType]int
}

func (c *countTracer) PacketSent(now int64, pt quicwire.PacketType, pn uint64, size int, payload []byte) {
	c.sent++
	c.sentTypes[pt]++
	splitFrames(c.t, payload)
}

func (c *countTracer) PacketReceived(now int64, pt quicwire.PacketType, pn uint64, size int, payload []byte) {
	c.recv++
}

func (c *countTracer) PacketDropped(now int64, pt quicwire.PacketType, size int, reason string) {
	c.drop++
}

func (c *countTracer) PacketLost(space int, pn uint64) { c.lost++ }

func TestTracer(t *testing.T) {
	tr := &countTracer{t: t, sentTypes: map[quicwire.PacketType]int{}}
	p := newPair(t, pairOpts{seed: 36, link: netsim.LinkConfig{Delay: 10 * time.Millisecond, Loss: 0.1},
		clientCfg: func(c *Config) { c.Tracer = tr }})
	p.handshake()
	p.transfer(testData(200<<10), 30*time.Second)
	if tr.sentTypes[quicwire.PacketInitial] == 0 || tr.sentTypes[quicwire.PacketHandshake] == 0 || tr.sentTypes[quicwire.Packet1RTT] == 0 {
		t.Errorf("sent packet types %v", tr.sentTypes)
	}
	if tr.recv == 0 || tr.lost == 0 {
		t.Errorf("received %d, lost %d", tr.recv, tr.lost)
	}
	if uint64(tr.sent) != p.cc.Stats().PacketsSent {
		t.Errorf("traced %d sent packets, stats say %d", tr.sent, p.cc.Stats().PacketsSent)
	}
}
