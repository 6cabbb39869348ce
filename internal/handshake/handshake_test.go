package handshake

import (
	"bytes"
	"crypto/tls"
	"errors"
	"strings"
	"testing"

	"github.com/h3wasi/h3wasi/internal/protect"
	"github.com/h3wasi/h3wasi/internal/quicwire"
)

var (
	clientParams = []byte("client transport parameters")
	// serverParams is a real encoding: the server decodes it to decide on
	// 0-RTT.
	serverParams = testServerParams(func(*quicwire.TransportParameters) {})
)

// testServerParams encodes server transport parameters with typical limits,
// changed by edit.
func testServerParams(edit func(*quicwire.TransportParameters)) []byte {
	p := quicwire.DefaultTransportParameters()
	p.InitialMaxData = 1 << 20
	p.InitialMaxStreamDataBidiLocal = 1 << 18
	p.InitialMaxStreamDataBidiRemote = 1 << 18
	p.InitialMaxStreamDataUni = 1 << 18
	p.InitialMaxStreamsBidi = 100
	p.InitialMaxStreamsUni = 3
	p.MaxDatagramFrameSize = 1200
	p.ActiveConnectionIDLimit = 4
	p.InitialSourceConnectionID = []byte{1, 2, 3, 4}
	p.HasInitialSourceConnectionID = true
	p.StatelessResetToken[0] = 7
	p.HasStatelessResetToken = true
	edit(&p)
	return p.Append(nil)
}

func configs(t testing.TB) (*Config, *Config) {
	return &Config{TLS: clientTLS(t), TransportParameters: clientParams},
		&Config{TLS: serverTLS(t), TransportParameters: serverParams}
}

// checkSecrets verifies that each side's write secret is the other's read
// secret at every level both have, and that packet protection keys built
// from them interoperate.
func checkSecrets(t *testing.T, cl, sv *side, suite uint16, levels ...Level) {
	t.Helper()
	for _, l := range levels {
		for _, dir := range []struct {
			name     string
			from, to *side
		}{{"client->server", cl, sv}, {"server->client", sv, cl}} {
			w, okW := dir.from.write[l]
			r, okR := dir.to.read[l]
			if !okW || !okR {
				t.Fatalf("%v %s: missing secret (write %v, read %v)", l, dir.name, okW, okR)
			}
			if w.suite != suite || r.suite != suite || !bytes.Equal(w.secret, r.secret) {
				t.Fatalf("%v %s: secrets differ or wrong suite %#x/%#x", l, dir.name, w.suite, r.suite)
			}
			checkKeys(t, suite, w.secret)
		}
	}
}

// checkKeys seals and opens a packet with protect keys from a secret.
func checkKeys(t *testing.T, suite uint16, secret []byte) {
	t.Helper()
	k, err := protect.NewKeys(suite, secret, protect.Version1)
	if err != nil {
		t.Fatalf("protect.NewKeys(%#x): %v", suite, err)
	}
	pkt := append([]byte{0x41, 1, 2, 3, 0, 7}, []byte("some payload bytes")...)
	sealed, err := k.Seal(pkt, 4, 2, 7)
	if err != nil {
		t.Fatal(err)
	}
	if pn, _, err := k.Open(sealed, 4, 6); err != nil || pn != 7 {
		t.Fatalf("open: pn %d err %v", pn, err)
	}
}

func TestHandshakeCipherSuites(t *testing.T) {
	for _, tt := range []struct {
		name  string
		suite uint16
	}{
		{"AES128GCM", tls.TLS_AES_128_GCM_SHA256},
		{"AES256GCM", tls.TLS_AES_256_GCM_SHA384},
		{"ChaCha20Poly1305", tls.TLS_CHACHA20_POLY1305_SHA256},
	} {
		t.Run(tt.name, func(t *testing.T) {
			forceSuite(t, tt.suite)
			ccfg, scfg := configs(t)
			cl, sv := newPair(t, ccfg, scfg)
			if cerr, serr := pump(t, cl, sv); cerr != nil || serr != nil {
				t.Fatalf("client %v, server %v", cerr, serr)
			}
			if !cl.complete || !sv.complete || !cl.c.Complete() || !sv.c.Complete() {
				t.Fatal("handshake not complete")
			}
			for _, s := range []*side{cl, sv} {
				cs := s.c.ConnectionState()
				if cs.CipherSuite != tt.suite || cs.NegotiatedProtocol != "h3" || cs.Version != tls.VersionTLS13 {
					t.Errorf("state: suite %#x alpn %q version %#x", cs.CipherSuite, cs.NegotiatedProtocol, cs.Version)
				}
			}
			if !bytes.Equal(cl.peerParams, serverParams) || !bytes.Equal(sv.peerParams, clientParams) ||
				!bytes.Equal(cl.c.PeerTransportParameters(), serverParams) {
				t.Errorf("transport parameters: client got %q, server got %q", cl.peerParams, sv.peerParams)
			}
			checkSecrets(t, cl, sv, tt.suite, LevelHandshake, LevelApplication)
			if _, ok := cl.write[LevelEarly]; ok {
				t.Error("0-RTT secret on a first connection")
			}
		})
	}
}

// handshakeOnce runs a full handshake and delivers the session ticket.
func handshakeOnce(t *testing.T, ccfg, scfg *Config) (*side, *side) {
	t.Helper()
	cl, sv := newPair(t, ccfg, scfg)
	if cerr, serr := pump(t, cl, sv); cerr != nil || serr != nil {
		t.Fatalf("client %v, server %v", cerr, serr)
	}
	return cl, sv
}

func TestResumption(t *testing.T) {
	ccfg, scfg := configs(t)
	cl, _ := handshakeOnce(t, ccfg, scfg)
	if cl.c.ConnectionState().DidResume {
		t.Fatal("first connection resumed")
	}
	cl2, sv2 := handshakeOnce(t, ccfg, scfg)
	if !cl2.c.ConnectionState().DidResume || !sv2.c.ConnectionState().DidResume {
		t.Fatal("second connection did not resume")
	}
	if _, ok := cl2.write[LevelEarly]; ok {
		t.Error("0-RTT offered without EnableEarlyData")
	}
	if cl2.c.EarlyDataAccepted() || sv2.c.EarlyDataAccepted() {
		t.Error("0-RTT reported accepted")
	}
}

func TestEarlyDataAccepted(t *testing.T) {
	forceSuite(t, tls.TLS_CHACHA20_POLY1305_SHA256)
	ccfg, scfg := configs(t)
	ccfg.EnableEarlyData, scfg.EnableEarlyData = true, true
	handshakeOnce(t, ccfg, scfg)
	cl, sv := handshakeOnce(t, ccfg, scfg)
	checkSecrets(t, cl, sv, tls.TLS_CHACHA20_POLY1305_SHA256, LevelHandshake, LevelApplication)
	// 0-RTT goes one way only: client to server.
	w, r := cl.write[LevelEarly], sv.read[LevelEarly]
	if w.secret == nil || !bytes.Equal(w.secret, r.secret) || w.suite != r.suite {
		t.Fatalf("0-RTT secrets: client %x server %x", w.secret, r.secret)
	}
	checkKeys(t, w.suite, w.secret)
	if _, ok := cl.read[LevelEarly]; ok {
		t.Error("client got a 0-RTT read secret")
	}
	if !cl.c.EarlyDataAccepted() || !sv.c.EarlyDataAccepted() || cl.rejected {
		t.Fatalf("0-RTT not accepted: client %v server %v rejected %v",
			cl.c.EarlyDataAccepted(), sv.c.EarlyDataAccepted(), cl.rejected)
	}
	if !bytes.Equal(cl.c.ResumedTransportParameters(), serverParams) {
		t.Errorf("remembered parameters %q", cl.c.ResumedTransportParameters())
	}
}

// TestEarlyDataAcceptedNewConnIDs: 0-RTT survives what changes with every
// connection (connection IDs, reset token) and raised limits.
func TestEarlyDataAcceptedNewConnIDs(t *testing.T) {
	ccfg, scfg := configs(t)
	ccfg.EnableEarlyData, scfg.EnableEarlyData = true, true
	handshakeOnce(t, ccfg, scfg)
	scfg2 := *scfg
	scfg2.TransportParameters = testServerParams(func(p *quicwire.TransportParameters) {
		p.InitialSourceConnectionID = []byte{9, 9, 9, 9, 9, 9, 9, 9}
		p.StatelessResetToken[0] = 8
		p.InitialMaxData *= 2
		p.MaxIdleTimeout = 5000
	})
	cl, sv := handshakeOnce(t, ccfg, &scfg2)
	if !cl.c.EarlyDataAccepted() || !sv.c.EarlyDataAccepted() || cl.rejected {
		t.Fatalf("0-RTT not accepted: client %v server %v rejected %v",
			cl.c.EarlyDataAccepted(), sv.c.EarlyDataAccepted(), cl.rejected)
	}
}

func TestZeroRTTCompatible(t *testing.T) {
	type tp = quicwire.TransportParameters
	for _, tt := range []struct {
		name string
		edit func(*tp)
		want bool
	}{
		{"same", func(*tp) {}, true},
		{"new connection IDs and token", func(p *tp) { p.InitialSourceConnectionID = []byte{5}; p.StatelessResetToken[1] = 1 }, true},
		{"raised limits", func(p *tp) { p.InitialMaxData++; p.InitialMaxStreamsUni++ }, true},
		{"other parameters changed", func(p *tp) { p.MaxIdleTimeout = 1; p.MaxAckDelay = 50 }, true},
		{"initial_max_data", func(p *tp) { p.InitialMaxData-- }, false},
		{"initial_max_stream_data_bidi_local", func(p *tp) { p.InitialMaxStreamDataBidiLocal-- }, false},
		{"initial_max_stream_data_bidi_remote", func(p *tp) { p.InitialMaxStreamDataBidiRemote-- }, false},
		{"initial_max_stream_data_uni", func(p *tp) { p.InitialMaxStreamDataUni-- }, false},
		{"initial_max_streams_bidi", func(p *tp) { p.InitialMaxStreamsBidi-- }, false},
		{"initial_max_streams_uni", func(p *tp) { p.InitialMaxStreamsUni-- }, false},
		{"active_connection_id_limit", func(p *tp) { p.ActiveConnectionIDLimit = 3 }, false},
		{"max_datagram_frame_size", func(p *tp) { p.MaxDatagramFrameSize = 0 }, false},
		{"disable_active_migration", func(p *tp) { p.DisableActiveMigration = true }, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := zeroRTTCompatible(serverParams, testServerParams(tt.edit)); got != tt.want {
				t.Errorf("compatible = %v, want %v", got, tt.want)
			}
		})
	}
	if zeroRTTCompatible([]byte{0xff}, serverParams) || zeroRTTCompatible(serverParams, []byte{0xff}) {
		t.Error("malformed parameters accepted")
	}
}

func TestEarlyDataRejected(t *testing.T) {
	for _, tt := range []struct {
		name   string
		change func(scfg *Config)
	}{
		{"server disabled 0-RTT", func(scfg *Config) { scfg.EnableEarlyData = false }},
		{"server parameters unparsable", func(scfg *Config) { scfg.TransportParameters = []byte("smaller limits") }},
		{"server limits reduced", func(scfg *Config) {
			scfg.TransportParameters = testServerParams(func(p *quicwire.TransportParameters) { p.InitialMaxStreamsBidi = 10 })
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ccfg, scfg := configs(t)
			ccfg.EnableEarlyData, scfg.EnableEarlyData = true, true
			handshakeOnce(t, ccfg, scfg)
			scfg2 := *scfg
			tt.change(&scfg2)
			cl, sv := handshakeOnce(t, ccfg, &scfg2)
			if _, ok := cl.write[LevelEarly]; !ok {
				t.Fatal("client did not attempt 0-RTT")
			}
			if !cl.rejected || cl.c.EarlyDataAccepted() || sv.c.EarlyDataAccepted() {
				t.Fatalf("0-RTT not rejected: event %v client %v server %v",
					cl.rejected, cl.c.EarlyDataAccepted(), sv.c.EarlyDataAccepted())
			}
			if _, ok := sv.read[LevelEarly]; ok {
				t.Error("server installed 0-RTT keys it rejected")
			}
			if !cl.complete || !cl.c.ConnectionState().DidResume {
				t.Error("rejected 0-RTT should still resume the session")
			}
		})
	}
}

// errCode returns the transport error code of a handshake error.
func errCode(t *testing.T, err error) uint64 {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *handshake.Error", err, err)
	}
	return e.Code
}

func TestALPNMismatch(t *testing.T) {
	ccfg, scfg := configs(t)
	scfg.TLS.NextProtos = []string{"not-h3"}
	cl, sv := newPair(t, ccfg, scfg)
	_, serr := pump(t, cl, sv)
	if code := errCode(t, serr); code != 0x178 {
		t.Fatalf("server error code %#x, want 0x178 (no_application_protocol): %v", code, serr)
	}
	var alert tls.AlertError
	if !errors.As(serr, &alert) || alert != 120 {
		t.Errorf("alert %v not found in %v", alert, serr)
	}
	if sv.c.HandleCrypto(LevelInitial, []byte{1}) != sv.c.Err() {
		t.Error("a failed Conn must keep returning its error")
	}
}

func TestBadCertificate(t *testing.T) {
	for _, tt := range []struct {
		name   string
		change func(c *tls.Config)
	}{
		{"unknown CA", func(c *tls.Config) { c.RootCAs = nil }},
		{"wrong name", func(c *tls.Config) { c.ServerName = "other.test" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ccfg, scfg := configs(t)
			tt.change(ccfg.TLS)
			cl, sv := newPair(t, ccfg, scfg)
			cerr, _ := pump(t, cl, sv)
			if code := errCode(t, cerr); code != 0x100+42 {
				t.Fatalf("client error code %#x, want 0x12a (bad_certificate): %v", code, cerr)
			}
			var a uint8
			var ok bool
			if e := (*Error)(nil); errors.As(cerr, &e) {
				a, ok = e.Alert()
			}
			if !ok || a != 42 {
				t.Errorf("Alert() = %d, %v", a, ok)
			}
			var verr *tls.CertificateVerificationError
			if !errors.As(cerr, &verr) {
				t.Errorf("certificate error not wrapped: %v", cerr)
			}
		})
	}
}

func TestKeyLogWriter(t *testing.T) {
	ccfg, scfg := configs(t)
	var log bytes.Buffer
	ccfg.TLS.KeyLogWriter = &log
	handshakeOnce(t, ccfg, scfg)
	for _, label := range []string{"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
		"CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"} {
		if !strings.Contains(log.String(), label) {
			t.Errorf("key log lacks %s:\n%s", label, log.String())
		}
	}
}

func TestTransportParametersRequired(t *testing.T) {
	ccfg, scfg := configs(t)
	scfg.TransportParameters = nil
	cl, sv := newPair(t, ccfg, scfg)
	mustOK(t, cl.c.Start())
	mustOK(t, sv.c.Start())
	cl.drainEvents(t)
	mustOK(t, deliver(cl, sv))
	sv.drainEvents(t)
	if !sv.required {
		t.Fatal("no EventTransportParametersRequired")
	}
	mustOK(t, sv.c.SetTransportParameters(serverParams))
	for i := 0; i < 5; i++ {
		sv.drainEvents(t)
		cl.drainEvents(t)
		mustOK(t, deliver(sv, cl))
		mustOK(t, deliver(cl, sv))
	}
	if !cl.complete || !sv.complete || !bytes.Equal(cl.peerParams, serverParams) {
		t.Fatal("handshake did not complete after SetTransportParameters")
	}
}

func TestConfigErrors(t *testing.T) {
	if _, err := NewClient(&Config{TLS: &tls.Config{}}); !errors.Is(err, ErrNoALPN) {
		t.Errorf("client without ALPN: %v", err)
	}
	if _, err := NewServer(&Config{}); !errors.Is(err, ErrNoALPN) {
		t.Errorf("server without config: %v", err)
	}
}

func TestCryptoIn0RTTRejected(t *testing.T) {
	ccfg, scfg := configs(t)
	_, sv := newPair(t, ccfg, scfg)
	mustOK(t, sv.c.Start())
	if code := errCode(t, sv.c.HandleCrypto(LevelEarly, []byte{1})); code != CodeProtocolViolation {
		t.Fatalf("code %#x", code)
	}
}

func TestClosed(t *testing.T) {
	ccfg, _ := configs(t)
	c, err := NewClient(ccfg)
	mustOK(t, err)
	mustOK(t, c.Start())
	c.Close()
	if err := c.HandleCrypto(LevelInitial, []byte{1}); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestHelloRetryRequest makes the server ask for another key share: the
// client's second ClientHello also travels at the Initial level.
func TestHelloRetryRequest(t *testing.T) {
	ccfg, scfg := configs(t)
	scfg.TLS.CurvePreferences = []tls.CurveID{tls.CurveP256}
	ccfg.TLS.CurvePreferences = []tls.CurveID{tls.X25519, tls.CurveP256}
	cl, sv := handshakeOnce(t, ccfg, scfg)
	cs := cl.c.ConnectionState()
	if !cs.HelloRetryRequest || cs.CurveID != tls.CurveP256 || !sv.complete {
		t.Fatalf("HRR %v curve %v complete %v", cs.HelloRetryRequest, cs.CurveID, sv.complete)
	}
}

// TestTLSKeyUpdateRejected checks RFC 9001 section 6: a TLS KeyUpdate
// message is a connection error 0x10a (unexpected_message).
func TestTLSKeyUpdateRejected(t *testing.T) {
	ccfg, scfg := configs(t)
	cl, _ := handshakeOnce(t, ccfg, scfg)
	keyUpdate := []byte{24, 0, 0, 1, 0} // KeyUpdate, update_not_requested
	if code := errCode(t, cl.c.HandleCrypto(LevelApplication, keyUpdate)); code != 0x10a {
		t.Fatalf("code %#x, want 0x10a", code)
	}
}

func TestPostHandshakeMessages(t *testing.T) {
	for _, tt := range []struct {
		name     string
		toClient bool
		data     []byte
		want     uint64
	}{
		{"CertificateRequest to client", true, []byte{13, 0, 0, 2, 0, 0}, CodeProtocolViolation},
		{"ClientHello to client", true, []byte{1, 0, 0, 0}, 0x10a},
		{"NewSessionTicket to server", false, []byte{4, 0, 0, 1}, 0x10a},
		{"KeyUpdate to server, split", false, []byte{24}, 0x10a},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ccfg, scfg := configs(t)
			cl, sv := handshakeOnce(t, ccfg, scfg)
			c := sv.c
			if tt.toClient {
				c = cl.c
			}
			if len(tt.data) == 1 {
				mustOK(t, c.HandleCrypto(LevelApplication, tt.data))
				tt.data = []byte{0, 0, 1, 0}
			}
			if code := errCode(t, c.HandleCrypto(LevelApplication, tt.data)); code != tt.want {
				t.Fatalf("code %#x, want %#x", code, tt.want)
			}
		})
	}
}

func TestPostHandshakeScannerSplitsTickets(t *testing.T) {
	var s postHandshakeScanner
	ticket := append([]byte{4, 0, 0, 3}, 1, 2, 3)
	stream := append(append([]byte(nil), ticket...), ticket...)
	for i := range stream { // one byte at a time
		if err := s.scan(stream[i:i+1], true); err != nil {
			t.Fatalf("byte %d: %v", i, err)
		}
	}
	if err := s.scan([]byte{24, 0, 0, 1}, true); err == nil || err.Code != 0x10a {
		t.Fatalf("KeyUpdate after tickets: %v", err)
	}
}

// TestReleaseAfterHandshake: crypto/tls's state is dropped once nothing more
// is expected of it (the server issued its ticket, the client stored one),
// the connection state stays readable, and later tickets are ignored.
func TestReleaseAfterHandshake(t *testing.T) {
	ccfg, scfg := configs(t)
	cl, sv := handshakeOnce(t, ccfg, scfg)
	if !sv.c.Released() || !cl.c.Released() {
		t.Fatalf("released: client %v server %v", cl.c.Released(), sv.c.Released())
	}
	for _, s := range []*side{cl, sv} {
		if cs := s.c.ConnectionState(); cs.NegotiatedProtocol == "" || !cs.HandshakeComplete {
			t.Errorf("connection state after release: %+v", cs)
		}
	}
	// A second ticket (a NewSessionTicket header and body) is scanned and dropped.
	ticket := []byte{msgNewSessionTicket, 0, 0, 2, 0xaa, 0xbb}
	if err := cl.c.HandleCrypto(LevelApplication, ticket); err != nil {
		t.Errorf("late ticket: %v", err)
	}
	// A KeyUpdate is still refused with the RFC 9001 code.
	if err := cl.c.HandleCrypto(LevelApplication, []byte{msgKeyUpdate, 0, 0, 1, 0}); errCode(t, err) != CodeCryptoErrorBase+alertUnexpectedMsg {
		t.Errorf("KeyUpdate after release: %v", err)
	}
	cl.c.Close()
	sv.c.Close()

	// A client without a session cache has no use for tickets.
	ccfg2, scfg2 := configs(t)
	ccfg2.TLS.ClientSessionCache = nil
	cl2, _ := handshakeOnce(t, ccfg2, scfg2)
	if !cl2.c.Released() {
		t.Error("client without a session cache kept crypto/tls")
	}
}
