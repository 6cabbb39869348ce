package handshake

import "testing"

// BenchmarkHandshake measures a full in-memory handshake (both sides, no
// QUIC packets) and a resumed one.
func BenchmarkHandshake(b *testing.B) {
	for _, resume := range []bool{false, true} {
		name := "Full"
		if resume {
			name = "Resumed"
		}
		b.Run(name, func(b *testing.B) {
			ccfg, scfg := configs(b)
			if !resume {
				ccfg.TLS.ClientSessionCache = nil
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				c, _ := NewClient(ccfg)
				s, _ := NewServer(scfg)
				cl, sv := newSide(c), newSide(s)
				if cerr, serr := pump(b, cl, sv); cerr != nil || serr != nil || !cl.complete {
					b.Fatalf("client %v server %v", cerr, serr)
				}
				if resume && i > 0 && !c.ConnectionState().DidResume {
					b.Fatal("not resumed")
				}
				c.Close()
				s.Close()
			}
		})
	}
}
