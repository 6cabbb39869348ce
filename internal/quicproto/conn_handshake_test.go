package quicproto

import (
	"bytes"
	"crypto/tls"
	"errors"
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/netsim"
)

// TestAmplificationLimit: a server that has not validated the client's address sends at
// most three times what it received (RFC 9000 section 8.1), even while its PTO fires.
func TestAmplificationLimit(t *testing.T) {
	p := newPair(t, pairOpts{seed: 12, link: lan})
	// Only the client's first flight gets through.
	start := p.net.Now() + 5*time.Millisecond
	cs := lan
	cs.Blackholes = []netsim.Window{{Start: start, End: start + time.Hour}}
	p.net.SetPath(p.cep, p.sep, cs, lan)
	p.run(20*time.Second, func() bool { return false })
	if p.sc == nil {
		t.Fatal("no server connection")
	}
	if p.sc.addrValidated {
		t.Fatal("address validated without a Handshake packet")
	}
	if p.sc.bytesSent > 3*p.sc.bytesRecv {
		t.Fatalf("server sent %d bytes for %d received", p.sc.bytesSent, p.sc.bytesRecv)
	}
	if p.sc.bytesSent < 2*p.sc.bytesRecv {
		t.Errorf("server sent only %d bytes for %d received", p.sc.bytesSent, p.sc.bytesRecv)
	}
}

// TestHandshakeUnderLoss completes handshakes through heavy loss in both directions, which
// exercises Initial and Handshake retransmissions, the PTO and the client's
// anti-deadlock probes.
func TestHandshakeUnderLoss(t *testing.T) {
	for seed := uint64(20); seed < 30; seed++ {
		p := newPair(t, pairOpts{seed: seed, link: netsim.LinkConfig{Delay: 15 * time.Millisecond, Loss: 0.3}})
		ok := p.run(60*time.Second, func() bool {
			return p.cc.handshakeConfirmed && p.sc != nil && p.sc.handshakeConfirmed
		})
		if !ok {
			t.Fatalf("seed %d: handshake failed: %v", seed, p.cc.Err())
		}
		data := testData(50 << 10)
		if got, _ := p.transfer(data, 60*time.Second); !bytes.Equal(got, data) {
			t.Fatalf("seed %d: data differs", seed)
		}
	}
}

// TestHandshakeTimeout: with no server at all, the client gives up after the handshake
// timeout.
func TestHandshakeTimeout(t *testing.T) {
	p := newPair(t, pairOpts{seed: 13, link: netsim.LinkConfig{Loss: 1},
		clientCfg: func(c *Config) { c.HandshakeTimeout = 3 * time.Second }})
	p.run(time.Minute, func() bool { return p.cc.Done() })
	if !errors.Is(p.cc.Err(), ErrHandshakeTimeout) {
		t.Fatalf("client error %v", p.cc.Err())
	}
}

// TestALPNMismatch: the server's no_application_protocol alert reaches the client as
// CRYPTO_ERROR 0x178.
func TestALPNMismatch(t *testing.T) {
	p := newPair(t, pairOpts{seed: 14, link: lan, serverCfg: func(c *Config) {
		c.TLS = c.TLS.Clone()
		c.TLS.NextProtos = []string{"other"}
	}})
	p.run(10*time.Second, func() bool { return p.cc.Err() != nil })
	var te *TransportError
	if !errors.As(p.cc.Err(), &te) || te.Code != 0x178 {
		t.Fatalf("client error %v, want CRYPTO_ERROR 0x178", p.cc.Err())
	}
}

// TestNewTokenSkipsRetry: the token of NEW_TOKEN lets the next connection skip the Retry.
func TestNewTokenSkipsRetry(t *testing.T) {
	p := newPair(t, pairOpts{seed: 15, link: lan, endpointCfg: func(e *EndpointConfig) { e.RequireRetry = true }})
	p.handshake()
	var token []byte
	p.run(time.Second, func() bool {
		for {
			ev, ok := p.cc.NextEvent()
			if !ok {
				break
			}
			if ev.Kind == EventNewToken {
				token = ev.Token
			}
		}
		return token != nil
	})
	if token == nil {
		t.Fatal("no NEW_TOKEN")
	}
	p.client.connCfg.Token = token
	c2, err := p.client.Dial(int64(p.net.Now()), p.sep.AddrPort())
	if err != nil {
		t.Fatal(err)
	}
	var sc2 *Conn
	p.run(5*time.Second, func() bool {
		if c, ok := p.server.Accept(); ok {
			sc2 = c
		}
		return c2.handshakeConfirmed
	})
	if !c2.handshakeConfirmed || sc2 == nil {
		t.Fatal("second handshake failed")
	}
	if c2.retried {
		t.Error("second connection went through a Retry despite its token")
	}
}

// TestZeroLengthClientConnID: a client may use a zero-length connection ID (RFC 9000
// section 5.1); the server then sends it packets with an empty Destination Connection ID.
func TestZeroLengthClientConnID(t *testing.T) {
	p := newPair(t, pairOpts{seed: 17, link: lan, clientCfg: func(c *Config) { c.ConnIDLen = -1 }})
	p.handshake()
	if p.cc.initialSCID.Len() != 0 || !p.sc.peer.zeroLen {
		t.Fatal("client connection ID is not empty")
	}
	data := testData(300 << 10)
	if got, _ := p.transfer(data, 10*time.Second); !bytes.Equal(got, data) {
		t.Fatal("data differs")
	}
}

// TestResumption: the server's session ticket lets the client's next connection resume.
func TestResumption(t *testing.T) {
	cache := tls.NewLRUClientSessionCache(4)
	p := newPair(t, pairOpts{seed: 18, link: lan, clientCfg: func(c *Config) {
		c.TLS = c.TLS.Clone()
		c.TLS.ClientSessionCache = cache
	}})
	p.handshake()
	p.run(100*time.Millisecond, func() bool { return false }) // the ticket arrives
	c2, err := p.client.Dial(int64(p.net.Now()), p.sep.AddrPort())
	if err != nil {
		t.Fatal(err)
	}
	p.run(5*time.Second, func() bool { return c2.handshakeConfirmed })
	if !c2.handshakeConfirmed {
		t.Fatalf("second handshake failed: %v", c2.Err())
	}
	if !c2.TLSState().DidResume {
		t.Error("second connection did not resume")
	}
}

// zeroRTTResult is what a resumed connection with 0-RTT data achieved.
type zeroRTTResult struct {
	got              []byte // what the server read
	rejected         bool   // the client saw Event0RTTRejected
	accepted         bool   // the server accepted 0-RTT
	readBeforeHSDone bool   // the server read all the data before its handshake completed
}

// run0RTT resumes a session with 0-RTT: the client writes data on a stream before the
// handshake completes, and writes it again if the server rejects 0-RTT (the streams then
// start over, RFC 9001 section 4.6.2). serverCfg2 may change the server's configuration
// for the second connection.
func run0RTT(t *testing.T, seed uint64, data []byte, serverCfg2 func(*Config), retry bool) (res zeroRTTResult) {
	t.Helper()
	cache := tls.NewLRUClientSessionCache(4)
	p := newPair(t, pairOpts{seed: seed, link: lan, clientCfg: func(c *Config) {
		c.TLS = c.TLS.Clone()
		c.TLS.ClientSessionCache = cache
		c.Enable0RTT = true
	}, serverCfg: func(c *Config) { c.Enable0RTT = true },
		endpointCfg: func(e *EndpointConfig) { e.RequireRetry = retry }})
	p.handshake()
	p.run(100*time.Millisecond, func() bool { return false }) // the ticket arrives
	if serverCfg2 != nil {
		cfg := *p.server.connCfg
		serverCfg2(&cfg)
		p.server.connCfg = &cfg
	}
	c2, err := p.client.Dial(int64(p.net.Now()), p.sep.AddrPort())
	if err != nil {
		t.Fatal(err)
	}
	if c2.zeroRTTSeal == nil {
		t.Fatal("client has no 0-RTT keys after resumption")
	}
	send := func() {
		s, ok := c2.OpenStream(false)
		if !ok {
			t.Fatal("cannot open a stream")
		}
		if n := s.Write(data); n != len(data) {
			t.Fatalf("wrote %d", n)
		}
		s.Close()
	}
	send()
	var sc2 *Conn
	done := false
	buf := make([]byte, 4096)
	p.run(5*time.Second, func() bool {
		for ev, ok := c2.NextEvent(); ok; ev, ok = c2.NextEvent() {
			if ev.Kind == Event0RTTRejected {
				res.rejected = true
				send()
			}
		}
		if c, ok := p.server.Accept(); ok {
			sc2 = c
		}
		if sc2 == nil {
			return false
		}
		for ev, ok := sc2.NextEvent(); ok; ev, ok = sc2.NextEvent() {
			rs := sc2.Stream(ev.Stream)
			for ev.Kind == EventStreamReadable && rs != nil {
				n, err := rs.Read(buf)
				res.got = append(res.got, buf[:n]...)
				if err != nil {
					done = true
					res.readBeforeHSDone = !sc2.HandshakeComplete()
				}
				if n == 0 || err != nil {
					break
				}
			}
		}
		return done
	})
	if sc2 == nil {
		t.Fatal("no server connection")
	}
	res.accepted = sc2.tls.EarlyDataAccepted()
	p.run(time.Second, func() bool { return false })
	if !c2.TLSState().DidResume {
		t.Error("not resumed")
	}
	if sc2.Err() != nil || c2.Err() != nil {
		t.Fatalf("errors after 0-RTT: %v / %v", c2.Err(), sc2.Err())
	}
	return res
}

// Test0RTTAccepted: the server accepts the resumed client's 0-RTT although its connection
// IDs and reset token differ from the ticket's connection, and reads the stream data before
// its handshake completes.
func Test0RTTAccepted(t *testing.T) {
	data := testData(3000)
	res := run0RTT(t, 19, data, nil, false)
	if !bytes.Equal(res.got, data) {
		t.Fatalf("server read %d bytes, want %d", len(res.got), len(data))
	}
	if !res.accepted || res.rejected {
		t.Fatalf("0-RTT accepted by the server: %v, rejection seen by the client: %v", res.accepted, res.rejected)
	}
	if !res.readBeforeHSDone {
		t.Error("the server read the 0-RTT data only after its handshake completed")
	}
}

// Test0RTTRejectedLimitsShrank: a server whose stream limit shrank since it issued the
// ticket rejects 0-RTT (RFC 9000 section 7.4.1); the client learns it, and its data
// arrives once, in 1-RTT packets.
func Test0RTTRejectedLimitsShrank(t *testing.T) {
	data := testData(3000)
	res := run0RTT(t, 19, data, func(c *Config) { c.MaxIncomingStreams /= 2 }, false)
	if !bytes.Equal(res.got, data) {
		t.Fatalf("server read %d bytes, want %d", len(res.got), len(data))
	}
	if res.accepted || !res.rejected {
		t.Fatalf("0-RTT accepted by the server: %v, rejection seen by the client: %v", res.accepted, res.rejected)
	}
	if res.readBeforeHSDone {
		t.Error("rejected 0-RTT data was read before the handshake completed")
	}
}

// Test0RTTThenRetry: a server that answers with a Retry drops the 0-RTT packets that came
// with the first Initial; the client's loss recovery hands them back (RFC 9002 section 6.3)
// and the data still arrives, exactly once.
func Test0RTTThenRetry(t *testing.T) {
	data := testData(3000)
	res := run0RTT(t, 19, data, nil, true)
	if !bytes.Equal(res.got, data) {
		t.Fatalf("server read %d bytes, want %d", len(res.got), len(data))
	}
}

// TestLargeServerFlight: a certificate chain far above the 3x amplification budget still
// completes: the server sends what the limit allows and the client's padded
// acknowledgements earn it more.
func TestLargeServerFlight(t *testing.T) {
	p := newPair(t, pairOpts{seed: 37, link: lan, serverCfg: func(c *Config) {
		c.TLS = c.TLS.Clone()
		cert := c.TLS.Certificates[0]
		for range 30 {
			cert.Certificate = append(cert.Certificate, cert.Certificate[0])
		}
		c.TLS.Certificates = []tls.Certificate{cert}
	}})
	var maxRatio float64
	p.run(10*time.Second, func() bool {
		if p.sc != nil && !p.sc.addrValidated && p.sc.bytesRecv > 0 {
			maxRatio = max(maxRatio, float64(p.sc.bytesSent)/float64(p.sc.bytesRecv))
		}
		return p.cc.handshakeConfirmed
	})
	if !p.cc.handshakeConfirmed {
		t.Fatalf("handshake failed: %v", p.cc.Err())
	}
	if maxRatio > 3 {
		t.Errorf("server sent %.2fx what it received before validation", maxRatio)
	}
	t.Logf("handshake with a 31-certificate chain in %v, server sent up to %.2fx before validation", p.net.Now(), maxRatio)
}
