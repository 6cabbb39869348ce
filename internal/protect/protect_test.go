package protect

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"testing"

	"golang.org/x/crypto/chacha20"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

var testDCID = []byte{0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08}

func TestSuiteConstantsMatchTLS(t *testing.T) {
	if TLS_AES_128_GCM_SHA256 != tls.TLS_AES_128_GCM_SHA256 ||
		TLS_AES_256_GCM_SHA384 != tls.TLS_AES_256_GCM_SHA384 ||
		TLS_CHACHA20_POLY1305_SHA256 != tls.TLS_CHACHA20_POLY1305_SHA256 {
		t.Fatal("cipher suite constants differ from crypto/tls")
	}
}

// TestInitialSecrets checks RFC 9001 A.1 and RFC 9369 A.1.
func TestInitialSecrets(t *testing.T) {
	tests := []struct {
		version        uint32
		client, server string
		cKey, cIV, cHP string
		sKey, sIV, sHP string
	}{
		{
			version: Version1,
			client:  "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea",
			server:  "3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b",
			cKey:    "1f369613dd76d5467730efcbe3b1a22d", cIV: "fa044b2f42a3fd3b46fb255c", cHP: "9f50449e04a0e810283a1e9933adedd2",
			sKey: "cf3a5331653c364c88f0f379b6067e37", sIV: "0ac1493ca1905853b0bba03e", sHP: "c206b8d9b9f0f37644430b490eeaa314",
		},
		{
			version: Version2,
			client:  "14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b",
			server:  "0263db1782731bf4588e7e4d93b7463907cb8cd8200b5da55a8bd488eafc37c1",
			cKey:    "8b1a0bc121284290a29e0971b5cd045d", cIV: "91f73e2351d8fa91660e909f", cHP: "45b95e15235d6f45a6b19cbcb0294ba9",
			sKey: "82db637861d55e1d011f19ea71d5d2a7", sIV: "dd13c276499c0249d3310652", sHP: "edf6d05c83121201b436e16877593c3a",
		},
	}
	for _, tt := range tests {
		client, server, err := InitialSecrets(tt.version, testDCID)
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(client) != tt.client || hex.EncodeToString(server) != tt.server {
			t.Errorf("v%#x: secrets %x %x", tt.version, client, server)
		}
		l, _ := versionLabels(tt.version)
		s := &suites[0]
		for _, c := range []struct {
			secret      []byte
			key, iv, hp string
		}{{client, tt.cKey, tt.cIV, tt.cHP}, {server, tt.sKey, tt.sIV, tt.sHP}} {
			if got := hex.EncodeToString(s.expandLabel(c.secret, l.key, 16)); got != c.key {
				t.Errorf("v%#x key %s, want %s", tt.version, got, c.key)
			}
			if got := hex.EncodeToString(s.expandLabel(c.secret, l.iv, 12)); got != c.iv {
				t.Errorf("v%#x iv %s, want %s", tt.version, got, c.iv)
			}
			if got := hex.EncodeToString(s.expandLabel(c.secret, l.hp, 16)); got != c.hp {
				t.Errorf("v%#x hp %s, want %s", tt.version, got, c.hp)
			}
		}
	}
	if _, _, err := InitialSecrets(0xff00001d, testDCID); !errors.Is(err, ErrUnsupportedVersion) {
		t.Errorf("draft version: err %v", err)
	}
}

// TestInitialPackets seals and opens the Initial packets of RFC 9001 A.2
// and A.3 and RFC 9369 A.2 and A.3.
func TestInitialPackets(t *testing.T) {
	tests := []struct {
		name            string
		version         uint32
		client          bool
		header, payload string
		padTo           int
		pnLen           int
		pn              uint64
		packet          string
	}{
		{"v1 client", Version1, true, v1ClientInitialHeader, v1ClientInitialPayload, 1162, 4, 2, v1ClientInitialPacket},
		{"v1 server", Version1, false, v1ServerInitialHeader, v1ServerInitialPayload, 0, 2, 1, v1ServerInitialPacket},
		{"v2 client", Version2, true, v2ClientInitialHeader, v2ClientInitialPayload, 1162, 4, 2, v2ClientInitialPacket},
		{"v2 server", Version2, false, v2ServerInitialHeader, v2ServerInitialPayload, 0, 2, 1, v2ServerInitialPacket},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := unhex(t, tt.header)
			payload := unhex(t, tt.payload)
			if tt.padTo > len(payload) {
				payload = append(payload, make([]byte, tt.padTo-len(payload))...)
			}
			buf := make([]byte, 0, 1500)
			buf = append(append(buf, hdr...), payload...)
			sealKeys, _, err := NewInitialKeys(tt.version, testDCID, tt.client)
			if err != nil {
				t.Fatal(err)
			}
			pnOffset := len(hdr) - tt.pnLen
			out, err := sealKeys.Seal(buf, pnOffset, tt.pnLen, tt.pn)
			if err != nil {
				t.Fatal(err)
			}
			want := unhex(t, tt.packet)
			if !bytes.Equal(out, want) {
				t.Fatalf("sealed packet differs:\n got %x\nwant %x", out, want)
			}
			if &out[0] != &buf[0] {
				t.Error("Seal reallocated a buffer with spare capacity")
			}
			_, openKeys, err := NewInitialKeys(tt.version, testDCID, !tt.client)
			if err != nil {
				t.Fatal(err)
			}
			pn, pt, err := openKeys.Open(want, pnOffset, -1)
			if err != nil {
				t.Fatal(err)
			}
			if pn != tt.pn || !bytes.Equal(pt, payload) || !bytes.Equal(want[:len(hdr)], hdr) {
				t.Errorf("Open: pn %d, header %x, payload equal %v", pn, want[:len(hdr)], bytes.Equal(pt, payload))
			}
		})
	}
}

// TestRetryIntegrity checks RFC 9001 A.4 and RFC 9369 A.4.
func TestRetryIntegrity(t *testing.T) {
	for _, tt := range []struct {
		version uint32
		packet  string
	}{{Version1, v1RetryPacket}, {Version2, v2RetryPacket}} {
		pkt := unhex(t, tt.packet)
		if !VerifyRetryIntegrity(tt.version, testDCID, pkt) {
			t.Errorf("v%#x: valid retry rejected", tt.version)
		}
		body := pkt[:len(pkt)-TagLen]
		got, err := AppendRetryIntegrityTag(tt.version, testDCID, append([]byte(nil), body...))
		if err != nil || !bytes.Equal(got, pkt) {
			t.Errorf("v%#x: tag %x, err %v", tt.version, got, err)
		}
		if VerifyRetryIntegrity(tt.version, testDCID[1:], pkt) {
			t.Errorf("v%#x: retry accepted for wrong original DCID", tt.version)
		}
		bad := append([]byte(nil), pkt...)
		bad[len(bad)-1] ^= 1
		if VerifyRetryIntegrity(tt.version, testDCID, bad) || VerifyRetryIntegrity(tt.version, testDCID, pkt[:10]) {
			t.Errorf("v%#x: corrupted retry accepted", tt.version)
		}
	}
	other := unhex(t, v1RetryPacket)
	if VerifyRetryIntegrity(Version2, testDCID, other) {
		t.Error("v1 retry accepted as v2")
	}
}

// TestChaChaShortHeader checks RFC 9001 A.5 and RFC 9369 A.5.
func TestChaChaShortHeader(t *testing.T) {
	secret := unhex(t, "9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b")
	for _, tt := range []struct {
		version        uint32
		ku, nonce, pkt string
	}{
		{Version1, "1223504755036d556342ee9361d253421a826c9ecdf3c7148684b36b714881f9",
			"e0459b3474bdd0e46d417eb0", "4cfe4189655e5cd55c41f69080575d7999c25a5bfb"},
		{Version2, "c69374c49e3d2a9466fa689e49d476db5d0dfbc87d32ceeaa6343fd0ae4c7d88",
			"a6b5bc6ab7dafce328ff4a29", "5558b1c60ae7b6b932bc27d786f4bc2bb20f2162ba"},
	} {
		const pn = 654360564
		k, err := NewKeys(TLS_CHACHA20_POLY1305_SHA256, secret, tt.version)
		if err != nil {
			t.Fatal(err)
		}
		k.pkt.setNonce(pn)
		if got := hex.EncodeToString(k.pkt.nonce[:]); got != tt.nonce {
			t.Errorf("v%#x nonce %s, want %s", tt.version, got, tt.nonce)
		}
		l, _ := versionLabels(tt.version)
		if got := hex.EncodeToString(k.suite.expandLabel(secret, l.ku, 32)); got != tt.ku {
			t.Errorf("v%#x ku %s, want %s", tt.version, got, tt.ku)
		}
		out, err := k.Seal(unhex(t, "4200bff401"), 1, 3, pn)
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(out) != tt.pkt {
			t.Errorf("v%#x packet %x, want %s", tt.version, out, tt.pkt)
		}
		gotPN, pt, err := k.Open(out, 1, pn-1)
		if err != nil || gotPN != pn || !bytes.Equal(pt, []byte{1}) {
			t.Errorf("v%#x open: pn %d payload %x err %v", tt.version, gotPN, pt, err)
		}
	}
}

func TestNewKeysErrors(t *testing.T) {
	secret := make([]byte, 32)
	tests := []struct {
		suite   uint16
		secret  []byte
		version uint32
		want    error
	}{
		{0x1304, secret, Version1, ErrUnsupportedSuite}, // TLS_AES_128_CCM_SHA256
		{TLS_AES_128_GCM_SHA256, secret, 0xff00001d, ErrUnsupportedVersion},
		{TLS_AES_256_GCM_SHA384, secret, Version1, ErrBadSecret},
		{TLS_AES_128_GCM_SHA256, secret[:16], Version2, ErrBadSecret},
	}
	for _, tt := range tests {
		if _, err := NewKeys(tt.suite, tt.secret, tt.version); !errors.Is(err, tt.want) {
			t.Errorf("NewKeys(%#x, %d bytes, %#x) = %v, want %v", tt.suite, len(tt.secret), tt.version, err, tt.want)
		}
	}
}

func TestSealLayoutErrors(t *testing.T) {
	k, _, _ := NewInitialKeys(Version1, testDCID, true)
	tests := []struct {
		name           string
		size, pnOffset int
		pnLen          int
	}{
		{"pn length 0", 40, 18, 0},
		{"pn length 5", 40, 18, 5},
		{"pn beyond packet", 20, 18, 4},
		{"no room for sample", 21, 18, 2},
		{"zero offset", 40, 0, 1},
	}
	for _, tt := range tests {
		if _, err := k.Seal(make([]byte, tt.size), tt.pnOffset, tt.pnLen, 0); !errors.Is(err, ErrBadPacketLayout) {
			t.Errorf("%s: err %v", tt.name, err)
		}
	}
}

// TestRoundTripAllSuites seals and opens short and long header packets of
// several sizes with every suite and version, including tampering.
func TestRoundTripAllSuites(t *testing.T) {
	for _, suite := range []uint16{TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256} {
		s, _ := lookupSuite(suite)
		secret := bytes.Repeat([]byte{0x5a}, s.hashLen)
		for _, version := range []uint32{Version1, Version2} {
			k, err := NewKeys(suite, secret, version)
			if err != nil {
				t.Fatal(err)
			}
			for _, size := range []int{1, 3, 100, 1200} {
				for pnLen := 1; pnLen <= 4; pnLen++ {
					pn := uint64(0x1234567) + uint64(size)
					hdr := AppendPacketNumber([]byte{0x40 | byte(pnLen-1), 1, 2, 3, 4}, pn, pnLen)
					payload := bytes.Repeat([]byte{0xab}, size+4)
					pkt, err := k.Seal(append(hdr, payload...), 5, pnLen, pn)
					if err != nil {
						t.Fatal(err)
					}
					tampered := append([]byte(nil), pkt...)
					tampered[len(tampered)-3] ^= 0x80
					gotPN, pt, err := k.Open(pkt, 5, int64(pn)-3)
					if err != nil || gotPN != pn || !bytes.Equal(pt, payload) {
						t.Fatalf("suite %#x v%#x size %d pnLen %d: pn %d err %v", suite, version, size, pnLen, gotPN, err)
					}
					before := k.AuthFailures()
					if _, _, err := k.Open(tampered, 5, int64(pn)-3); !errors.Is(err, ErrDecryptionFailed) {
						t.Fatalf("tampered packet: err %v", err)
					}
					if k.AuthFailures() != before+1 {
						t.Fatalf("AuthFailures %d, want %d", k.AuthFailures(), before+1)
					}
				}
			}
		}
	}
}

// TestChaChaMaskMatchesXCrypto checks the single-block ChaCha20 mask
// against golang.org/x/crypto/chacha20 on many keys and samples.
func TestChaChaMaskMatchesXCrypto(t *testing.T) {
	var seed uint64 = 0x9e3779b97f4a7c15
	fill := func(b []byte) {
		for i := range b {
			seed ^= seed << 13
			seed ^= seed >> 7
			seed ^= seed << 17
			b[i] = byte(seed)
		}
	}
	s, _ := lookupSuite(TLS_CHACHA20_POLY1305_SHA256)
	for i := 0; i < 500; i++ {
		key := make([]byte, 32)
		sample := make([]byte, 16)
		fill(key)
		fill(sample)
		if i == 0 {
			copy(sample, []byte{0xff, 0xff, 0xff, 0xff}) // largest counter
		}
		c, err := chacha20.NewUnauthenticatedCipher(key, sample[4:])
		if err != nil {
			t.Fatal(err)
		}
		c.SetCounter(binary.LittleEndian.Uint32(sample))
		want := make([]byte, 5)
		c.XORKeyStream(want, want)
		got := newHeaderKey(s, key).mask(sample)
		if !bytes.Equal(got[:], want) {
			t.Fatalf("key %x sample %x: mask %x, want %x", key, sample, got, want)
		}
	}
}
