package quicproto

import (
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// testCert is a self-signed Ed25519 certificate (fixed-size signatures keep packet sizes,
// hence simulated traces, reproducible).
var testCert = sync.OnceValues(func() (tls.Certificate, *x509.CertPool) {
	seed := make([]byte, ed25519.SeedSize)
	priv := ed25519.NewKeyFromSeed(seed)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "h3wasi test"},
		DNSNames:              []string{"example.test"},
		NotBefore:             time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, priv.Public(), priv)
	if err != nil {
		panic(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: priv, Leaf: cert}, pool
})

// testConfigs returns client and server configurations with seeded randomness.
func testConfigs(t testing.TB, seed uint64) (client, server *Config) {
	t.Helper()
	cert, pool := testCert()
	st := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"test"}}
	ct := &tls.Config{RootCAs: pool, ServerName: "example.test", NextProtos: []string{"test"}}
	client = &Config{TLS: ct, Rand: rand.NewChaCha8(seedBytes(seed))}
	server = &Config{TLS: st, Rand: rand.NewChaCha8(seedBytes(seed + 1))}
	return client, server
}

func seedBytes(s uint64) [32]byte {
	var b [32]byte
	for i := range 8 {
		b[i] = byte(s >> (8 * i))
	}
	return b
}
