package netsim_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/h3wasi/h3wasi/netsim"
)

// Virtual clock: the test owns time and asks the network when the next
// datagram is due.
func Example() {
	n := netsim.New(1) // seed: same seed, same outcome
	client := n.MustListen("10.0.0.2:5000")
	server := n.MustListen("10.0.0.1:443")
	n.Link(client, server).SetConfig(netsim.LinkConfig{
		Delay: 20 * time.Millisecond,
		MTU:   1200,
	})

	client.Send(server.AddrPort(), []byte("hello"))
	client.Send(server.AddrPort(), make([]byte, 1500)) // over the MTU: dropped

	at, _ := n.NextEvent()
	n.AdvanceTo(at)
	buf := make([]byte, 1500)
	k, from, _ := server.Recv(buf) // non-blocking
	fmt.Printf("%v: %q from %v\n", n.Now(), buf[:k], from)
	s := n.Link(client, server).Stats()
	fmt.Println("sent", s.Sent, "delivered", s.Delivered, "mtu drops", s.Dropped[netsim.DropMTU])
	// Output:
	// 20ms: "hello" from 10.0.0.2:5000
	// sent 2 delivered 1 mtu drops 1
}

// Real time: endpoints are net.PacketConns for driver code.
func ExampleNewRealtime() {
	n := netsim.NewRealtime(1)
	defer n.Close()
	n.SetDefaultLink(netsim.LinkConfig{Delay: time.Millisecond})
	server := n.MustListen("10.0.0.1:443")
	client := n.MustListen("10.0.0.2:5000")

	go func() { // echo server
		buf := make([]byte, 1500)
		for {
			k, from, err := server.ReadFrom(buf)
			if err != nil {
				return
			}
			server.WriteTo(buf[:k], from)
		}
	}()
	client.WriteTo([]byte("ping"), server.LocalAddr())
	client.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 1500)
	k, from, err := client.ReadFrom(buf)
	fmt.Printf("%q from %v, %v\n", buf[:k], from, err)
	// Output:
	// "ping" from 10.0.0.1:443, <nil>
}

// echoNode is a sans-IO node that answers every datagram after 5 ms of
// "processing", using its own timer.
type echoNode struct {
	ep      *netsim.Endpoint
	pending []byte
	to      netip.AddrPort
	due     time.Duration
}

func (e *echoNode) Receive(now time.Duration, from netip.AddrPort, b []byte) {
	e.pending = append(e.pending[:0], b...) // b is only valid during the call
	e.to, e.due = from, now+5*time.Millisecond
}

func (e *echoNode) Deadline() (time.Duration, bool) { return e.due, e.pending != nil }

func (e *echoNode) HandleTimeout(now time.Duration) {
	e.ep.Send(e.to, e.pending)
	e.pending = nil
}

// A Loop pumps sans-IO nodes: deliveries and node timers in time order.
func ExampleLoop() {
	n := netsim.New(1)
	n.SetDefaultLink(netsim.LinkConfig{Delay: 10 * time.Millisecond})
	client := n.MustListen("10.0.0.2:5000")
	server := n.MustListen("10.0.0.1:443")
	loop := netsim.NewLoop(n)
	loop.Add(server, &echoNode{ep: server})

	client.Send(server.AddrPort(), []byte("ping"))
	loop.Run(time.Second, func() bool { return client.Pending() > 0 })
	buf := make([]byte, 64)
	k, _, _ := client.Recv(buf)
	fmt.Printf("%q back at %v\n", buf[:k], n.Now())
	// Output:
	// "ping" back at 25ms
}
