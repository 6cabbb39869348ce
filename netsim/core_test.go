package netsim

import (
	"net/netip"
	"testing"
	"time"
)

// pullCore is a toy pull-style core with the Core shape: it holds a queue
// of outgoing messages, resends the oldest unacknowledged one on timeout,
// and acknowledges what it receives.
type pullCore struct {
	peer     netip.AddrPort
	out      []byte // messages to deliver, one byte each, in order
	acked    int
	inflight bool
	deadline int64
	acks     []byte // acknowledgements to send
	got      []byte
}

func (c *pullCore) Receive(now int64, from netip.AddrPort, d []byte) {
	if len(d) != 2 {
		return
	}
	switch d[0] {
	case 'D':
		if int(d[1]) == len(c.got) {
			c.got = append(c.got, d[1])
		}
		c.acks = append(c.acks, d[1])
		c.peer = from
	case 'A':
		if c.inflight && int(d[1]) == c.acked {
			c.acked++
			c.inflight, c.deadline = false, 0
		}
	}
}

func (c *pullCore) Send(now int64, buf []byte) (int, netip.AddrPort, bool) {
	if len(c.acks) > 0 {
		buf[0], buf[1] = 'A', c.acks[0]
		c.acks = c.acks[1:]
		return 2, c.peer, true
	}
	if !c.inflight && c.acked < len(c.out) {
		buf[0], buf[1] = 'D', c.out[c.acked]
		c.inflight, c.deadline = true, now+int64(30*time.Millisecond)
		return 2, c.peer, true
	}
	return 0, netip.AddrPort{}, false
}

func (c *pullCore) Deadline() int64 { return c.deadline }

func (c *pullCore) HandleTimeout(now int64) {
	if c.inflight && now >= c.deadline {
		c.inflight, c.deadline = false, 0 // Send retransmits
	}
}

func TestCoreNode(t *testing.T) {
	n := New(3)
	n.SetDefaultLink(LinkConfig{Delay: 5 * time.Millisecond, Loss: 0.2})
	a, b := n.MustListen("10.0.0.1:1"), n.MustListen("10.0.0.2:2")
	sender := &pullCore{peer: b.AddrPort()}
	receiver := &pullCore{}
	loop := NewLoop(n)
	loop.Add(a, CoreNode(a, sender))
	loop.Add(b, CoreNode(b, receiver))
	// Nothing to do until the test queues data; the flush at the start of
	// Run then sends it without any event having happened.
	if loop.Step() {
		t.Fatal("idle loop stepped")
	}
	for round := range 3 {
		for i := range 20 {
			sender.out = append(sender.out, byte(round*20+i))
		}
		want := len(sender.out)
		if !loop.Run(time.Hour, func() bool { return len(receiver.got) == want && sender.acked == want }) {
			t.Fatalf("round %d: got %d, acked %d", round, len(receiver.got), sender.acked)
		}
	}
	for i, v := range receiver.got {
		if int(v) != i {
			t.Fatalf("message %d is %d", i, v)
		}
	}
	if s := n.Link(a, b).Stats(); s.Dropped[DropLoss] == 0 {
		t.Error("no loss: the retransmission path was not exercised")
	}
}
