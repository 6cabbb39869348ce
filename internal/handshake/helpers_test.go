package handshake

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"sync"
	"testing"
	"time"
	_ "unsafe" // for go:linkname
)

// crypto/tls offers no way to restrict the TLS 1.3 cipher suites: it
// ignores Config.CipherSuites for TLS 1.3. The client always offers all
// three suites (AES first when the CPU has AES-GCM hardware, ChaCha20 first
// otherwise, e.g. under WebAssembly) and the server picks by its own
// preference list (AES-128-GCM, AES-256-GCM, ChaCha20 or the ChaCha20-first
// order), so AES-256-GCM is never chosen between two Go endpoints. The only
// in-process switch is the pair of preference lists below, which crypto/tls
// exports for linkname (see go.dev/issue/67401); the tests use them to force
// one suite. GODEBUG=cpu.aes=off at process start would only flip the
// AES/ChaCha20 order.
//
//go:linkname defaultCipherSuitesTLS13 crypto/tls.defaultCipherSuitesTLS13
var defaultCipherSuitesTLS13 []uint16

//go:linkname defaultCipherSuitesTLS13NoAES crypto/tls.defaultCipherSuitesTLS13NoAES
var defaultCipherSuitesTLS13NoAES []uint16

// forceSuite restricts both endpoints to one TLS 1.3 cipher suite for the
// duration of a test.
func forceSuite(t *testing.T, suite uint16) {
	saved, savedNoAES := defaultCipherSuitesTLS13, defaultCipherSuitesTLS13NoAES
	defaultCipherSuitesTLS13 = []uint16{suite}
	defaultCipherSuitesTLS13NoAES = []uint16{suite}
	t.Cleanup(func() {
		defaultCipherSuitesTLS13, defaultCipherSuitesTLS13NoAES = saved, savedNoAES
	})
}

// testNow is the fixed time of every handshake, so that no test depends on
// the real clock.
var testNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func fixedTime() time.Time { return testNow }

type testPKI struct {
	roots  *x509.CertPool
	server tls.Certificate
}

var (
	pkiOnce sync.Once
	pki     testPKI
)

// getPKI creates, once per test binary, a CA and a server certificate for
// "example.test" signed by it.
func getPKI(t testing.TB) *testPKI {
	pkiOnce.Do(func() {
		caKey, err := ecdsa.GenerateKey(elliptic.P256(), nil)
		if err != nil {
			t.Fatal(err)
		}
		caTmpl := &x509.Certificate{
			SerialNumber:          big.NewInt(1),
			Subject:               pkix.Name{CommonName: "h3wasi test CA"},
			NotBefore:             testNow.Add(-time.Hour),
			NotAfter:              testNow.Add(24 * time.Hour),
			IsCA:                  true,
			BasicConstraintsValid: true,
			KeyUsage:              x509.KeyUsageCertSign,
		}
		caDER, err := x509.CreateCertificate(nil, caTmpl, caTmpl, &caKey.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		ca, _ := x509.ParseCertificate(caDER)
		leafKey, err := ecdsa.GenerateKey(elliptic.P256(), nil)
		if err != nil {
			t.Fatal(err)
		}
		leafTmpl := &x509.Certificate{
			SerialNumber: big.NewInt(2),
			Subject:      pkix.Name{CommonName: "example.test"},
			DNSNames:     []string{"example.test"},
			NotBefore:    testNow.Add(-time.Hour),
			NotAfter:     testNow.Add(24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		leafDER, err := x509.CreateCertificate(nil, leafTmpl, ca, &leafKey.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		pki.roots = x509.NewCertPool()
		pki.roots.AddCert(ca)
		pki.server = tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: leafKey}
	})
	return &pki
}

func serverTLS(t testing.TB) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{getPKI(t).server},
		NextProtos:   []string{"h3"},
		Time:         fixedTime,
		MinVersion:   tls.VersionTLS13, // used as is: resumption needs one set of ticket keys
	}
}

func clientTLS(t testing.TB) *tls.Config {
	return &tls.Config{
		RootCAs:            getPKI(t).roots,
		ServerName:         "example.test",
		NextProtos:         []string{"h3"},
		ClientSessionCache: tls.NewLRUClientSessionCache(4),
		Time:               fixedTime,
	}
}

type secret struct {
	suite  uint16
	secret []byte
}

// side records what one endpoint's events told it.
type side struct {
	c          *Conn
	read       map[Level]secret
	write      map[Level]secret
	peerParams []byte
	complete   bool
	rejected   bool
	out        []Event // EventWriteCrypto not yet delivered
	required   bool
}

func newSide(c *Conn) *side {
	return &side{c: c, read: map[Level]secret{}, write: map[Level]secret{}}
}

func (s *side) drainEvents(t testing.TB) {
	for e := s.c.NextEvent(); e.Kind != EventNone; e = s.c.NextEvent() {
		switch e.Kind {
		case EventReadSecret:
			s.read[e.Level] = secret{e.Suite, e.Secret}
		case EventWriteSecret:
			s.write[e.Level] = secret{e.Suite, e.Secret}
		case EventWriteCrypto:
			if _, ok := s.write[e.Level]; !ok && e.Level != LevelInitial {
				t.Errorf("CRYPTO data at %v before its write secret", e.Level)
			}
			s.out = append(s.out, e)
		case EventTransportParameters:
			s.peerParams = e.Data
		case EventTransportParametersRequired:
			s.required = true
		case EventEarlyDataRejected:
			s.rejected = true
		case EventHandshakeComplete:
			s.complete = true
		}
	}
}

// pump shuttles CRYPTO bytes between the two sides until both are quiet.
// hook, if set, sees each side before its data is delivered (0-RTT tests use
// it). It returns the first error of the client and of the server.
func pump(t testing.TB, cl, sv *side) (clientErr, serverErr error) {
	t.Helper()
	if err := cl.c.Start(); err != nil {
		return err, nil
	}
	if err := sv.c.Start(); err != nil {
		return nil, err
	}
	for i := 0; i < 20; i++ {
		cl.drainEvents(t)
		sv.drainEvents(t)
		if len(cl.out) == 0 && len(sv.out) == 0 {
			return nil, nil
		}
		if err := deliver(cl, sv); err != nil {
			return nil, err
		}
		if err := deliver(sv, cl); err != nil {
			return err, nil
		}
	}
	t.Fatal("handshake did not settle")
	return nil, nil
}

func deliver(from, to *side) error {
	out := from.out
	from.out = nil
	for _, e := range out {
		if err := to.c.HandleCrypto(e.Level, e.Data); err != nil {
			return err
		}
	}
	return nil
}

func newPair(t testing.TB, ccfg, scfg *Config) (*side, *side) {
	t.Helper()
	c, err := NewClient(ccfg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewServer(scfg)
	if err != nil {
		t.Fatal(err)
	}
	if tt, ok := t.(interface{ Cleanup(func()) }); ok {
		tt.Cleanup(func() { c.Close(); s.Close() })
	}
	return newSide(c), newSide(s)
}
