package app

import (
	"bytes"
	"crypto/x509"
	"errors"
	"io"
	"testing"
)

// pipeStream is a stream whose reads come from a request and whose writes go to a
// buffer that fails beyond limit bytes.
type pipeStream struct {
	r      io.Reader
	out    bytes.Buffer
	limit  int
	closed bool
}

var errFull = errors.New("full")

func (s *pipeStream) Read(p []byte) (int, error) { return s.r.Read(p) }

func (s *pipeStream) Write(p []byte) (int, error) {
	if s.out.Len()+len(p) > s.limit {
		return 0, errFull
	}
	return s.out.Write(p)
}

func (s *pipeStream) Close() error { s.closed = true; return nil }

func TestHandle(t *testing.T) {
	for _, tt := range []struct {
		name    string
		in      []byte
		wantOut []byte
		wantErr bool
	}{
		{"echo", append(Request(OpEcho, 5), "hello"...), []byte("hello"), false},
		{"echo empty", Request(OpEcho, 0), nil, false},
		{"download", Request(OpDownload, 100000), nil, false},
		{"download too large", Request(OpDownload, MaxDownload+1), nil, true},
		{"download negative", append([]byte{OpDownload}, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), nil, true},
		{"unknown op", Request('X', 1), nil, true},
		{"short request", []byte{OpEcho, 0, 0}, nil, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &pipeStream{r: bytes.NewReader(tt.in), limit: 1 << 20}
			_, err := Handle(s)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Handle: %v, want error %v", err, tt.wantErr)
			}
			if !s.closed {
				t.Fatal("stream not closed")
			}
			if tt.name == "download" {
				if err := CheckPattern(&s.out, 100000); err != nil {
					t.Fatal(err)
				}
				return
			}
			if !bytes.Equal(s.out.Bytes(), tt.wantOut) {
				t.Fatalf("answer %q, want %q", s.out.Bytes(), tt.wantOut)
			}
		})
	}
}

func TestCheckPattern(t *testing.T) {
	var good bytes.Buffer
	if err := WritePattern(&good, 200000); err != nil {
		t.Fatal(err)
	}
	shifted := append([]byte{0}, good.Bytes()[:199999]...)
	flipped := bytes.Clone(good.Bytes())
	flipped[150000] ^= 1
	for _, tt := range []struct {
		name string
		data []byte
		n    int64
		ok   bool
	}{
		{"exact", good.Bytes(), 200000, true},
		{"short", good.Bytes()[:199999], 200000, false},
		{"long", good.Bytes(), 199999, false},
		{"shifted", shifted, 200000, false},
		{"flipped", flipped, 200000, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := CheckPattern(bytes.NewReader(tt.data), tt.n); (err == nil) != tt.ok {
				t.Fatalf("CheckPattern: %v, want ok %v", err, tt.ok)
			}
		})
	}
}

func TestCertVerifies(t *testing.T) {
	cert, pool := Cert()
	if _, err := cert.Leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost"}); err != nil {
		t.Fatal(err)
	}
}

// FuzzHandle feeds arbitrary stream contents to the server's handler: it must answer
// or fail, never panic or write past what it was asked for.
func FuzzHandle(f *testing.F) {
	f.Add(append(Request(OpEcho, 5), "hello"...))
	f.Add(Request(OpDownload, 3000))
	f.Add(Request(OpDownload, MaxDownload))
	f.Add([]byte{OpEcho})
	f.Fuzz(func(t *testing.T, in []byte) {
		s := &pipeStream{r: bytes.NewReader(in), limit: 64 << 10}
		n, err := Handle(s)
		if err == nil && in[0] == OpEcho && !bytes.Equal(s.out.Bytes(), in[RequestSize:]) {
			t.Fatalf("echo answered %d bytes of %d", s.out.Len(), n)
		}
		if !s.closed {
			t.Fatal("stream not closed")
		}
	})
}
