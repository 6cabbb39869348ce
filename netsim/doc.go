// Package netsim is a deterministic simulated datagram network for tests and
// benchmarks of a QUIC stack.
//
// A Network holds Endpoints, each at an address such as 10.0.0.1:443, and one
// Link per direction between two endpoints. Each link applies its own
// LinkConfig: one-way delay, jitter, random and bursty (Gilbert-Elliott)
// loss, reordering, duplication, bit corruption, an MTU, a bandwidth
// bottleneck with a bounded tail-drop queue, and blackhole windows. An
// endpoint can be rebound (NAT rebinding): from a given time peers see a new
// source address for it, and datagrams sent to the new address still reach
// it. Each link keeps Stats (sent, delivered, dropped by cause, duplicated,
// corrupted, reordered) so a test can check the impairment really happened,
// and Network.SetTrace records every event.
//
// All random decisions come from one PCG generator seeded by the caller, so
// a failing case replays exactly: the same seed and the same calls give the
// same trace.
//
// # Virtual clock
//
// New returns a network whose clock moves only when the test says so. This is
// the mode for sans-IO protocol cores, whose time is a monotonic count of
// nanoseconds (time.Duration since the network's epoch here):
//
//	for {
//		t, ok := sim.NextEvent() // earliest pending delivery
//		// ... or the earliest core deadline, if earlier
//		sim.AdvanceTo(t) // deliver what is due by t
//	}
//
// Delivered datagrams are either queued, to be read without blocking with
// Endpoint.Recv, or passed to a Handler set with Endpoint.SetHandler. Loop
// does the pumping for any number of Nodes (Receive / Deadline /
// HandleTimeout), which is all a sans-IO connection needs; CoreNode adapts a
// pull-style core (Receive, Send(now, buf), Deadline, HandleTimeout on int64
// nanoseconds, as the QUIC core has) to a Node:
//
//	loop := netsim.NewLoop(sim)
//	loop.Add(clientEP, netsim.CoreNode(clientEP, clientConn))
//	loop.Add(serverEP, netsim.CoreNode(serverEP, serverConn))
//	loop.Run(10*time.Second, clientConn.HandshakeComplete)
//
// # Real time
//
// NewRealtime returns a network whose clock is real time. An Endpoint is
// then an ordinary net.PacketConn, with blocking ReadFrom, deadlines, WriteTo
// and Close, and addresses that are *net.UDPAddr, so driver code treats it
// like a UDP socket. Delivery is scheduled by a single goroutine per network
// sleeping on one timer, not one per datagram. The impairment model is the
// same.
//
// # Allocation
//
// Datagrams in flight live in pooled buffers and the event queue is a
// hand-written heap, so sending and receiving through Send, Recv, handlers,
// ReadFromUDPAddrPort and WriteToUDPAddrPort allocate nothing per datagram
// once warm. ReadFrom and WriteTo allocate only their net.Addr values.
package netsim
