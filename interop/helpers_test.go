package interop

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/netsim"
	"github.com/h3wasi/h3wasi/wasi"

	"github.com/h3wasi/h3wasi/internal/memconn"
)

func TestMain(m *testing.M) {
	os.Setenv("QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING", "true")
	os.Exit(m.Run())
}

// A tiny application protocol over each stream: a 9-byte request (op, size), then
//
//	'D': the server sends size bytes of pattern data and closes;
//	'U': the client sends data until its FIN, the server answers its SHA-256;
//	'E': the server echoes until the client's FIN;
//	'S': the server discards until the client's FIN and answers the byte count.
const (
	opDownload = 'D'
	opUpload   = 'U'
	opEcho     = 'E'
	opSink     = 'S' // the server discards data until the FIN, then answers the count
)

// pattern returns the first n bytes of a fixed pseudo-random sequence.
var patternBuf = sync.OnceValue(func() []byte {
	b := make([]byte, 16<<20)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
})

func pattern(n int) []byte { return patternBuf()[:n] }

// serve accepts connections and streams until the listener closes.
func serve(ln listener) {
	for {
		c, err := ln.Accept(context.Background())
		if err != nil {
			return
		}
		go func() { // echo datagrams, when the connection has them
			for {
				d, err := c.ReceiveDatagram(context.Background())
				if err != nil || c.SendDatagram(d) != nil {
					return
				}
			}
		}()
		go func() {
			for {
				s, err := c.AcceptStream(context.Background())
				if err != nil {
					return
				}
				go handle(s)
			}
		}()
	}
}

func handle(s io.ReadWriteCloser) {
	defer s.Close()
	var req [9]byte
	if _, err := io.ReadFull(s, req[:]); err != nil {
		return
	}
	size := int(binary.BigEndian.Uint64(req[1:]))
	switch req[0] {
	case opDownload:
		s.Write(pattern(size))
	case opUpload:
		h := sha256.New()
		io.Copy(h, s)
		s.Write(h.Sum(nil))
	case opEcho:
		io.Copy(s, s)
	case opSink:
		n, _ := io.Copy(io.Discard, s)
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], uint64(n))
		s.Write(b[:])
	}
}

func request(op byte, size int) []byte {
	b := make([]byte, 9)
	b[0] = op
	binary.BigEndian.PutUint64(b[1:], uint64(size))
	return b
}

// download fetches n bytes on a new stream and checks them.
func download(ctx context.Context, c conn, n int) error {
	s, err := c.OpenStreamSync(ctx)
	if err != nil {
		return err
	}
	if _, err := s.Write(request(opDownload, n)); err != nil {
		return err
	}
	s.Close()
	got, err := io.ReadAll(s)
	if err != nil {
		return fmt.Errorf("download read after %d bytes: %w", len(got), err)
	}
	if !bytes.Equal(got, pattern(n)) {
		return fmt.Errorf("download: got %d bytes, want %d (or content differs)", len(got), n)
	}
	return nil
}

// upload sends data on a new stream and checks the server's hash of it.
func upload(ctx context.Context, c conn, data []byte) error {
	s, err := c.OpenStreamSync(ctx)
	if err != nil {
		return err
	}
	if _, err := s.Write(append(request(opUpload, len(data)), data...)); err != nil {
		return err
	}
	s.Close()
	got, err := io.ReadAll(s)
	if err != nil {
		return err
	}
	if want := sha256.Sum256(data); !bytes.Equal(got, want[:]) {
		return errors.New("upload: server's hash differs")
	}
	return nil
}

// echo sends data on a new stream and checks it comes back.
func echo(ctx context.Context, c conn, data []byte) error {
	s, err := c.OpenStreamSync(ctx)
	if err != nil {
		return err
	}
	if _, err := s.Write(append(request(opEcho, len(data)), data...)); err != nil {
		return err
	}
	s.Close()
	got, err := io.ReadAll(s)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, data) {
		return fmt.Errorf("echo: got %d bytes, want %d", len(got), len(data))
	}
	return nil
}

// sockets makes a server and a client socket that reach each other.
type sockets func(t testing.TB) (server, client net.PacketConn)

// udpSockets opens two loopback UDP sockets (through the host under WebAssembly).
func udpSockets(t testing.TB) (net.PacketConn, net.PacketConn) {
	s, err := wasi.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c, err := wasi.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func memSockets(testing.TB) (net.PacketConn, net.PacketConn) {
	s, c := memconn.Pair()
	return s, c
}

// lossySockets returns sockets joined by a simulated path with delay and random loss.
func lossySockets(delay time.Duration, loss float64) sockets {
	return func(t testing.TB) (net.PacketConn, net.PacketConn) {
		n := netsim.NewRealtime(5)
		t.Cleanup(func() { n.Close() })
		s, c := n.MustListen("10.0.0.1:443"), n.MustListen("10.0.0.2:4000")
		link := netsim.LinkConfig{Delay: delay, Loss: loss}
		n.SetPath(s, c, link, link)
		return s, c
	}
}

// session is a server listening and a client connected to it.
type session struct {
	st, ct tport
	ln     listener
	client conn
	ctx    context.Context
}

// connect starts server on the server socket and dials it with client. The session
// ends (transports closed, so blocked calls fail) when the test ends or after limit,
// so that a stuck case fails rather than hangs.
func connect(t testing.TB, client, server stack, socks sockets, sc, cc *cfg, limit time.Duration) *session {
	t.Helper()
	spc, cpc := socks(t)
	s := &session{st: server.transport(spc), ct: client.transport(cpc)}
	var err error
	if s.ln, err = s.st.listen(serverTLS(), sc); err != nil {
		t.Fatal(err)
	}
	go serve(s.ln)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	s.ctx = ctx
	stop := context.AfterFunc(ctx, func() { s.ct.Close(); s.st.Close() })
	t.Cleanup(func() {
		stop()
		cancel()
		s.ct.Close()
		s.st.Close()
	})
	if s.client, err = s.ct.dial(ctx, spc.LocalAddr(), clientTLS(), cc); err != nil {
		t.Fatalf("%s client -> %s server: dial: %v", client.name(), server.name(), err)
	}
	return s
}
