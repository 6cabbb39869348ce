package recovery_test

import (
	"fmt"

	"github.com/h3wasi/h3wasi/internal/quicwire"
	"github.com/h3wasi/h3wasi/internal/recovery"
)

// conn stands for a connection: it requeues the frames of lost packets.
type conn struct{ requeued []recovery.Frame }

func (c *conn) OnPacketAcked(space recovery.Space, p *recovery.SentPacket) {}

func (c *conn) OnPacketLost(space recovery.Space, p *recovery.SentPacket) {
	c.requeued = append(c.requeued, p.Frames...)
}

// Example shows a connection sending five packets, of which the second is
// lost: the ACK of packets 2-4 (three packets later) declares it lost.
func Example() {
	const streamFrame = 1
	c := &conn{}
	r := recovery.New(recovery.Config{}, c)
	now := int64(0)
	var frames [1]recovery.Frame
	for pn := uint64(0); pn < 5; pn++ {
		frames[0] = recovery.Frame{Kind: streamFrame, ID: 0, Offset: pn * 1000, Length: 1000}
		r.OnPacketSent(now, recovery.Application, recovery.SentPacket{
			PacketNumber: pn, Size: 1200, AckEliciting: true, Frames: frames[:],
		})
		now += 1e6 // 1 ms between packets
	}
	now += 50e6
	err := r.OnAck(now, recovery.Application, recovery.Ack{
		Ranges: []quicwire.AckRange{{Smallest: 2, Largest: 4}, {Smallest: 0, Largest: 0}},
	})
	fmt.Println(err, r.BytesInFlight(), r.RTT().Latest()/1e6, "ms")
	for _, f := range c.requeued {
		fmt.Println("requeue stream", f.ID, "offset", f.Offset, "length", f.Length)
	}
	// Output:
	// <nil> 0 51 ms
	// requeue stream 0 offset 1000 length 1000
}
