package protect

import (
	"bytes"
	"testing"
)

const benchPacketSize = 1350

var benchSuites = []struct {
	name string
	id   uint16
}{
	{"AES128GCM", TLS_AES_128_GCM_SHA256},
	{"AES256GCM", TLS_AES_256_GCM_SHA384},
	{"ChaCha20Poly1305", TLS_CHACHA20_POLY1305_SHA256},
}

// benchPacket returns keys and an unprotected 1,350-byte short header
// packet (13-byte header, payload, room for the tag) for a suite.
func benchPacket(b *testing.B, suite uint16) (*Keys, []byte, int) {
	s, _ := lookupSuite(suite)
	k, err := NewKeys(suite, bytes.Repeat([]byte{7}, s.hashLen), Version1)
	if err != nil {
		b.Fatal(err)
	}
	const hdrLen = 13
	pkt := make([]byte, benchPacketSize-TagLen, benchPacketSize)
	pkt[0] = 0x43
	return k, pkt, hdrLen
}

// BenchmarkProtect measures Seal (AEAD + header protection) next to the raw
// AEAD Seal of the same packet, per cipher suite.
func BenchmarkProtect(b *testing.B) {
	for _, bs := range benchSuites {
		b.Run(bs.name+"/Seal", func(b *testing.B) {
			k, pkt, hdrLen := benchPacket(b, bs.id)
			b.SetBytes(benchPacketSize)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				pkt[0] = 0x43
				if _, err := k.Seal(pkt, hdrLen-4, 4, uint64(i)); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bs.name+"/RawAEADSeal", func(b *testing.B) {
			k, pkt, hdrLen := benchPacket(b, bs.id)
			b.SetBytes(benchPacketSize)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				k.pkt.setNonce(uint64(i))
				k.pkt.aead.Seal(pkt[hdrLen:hdrLen], k.pkt.nonce[:], pkt[hdrLen:], pkt[:hdrLen])
			}
		})
	}
}

// BenchmarkUnprotect measures Open (header protection removal, packet
// number recovery, AEAD Open) next to the raw AEAD Open, per cipher suite.
// Both copy the protected packet first, since opening works in place.
func BenchmarkUnprotect(b *testing.B) {
	for _, bs := range benchSuites {
		k, pkt, hdrLen := benchPacket(b, bs.id)
		AppendPacketNumber(pkt[:hdrLen-4], 1000, 4)
		sealed, err := k.Seal(pkt, hdrLen-4, 4, 1000)
		if err != nil {
			b.Fatal(err)
		}
		sealed = append([]byte(nil), sealed...)
		b.Run(bs.name+"/Open", func(b *testing.B) {
			buf := make([]byte, len(sealed))
			b.SetBytes(benchPacketSize)
			b.ReportAllocs()
			for b.Loop() {
				copy(buf, sealed)
				if _, _, err := k.Open(buf, hdrLen-4, 999); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bs.name+"/RawAEADOpen", func(b *testing.B) {
			// The raw AEAD opens the packet with its header unprotected.
			raw := append([]byte(nil), sealed...)
			if _, _, err := k.Open(raw, hdrLen-4, 999); err != nil {
				b.Fatal(err)
			}
			k.pkt.setNonce(1000)
			raw = k.pkt.aead.Seal(raw[:hdrLen], k.pkt.nonce[:], raw[hdrLen:len(raw)-TagLen], raw[:hdrLen])
			buf := make([]byte, len(raw))
			b.SetBytes(benchPacketSize)
			b.ReportAllocs()
			for b.Loop() {
				copy(buf, raw)
				k.pkt.setNonce(1000)
				if _, err := k.pkt.aead.Open(buf[hdrLen:hdrLen], k.pkt.nonce[:], buf[hdrLen:], buf[:hdrLen]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHeaderMask measures the header protection mask alone, the part
// of Seal and Open that the raw AEAD benchmarks do not include.
func BenchmarkHeaderMask(b *testing.B) {
	for _, bs := range benchSuites {
		b.Run(bs.name, func(b *testing.B) {
			k, pkt, _ := benchPacket(b, bs.id)
			sample := pkt[20:36]
			b.ReportAllocs()
			var sink byte
			for b.Loop() {
				m := k.hp.mask(sample)
				sink ^= m[0]
			}
			_ = sink
		})
	}
}

// BenchmarkOneRTT measures 1-RTT Seal and Open through OneRTTKeys, which
// add key phase bookkeeping to Keys.
func BenchmarkOneRTT(b *testing.B) {
	for _, bs := range benchSuites {
		s, _ := lookupSuite(bs.id)
		secret := bytes.Repeat([]byte{7}, s.hashLen)
		b.Run(bs.name+"/Seal", func(b *testing.B) {
			k, err := NewOneRTTKeys(bs.id, Version1, secret, secret)
			if err != nil {
				b.Fatal(err)
			}
			k.confLimit = 0 // measure sealing, not the limit
			pkt := make([]byte, benchPacketSize-TagLen, benchPacketSize)
			b.SetBytes(benchPacketSize)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				pkt[0] = 0x43
				if _, err := k.Seal(pkt, 9, 4, uint64(i)); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bs.name+"/Open", func(b *testing.B) {
			k, err := NewOneRTTKeys(bs.id, Version1, secret, secret)
			if err != nil {
				b.Fatal(err)
			}
			pkt := make([]byte, benchPacketSize-TagLen, benchPacketSize)
			pkt[0] = 0x43
			AppendPacketNumber(pkt[:9], 1000, 4)
			sealed, err := k.Seal(pkt, 9, 4, 1000)
			if err != nil {
				b.Fatal(err)
			}
			sealed = append([]byte(nil), sealed...)
			buf := make([]byte, len(sealed))
			b.SetBytes(benchPacketSize)
			b.ReportAllocs()
			for b.Loop() {
				copy(buf, sealed)
				if _, _, err := k.Open(buf, 9, 999, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
