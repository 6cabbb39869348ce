package quicproto

import (
	"crypto/tls"
	"crypto/x509"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/h3wasi/h3wasi/internal/selfsigned"
)

// testCert is a self-signed Ed25519 certificate (fixed-size signatures keep packet sizes,
// hence simulated traces, reproducible).
var testCert = sync.OnceValues(func() (tls.Certificate, *x509.CertPool) {
	return selfsigned.MustFixed("h3wasi test", []string{"example.test"})
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
