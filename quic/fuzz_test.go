package quic

import (
	"context"
	"math/rand/v2"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/netsim"
)

// captureInitial returns the first datagram a client sends (its Initial with the
// ClientHello), read straight off the server's socket.
func captureInitial(f *testing.F) []byte {
	n := netsim.NewRealtime(3)
	defer n.Close()
	s, c := n.MustListen("10.0.0.1:443"), n.MustListen("10.0.0.2:4000")
	tr := &Transport{Conn: c}
	defer tr.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	go tr.Dial(ctx, s.LocalAddr(), clientTLS(), nil)
	buf := make([]byte, 2048)
	s.SetReadDeadline(time.Now().Add(2 * time.Second))
	k, _, err := s.ReadFromUDPAddrPort(buf)
	if err != nil {
		f.Fatal(err)
	}
	return buf[:k]
}

// FuzzTransportDatagram feeds arbitrary datagrams to a listening transport's routing:
// network input must never panic the driver, whatever the core makes of it.
func FuzzTransportDatagram(f *testing.F) {
	initial := captureInitial(f)
	f.Add(initial)
	f.Add(initial[:1200])
	short := append([]byte{0x40}, initial[6:40]...)
	f.Add(short)
	f.Add([]byte{0x80, 0, 0, 0, 0}) // version negotiation trigger
	f.Add(make([]byte, 1200))

	// A socket that never delivers anything, so no background goroutine runs code while
	// the fuzzer measures coverage (that would make every input look interesting).
	rng := &resettableRand{}
	tr := &Transport{Conn: newNullConn(), rand: rng}
	defer tr.Close()
	if _, err := tr.Listen(serverTLS(), &Config{MaxIncomingConnections: 4}); err != nil {
		f.Fatal(err)
	}
	from := netip.MustParseAddrPort("10.0.0.9:1234")
	f.Fuzz(func(t *testing.T, b []byte) {
		rng.reset() // the same input takes the same path every time
		tr.mu.Lock()
		defer tr.mu.Unlock()
		now := tr.now()
		if c := tr.route(now, from, append([]byte(nil), b...)); c != nil {
			c.flush(now)
			// Keep the endpoint small: close what the input created.
			c.core.CloseWithError(now, 0, "")
			c.flush(now)
			tr.forget(c)
		}
	})
}

// nullConn is a socket that discards what is sent and delivers nothing.
type nullConn struct{ closed chan struct{} }

func newNullConn() *nullConn { return &nullConn{closed: make(chan struct{})} }

func (c *nullConn) ReadFrom([]byte) (int, net.Addr, error) {
	<-c.closed
	return 0, nil, net.ErrClosed
}
func (c *nullConn) WriteTo(b []byte, _ net.Addr) (int, error) { return len(b), nil }
func (c *nullConn) Close() error                              { close(c.closed); return nil }
func (c *nullConn) LocalAddr() net.Addr                       { return &net.UDPAddr{} }
func (c *nullConn) SetDeadline(time.Time) error               { return nil }
func (c *nullConn) SetReadDeadline(time.Time) error           { return nil }
func (c *nullConn) SetWriteDeadline(time.Time) error          { return nil }

// resettableRand is a seeded randomness source that can restart its sequence.
type resettableRand struct{ r *rand.ChaCha8 }

func (r *resettableRand) reset() { r.r = rand.NewChaCha8([32]byte{7}) }

func (r *resettableRand) Read(b []byte) (int, error) {
	if r.r == nil {
		r.reset()
	}
	return r.r.Read(b)
}
