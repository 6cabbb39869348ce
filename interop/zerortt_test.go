package interop

import (
	"context"
	"crypto/tls"
	"io"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"

	"github.com/h3wasi/h3wasi/quic"
)

// TestQuicGo0RTT resumes a session and sends 0-RTT data: a quic-go client to our server,
// and our client to a quic-go server.
func TestQuicGo0RTT(t *testing.T) {
	t.Run("quic-go-client/h3wasi-server", func(t *testing.T) {
		spc, cpc := udpSockets(t)
		st := &quic.Transport{Conn: spc}
		defer st.Close()
		ln, err := st.Listen(serverTLS(), &quic.Config{Allow0RTT: true})
		if err != nil {
			t.Fatal(err)
		}
		go serve(h3Listener{ln})
		ct := &quicgo.Transport{Conn: cpc}
		defer func() { ct.Close(); cpc.Close() }()
		tc := clientTLS()
		tc.ClientSessionCache = tls.NewLRUClientSessionCache(4)
		for i, early := range []bool{false, true} {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, err := ct.DialEarly(ctx, spc.LocalAddr(), tc, &quicgo.Config{})
			if err != nil {
				t.Fatal(err)
			}
			if err := echo(ctx, qgConn{c}, []byte("0-rtt please")); err != nil {
				t.Fatalf("connection %d: %v", i, err)
			}
			<-c.HandshakeComplete()
			if st := c.ConnectionState(); st.Used0RTT != early || st.TLS.DidResume != early {
				t.Errorf("connection %d: Used0RTT %v, DidResume %v; want %v", i, st.Used0RTT, st.TLS.DidResume, early)
			}
			c.CloseWithError(0, "")
		}
	})
	t.Run("h3wasi-client/quic-go-server", func(t *testing.T) {
		spc, cpc := udpSockets(t)
		st := &quicgo.Transport{Conn: spc}
		defer func() { st.Close(); spc.Close() }()
		ln, err := st.ListenEarly(serverTLS(), &quicgo.Config{Allow0RTT: true})
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for {
				c, err := ln.Accept(context.Background())
				if err != nil {
					return
				}
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
		}()
		var zeroRTT int
		ct := &quic.Transport{Conn: cpc}
		defer ct.Close()
		tc := clientTLS()
		tc.ClientSessionCache = tls.NewLRUClientSessionCache(4)
		conf := &quic.Config{Allow0RTT: true, Tracer: func(ev quic.TraceEvent) {
			if ev.Kind == quic.TracePacketSent && ev.PacketType == "0-RTT" {
				zeroRTT++ // the tracer runs under the transport's lock
			}
		}}
		for i, early := range []bool{false, true} {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, err := ct.DialEarly(ctx, spc.LocalAddr(), tc, conf)
			if err != nil {
				t.Fatal(err)
			}
			s, err := c.OpenStreamSync(ctx)
			if err != nil {
				t.Fatal(err)
			}
			s.Write(append(request(opEcho, 0), "early"...))
			s.Close()
			got, err := io.ReadAll(s)
			if err != nil || string(got) != "early" {
				t.Fatalf("connection %d: echo %q, %v", i, got, err)
			}
			<-c.HandshakeComplete()
			if c.ConnectionState().TLS.DidResume != early {
				t.Errorf("connection %d: DidResume %v", i, !early)
			}
			c.CloseWithError(0, "")
		}
		if zeroRTT == 0 {
			t.Errorf("no 0-RTT packet sent")
		}
	})
}
