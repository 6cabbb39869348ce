package selfsigned

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"net"
	"testing"
)

func TestFixedIsDeterministicAndVerifies(t *testing.T) {
	a, pool := MustFixed("t", []string{"localhost"}, net.IPv4(127, 0, 0, 1))
	b, _ := MustFixed("t", []string{"localhost"}, net.IPv4(127, 0, 0, 1))
	if !bytes.Equal(a.Certificate[0], b.Certificate[0]) {
		t.Error("two calls with the same arguments gave different certificates")
	}
	for _, name := range []string{"localhost", "127.0.0.1"} {
		if err := a.Leaf.VerifyHostname(name); err != nil {
			t.Errorf("VerifyHostname(%s): %v", name, err)
		}
	}
	if _, err := a.Leaf.Verify(x509VerifyOptions(pool)); err != nil {
		t.Errorf("pool does not trust the certificate: %v", err)
	}
}

func TestFreshPEMRoundTrip(t *testing.T) {
	c, pool, err := Fresh("t")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Leaf.Verify(x509VerifyOptions(pool)); err != nil {
		t.Fatalf("pool does not trust the certificate: %v", err)
	}
	certPEM, keyPEM, err := PEM(c)
	if err != nil {
		t.Fatal(err)
	}
	back, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatalf("PEM output does not load: %v", err)
	}
	if !bytes.Equal(back.Certificate[0], c.Certificate[0]) {
		t.Error("PEM round trip changed the certificate")
	}
	if _, _, err := PEM(tls.Certificate{}); err == nil {
		t.Error("PEM of an empty certificate gave no error")
	}
}

func x509VerifyOptions(pool *x509.CertPool) x509.VerifyOptions {
	return x509.VerifyOptions{Roots: pool, DNSName: "localhost"}
}
