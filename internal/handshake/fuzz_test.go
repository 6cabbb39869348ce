package handshake

import (
	"errors"
	"testing"

	"github.com/h3wasi/h3wasi/internal/quicwire"
)

// FuzzHandleCrypto feeds arbitrary CRYPTO bytes to a server (as a
// ClientHello at the Initial level) and to a client that sent its
// ClientHello (as the server's Initial flight). Neither may panic, and every
// failure must be a *Error with a CRYPTO_ERROR or PROTOCOL_VIOLATION code.
func FuzzHandleCrypto(f *testing.F) {
	ccfg, scfg := configs(f)
	cl, sv := newPair(f, ccfg, scfg)
	if err := cl.c.Start(); err != nil {
		f.Fatal(err)
	}
	if err := sv.c.Start(); err != nil {
		f.Fatal(err)
	}
	cl.drainEvents(f)
	hello := cl.out[0].Data
	if err := deliver(cl, sv); err != nil {
		f.Fatal(err)
	}
	sv.drainEvents(f)
	f.Add(false, hello)
	f.Add(true, sv.out[0].Data) // ServerHello
	f.Add(false, hello[:len(hello)/2])
	f.Add(true, []byte{2, 0, 0, 1, 0})
	f.Fuzz(func(t *testing.T, toClient bool, data []byte) {
		ccfg, scfg := configs(t)
		var c *Conn
		var err error
		if toClient {
			c, err = NewClient(ccfg)
		} else {
			c, err = NewServer(scfg)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		for e := c.NextEvent(); e.Kind != EventNone; e = c.NextEvent() {
		}
		err = c.HandleCrypto(LevelInitial, data)
		if err == nil {
			return
		}
		var he *Error
		if !errors.As(err, &he) {
			t.Fatalf("error %v (%T) is not a *Error", err, err)
		}
		if _, ok := he.Alert(); !ok && he.Code != CodeProtocolViolation {
			t.Fatalf("unexpected code %#x: %v", he.Code, err)
		}
	})
}

// FuzzZeroRTTCompatible decodes arbitrary stored and current server
// transport parameters: never a panic, and identical valid parameters are
// always compatible.
func FuzzZeroRTTCompatible(f *testing.F) {
	f.Add(serverParams, serverParams)
	f.Add(serverParams, testServerParams(func(p *quicwire.TransportParameters) { p.InitialMaxData = 0 }))
	f.Add([]byte{0x04, 0x01}, serverParams)
	f.Fuzz(func(t *testing.T, stored, cur []byte) {
		ok := zeroRTTCompatible(stored, cur)
		if _, err := quicwire.ParseTransportParameters(stored, true); err != nil && ok {
			t.Fatal("malformed stored parameters accepted")
		}
		if _, err := quicwire.ParseTransportParameters(stored, true); err == nil && !zeroRTTCompatible(stored, stored) {
			t.Fatal("parameters incompatible with themselves")
		}
	})
}
