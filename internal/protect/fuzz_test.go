package protect

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

// FuzzOpen feeds arbitrary packets to Keys.Open and OneRTTKeys.Open. They
// must never panic, must reject garbage with a drop error, and whatever they
// accept must seal back to the same bytes.
func FuzzOpen(f *testing.F) {
	for _, s := range []string{v1ClientInitialPacket, v2ClientInitialPacket} {
		b, _ := hex.DecodeString(s)
		f.Add(b, 18, int64(-1))
	}
	for _, s := range []string{v1ServerInitialPacket, v2ServerInitialPacket} {
		b, _ := hex.DecodeString(s)
		f.Add(b, 18, int64(0))
	}
	chacha, _ := hex.DecodeString("4cfe4189655e5cd55c41f69080575d7999c25a5bfb")
	f.Add(chacha, 1, int64(654360563))
	f.Add([]byte{0x40}, 1, int64(5))
	f.Add([]byte{}, 0, int64(0))

	secret, _ := hex.DecodeString("9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b")
	f.Fuzz(func(t *testing.T, pkt []byte, pnOffset int, largest int64) {
		if largest < -1 || largest > MaxPacketNumber {
			largest = -1
		}
		// The Initial keys that open client packets (v1 and v2), and the
		// ChaCha20 1-RTT keys of the RFC 9001 A.5 sample.
		_, v1, _ := NewInitialKeys(Version1, testDCID, false)
		_, v2, _ := NewInitialKeys(Version2, testDCID, false)
		cc, _ := NewKeys(TLS_CHACHA20_POLY1305_SHA256, secret, Version1)
		for _, k := range []*Keys{v1, v2, cc} {
			checkOpen(t, k, pkt, pnOffset, largest)
		}
		one, _ := NewOneRTTKeys(TLS_CHACHA20_POLY1305_SHA256, Version1, secret, secret)
		in := append([]byte(nil), pkt...)
		_, _, err := one.Open(in, pnOffset, largest, 0)
		if err != nil && !isDropError(err) && errCode(err) == 0 {
			t.Fatalf("OneRTTKeys.Open: unexpected error %v", err)
		}
	})
}

func isDropError(err error) bool {
	return errors.Is(err, ErrPacketTooShort) || errors.Is(err, ErrDecryptionFailed) ||
		errors.Is(err, ErrKeysUnavailable)
}

func checkOpen(t *testing.T, k *Keys, pkt []byte, pnOffset int, largest int64) {
	in := append([]byte(nil), pkt...)
	pn, payload, err := k.Open(in, pnOffset, largest)
	if err != nil {
		if !isDropError(err) {
			t.Fatalf("Open: unexpected error %v", err)
		}
		return
	}
	pnLen := int(in[0]&3) + 1
	hdr := append([]byte(nil), in[:pnOffset+pnLen]...)
	re, err := k.Seal(append(hdr, payload...), pnOffset, pnLen, pn)
	if err != nil || !bytes.Equal(re, pkt) {
		t.Fatalf("accepted packet does not seal back: err %v\n in %x\nout %x", err, pkt, re)
	}
}
