package handshake

import (
	"crypto/tls"
	"testing"
)

// BenchmarkHandshake measures a full in-memory handshake (both sides, no
// QUIC packets), a resumed one, and a full one restricted to X25519 (Go's
// default X25519MLKEM768 hybrid costs more, most visibly under WebAssembly).
func BenchmarkHandshake(b *testing.B) {
	for _, bc := range []struct {
		name   string
		resume bool
		curves []tls.CurveID
	}{
		{"Full", false, nil},
		{"Resumed", true, nil},
		{"FullX25519", false, []tls.CurveID{tls.X25519}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ccfg, scfg := configs(b)
			if !bc.resume {
				ccfg.TLS.ClientSessionCache = nil
			}
			ccfg.TLS.CurvePreferences = bc.curves
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				c, _ := NewClient(ccfg)
				s, _ := NewServer(scfg)
				cl, sv := newSide(c), newSide(s)
				if cerr, serr := pump(b, cl, sv); cerr != nil || serr != nil || !cl.complete {
					b.Fatalf("client %v server %v", cerr, serr)
				}
				if bc.resume && i > 0 && !c.ConnectionState().DidResume {
					b.Fatal("not resumed")
				}
				c.Close()
				s.Close()
			}
		})
	}
}
