package quicproto

import (
	"errors"
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/internal/quicwire"
)

// TestVersionNegotiation: a server answers an unknown version with the versions it
// supports, and a client that gets a Version Negotiation without its version gives up.
func TestVersionNegotiation(t *testing.T) {
	ccfg, scfg := testConfigs(t, 30)
	ep, err := NewEndpoint(EndpointConfig{Conn: scfg, Server: true})
	if err != nil {
		t.Fatal(err)
	}
	d := append([]byte{0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 8, 1, 2, 3, 4, 5, 6, 7, 8, 4, 9, 9, 9, 9}, make([]byte, 1200)...)
	if c := ep.Route(0, testClientAddr, d); c != nil {
		t.Fatal("connection created for an unknown version")
	}
	buf := make([]byte, 1500)
	n, to, ok := ep.SendStateless(buf)
	if !ok || to != testClientAddr {
		t.Fatal("no Version Negotiation sent")
	}
	h, err := quicwire.ParseLongHeader(buf[:n])
	if err != nil || h.Type != quicwire.PacketVersionNegotiation {
		t.Fatalf("sent %v, %v", h.Type, err)
	}
	if string(h.DstConnID) != "\x09\x09\x09\x09" || string(h.SrcConnID) != "\x01\x02\x03\x04\x05\x06\x07\x08" {
		t.Errorf("VN connection IDs %x %x", h.DstConnID, h.SrcConnID)
	}
	if h.NumVersions() != 2 || h.VersionAt(0) != Version1 || h.VersionAt(1) != Version2 {
		t.Errorf("VN versions %x", h.SupportedVersions)
	}
	// Small datagrams get no answer (they could be amplification attempts).
	ep.Route(0, testClientAddr, d[:100])
	if _, _, ok := ep.SendStateless(buf); ok {
		t.Error("VN sent for a small datagram")
	}

	client, err := NewClientConn(ccfg, 0, testServerAddr)
	if err != nil {
		t.Fatal(err)
	}
	vn := quicwire.AppendVersionNegotiation(nil, client.initialSCID.Bytes(), client.origDCID.Bytes(), []uint32{0x1a2a3a4a}, 0)
	client.Receive(0, testServerAddr, vn)
	if !errors.Is(client.Err(), ErrVersionNegotiation) {
		t.Fatalf("client error %v", client.Err())
	}
	// A VN that lists the client's version is ignored (RFC 9000 section 6.2).
	client2, _ := NewClientConn(ccfg, 0, testServerAddr)
	vn = quicwire.AppendVersionNegotiation(nil, client2.initialSCID.Bytes(), client2.origDCID.Bytes(), []uint32{Version1}, 0)
	client2.Receive(0, testServerAddr, vn)
	if client2.Err() != nil {
		t.Fatalf("VN listing our version closed the client: %v", client2.Err())
	}
}

// TestStatelessResetRateLimit: unknown short-header packets get stateless resets, at most
// StatelessResetRate per second, each smaller than what triggered it.
func TestStatelessResetRateLimit(t *testing.T) {
	_, scfg := testConfigs(t, 31)
	ep, err := NewEndpoint(EndpointConfig{Conn: scfg, Server: true, StatelessResetRate: 10})
	if err != nil {
		t.Fatal(err)
	}
	d := make([]byte, 100)
	d[0] = 0x40
	buf := make([]byte, 1500)
	sent := 0
	for i := range 100 {
		d[1] = byte(i)
		ep.Route(0, testClientAddr, d)
		for {
			n, _, ok := ep.SendStateless(buf)
			if !ok {
				break
			}
			sent++
			if n >= len(d) || n < 21 || buf[0]&0xc0 != 0x40 {
				t.Fatalf("reset of %d bytes, first byte %x", n, buf[0])
			}
			if ResetToken(buf[n-16:n]) != ep.resetToken(d[1:1+scfg.connIDLenOrDefault()]) {
				t.Fatal("reset token does not match the connection ID")
			}
		}
	}
	if sent != 10 {
		t.Fatalf("sent %d resets in an instant, want 10", sent)
	}
	// One second later the budget is back.
	ep.Route(1e9, testClientAddr, d)
	if _, _, ok := ep.SendStateless(buf); !ok {
		t.Fatal("no reset after the budget refilled")
	}
}

func (c *Config) connIDLenOrDefault() int {
	if c.ConnIDLen == 0 {
		return defaultConnIDLen
	}
	return c.ConnIDLen
}

// TestRetryTokenChecks: an expired Retry token gets INVALID_TOKEN, and a Retry with a
// bad integrity tag is ignored by the client.
func TestRetryTokenChecks(t *testing.T) {
	ccfg, scfg := testConfigs(t, 32)
	ep, err := NewEndpoint(EndpointConfig{Conn: scfg, Server: true, RequireRetry: true})
	if err != nil {
		t.Fatal(err)
	}
	client, err := NewClientConn(ccfg, 0, testServerAddr)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	n, _, _ := client.Send(0, buf)
	ep.Route(0, testClientAddr, append([]byte(nil), buf[:n]...))
	m, _, ok := ep.SendStateless(buf)
	if !ok {
		t.Fatal("no Retry")
	}
	retry := append([]byte(nil), buf[:m]...)
	bad := append([]byte(nil), retry...)
	bad[len(bad)-1] ^= 1
	client.Receive(0, testServerAddr, bad)
	if client.retried {
		t.Fatal("client followed a Retry with a bad integrity tag")
	}
	client.Receive(0, testServerAddr, retry)
	if !client.retried {
		t.Fatal("client ignored a valid Retry")
	}
	// Past the token's lifetime the server refuses it with INVALID_TOKEN.
	late := int64(time.Minute)
	n, _, _ = client.Send(late, buf)
	c := ep.Route(late, testClientAddr, append([]byte(nil), buf[:n]...))
	var te *TransportError
	if c == nil || !errors.As(c.Err(), &te) || te.Code != InvalidToken {
		t.Fatalf("expired token: conn %v", c)
	}
	n, _, ok = c.Send(late, buf)
	if !ok {
		t.Fatal("no CONNECTION_CLOSE for the expired token")
	}
	client.Receive(late, testServerAddr, buf[:n])
	if !errors.As(client.Err(), &te) || te.Code != InvalidToken {
		t.Fatalf("client error %v", client.Err())
	}
}

// TestConnectionRefused: beyond MaxConns, clients get CONNECTION_REFUSED.
func TestConnectionRefused(t *testing.T) {
	p := newPair(t, pairOpts{seed: 33, link: lan, endpointCfg: func(e *EndpointConfig) { e.MaxConns = 1 }})
	p.handshake()
	c2, err := p.client.Dial(int64(p.net.Now()), p.sep.AddrPort())
	if err != nil {
		t.Fatal(err)
	}
	p.run(5*time.Second, func() bool { return c2.Err() != nil })
	var te *TransportError
	if !errors.As(c2.Err(), &te) || te.Code != ConnectionRefused {
		t.Fatalf("second client error %v, want CONNECTION_REFUSED", c2.Err())
	}
	if p.cc.Err() != nil {
		t.Fatalf("first connection hurt: %v", p.cc.Err())
	}
}
