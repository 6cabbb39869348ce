// Package selfsigned makes self-signed TLS server certificates for tests, benchmarks
// and demos: a deterministic Ed25519 one (the same bytes in every process, so a wasm
// guest and its native test agree on it without files, and simulated packet traces stay
// reproducible) and a fresh ECDSA P-256 one with its PEM encoding for external peers.
// These certificates are for loopback and tests only.
package selfsigned

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"time"
)

// Fixed returns a self-signed Ed25519 certificate for the given names, derived from
// an all-zero seed and valid from 2020 to 2100, and a pool that trusts it. The same
// arguments give the same certificate bytes in every process.
func Fixed(commonName string, dnsNames []string, ips ...net.IP) (tls.Certificate, *x509.CertPool, error) {
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: commonName},
		DNSNames:              dnsNames,
		IPAddresses:           ips,
		NotBefore:             time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	return finish(tmpl, priv.Public(), priv)
}

// MustFixed is Fixed for package-level test fixtures; it panics on error, which
// Fixed only returns if crypto/x509 rejects its own template.
func MustFixed(commonName string, dnsNames []string, ips ...net.IP) (tls.Certificate, *x509.CertPool) {
	cert, pool, err := Fixed(commonName, dnsNames, ips...)
	if err != nil {
		panic(err)
	}
	return cert, pool
}

// Fresh returns a new self-signed ECDSA P-256 certificate for localhost and
// 127.0.0.1, valid from an hour ago for a day, and a pool that trusts it.
func Fresh(commonName string) (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: commonName},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	return finish(tmpl, &key.PublicKey, key)
}

// finish signs tmpl with its own key and returns the certificate with its leaf.
func finish(tmpl *x509.Certificate, pub, priv any) (tls.Certificate, *x509.CertPool, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: priv, Leaf: leaf}, pool, nil
}

// PEM encodes cert's first certificate and its private key (PKCS #8), as files for
// programs such as gtlsserver expect them.
func PEM(cert tls.Certificate) (certPEM, keyPEM []byte, err error) {
	if len(cert.Certificate) == 0 {
		return nil, nil, errors.New("selfsigned: no certificate")
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		return nil, nil, err
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, nil
}
