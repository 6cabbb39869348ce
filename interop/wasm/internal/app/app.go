// Package app is the tiny application protocol and the certificate shared by the
// interop/wasm tests and their WebAssembly guest programs, so that the native and the
// guest sides of a test agree on them without passing files around.
//
// Each stream starts with a 9-byte request: an operation byte and a big-endian uint64
// size. OpEcho: the server sends back everything until the client's FIN. OpDownload:
// the server sends size bytes of Pattern and closes.
package app

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/h3wasi/h3wasi/internal/selfsigned"
)

// Operations of a request.
const (
	OpEcho     = 'E'
	OpDownload = 'D'
)

// ALPN is the application protocol both sides offer.
const ALPN = "h3wasi-wasm"

// RequestSize is the length of a request header.
const RequestSize = 9

// MaxDownload caps the size of an OpDownload, so that a bad request cannot keep a
// server sending forever.
const MaxDownload = 1 << 30

// Request encodes a request header.
func Request(op byte, size int) []byte {
	b := make([]byte, RequestSize)
	b[0] = op
	binary.BigEndian.PutUint64(b[1:], uint64(size))
	return b
}

// patternLen is prime, so that a shifted or repeated chunk does not line up with the
// pattern and byte-exact checks catch it.
const patternLen = 65521

var patternBlock = sync.OnceValue(func() []byte {
	b := make([]byte, 2*patternLen)
	x := uint32(2463534242)
	for i := range patternLen {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	copy(b[patternLen:], b[:patternLen])
	return b
})

// Pattern returns the bytes at offsets [off, off+n) of the download stream, for
// n <= 65521.
func Pattern(off int64, n int) []byte {
	i := int(off % patternLen)
	return patternBlock()[i : i+n]
}

// WritePattern writes n bytes of the pattern to w.
func WritePattern(w io.Writer, n int64) error {
	const chunk = 32 << 10
	for off := int64(0); off < n; {
		k := int(min(chunk, n-off))
		if _, err := w.Write(Pattern(off, k)); err != nil {
			return err
		}
		off += int64(k)
	}
	return nil
}

// CheckPattern reads r to its end and checks it is exactly n bytes of the pattern.
func CheckPattern(r io.Reader, n int64) error {
	buf := make([]byte, 32<<10)
	var off int64
	for {
		k, err := r.Read(buf)
		if off+int64(k) > n {
			return fmt.Errorf("download: more than %d bytes", n)
		}
		for i := 0; i < k; {
			m := min(k-i, patternLen)
			want := Pattern(off, m)
			for j := range m {
				if buf[i+j] != want[j] {
					return fmt.Errorf("download: byte %d differs", off+int64(j))
				}
			}
			i += m
			off += int64(m)
		}
		if err == io.EOF {
			if off != n {
				return fmt.Errorf("download: got %d bytes, want %d", off, n)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("download: after %d bytes: %w", off, err)
		}
	}
}

// Handle serves one stream: it reads the request and answers it, then closes the
// stream's sending side. It returns the number of payload bytes it received.
func Handle(s io.ReadWriteCloser) (int64, error) {
	defer s.Close()
	var req [RequestSize]byte
	if _, err := io.ReadFull(s, req[:]); err != nil {
		return 0, err
	}
	size := int64(binary.BigEndian.Uint64(req[1:]))
	switch req[0] {
	case OpEcho:
		return io.Copy(s, s)
	case OpDownload:
		if size < 0 || size > MaxDownload {
			return 0, errors.New("app: download too large")
		}
		return 0, WritePattern(s, size)
	}
	return 0, errors.New("app: unknown operation")
}

// Echo sends data with OpEcho on s and checks that exactly data comes back. It writes
// from its own goroutine, because the server echoes while the client still sends and
// flow control would otherwise stall both.
func Echo(s io.ReadWriteCloser, data []byte) error {
	werr := make(chan error, 1)
	go func() {
		_, err := s.Write(append(Request(OpEcho, len(data)), data...))
		if err == nil {
			err = s.Close()
		}
		werr <- err
	}()
	got, err := io.ReadAll(s)
	if err != nil {
		return fmt.Errorf("echo: read after %d bytes: %w", len(got), err)
	}
	if err := <-werr; err != nil {
		return fmt.Errorf("echo: write: %w", err)
	}
	if len(got) != len(data) {
		return fmt.Errorf("echo: got %d bytes, want %d", len(got), len(data))
	}
	for i := range got {
		if got[i] != data[i] {
			return fmt.Errorf("echo: byte %d differs", i)
		}
	}
	return nil
}

// Data returns n bytes of test payload that differ with seed.
func Data(seed, n int) []byte {
	b := make([]byte, n)
	x := uint32(seed)*2654435761 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// Cert returns a fixed self-signed Ed25519 certificate for localhost and 127.0.0.1
// and a pool trusting it. It is deterministic, so the guests and the tests build the
// same one; it is a test certificate and nothing else.
var Cert = sync.OnceValues(func() (tls.Certificate, *x509.CertPool) {
	return selfsigned.MustFixed("h3wasi wasm interop", []string{"localhost"}, net.IPv4(127, 0, 0, 1))
})

// ServerTLS is the servers' TLS configuration.
func ServerTLS() *tls.Config {
	cert, _ := Cert()
	return &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{ALPN}}
}

// ClientTLS is the clients' TLS configuration: it trusts only Cert and keeps no
// session tickets, so every connection makes a full handshake.
func ClientTLS() *tls.Config {
	_, pool := Cert()
	return &tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: []string{ALPN}}
}
