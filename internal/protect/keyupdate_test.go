package protect

import (
	"bytes"
	"errors"
	"testing"
)

const testPTO = 100e6 // 100 ms in ns

// pair is a client and a server OneRTTKeys sharing secrets.
type pair struct {
	t       *testing.T
	version uint32
	c, s    *OneRTTKeys
	cPN     uint64 // next packet number each side sends
	sPN     uint64
	cLarge  int64 // largest packet number each side received
	sLarge  int64
}

func newPair(t *testing.T, suite uint16, version uint32) *pair {
	s, _ := lookupSuite(suite)
	cs := bytes.Repeat([]byte{1}, s.hashLen)
	ss := bytes.Repeat([]byte{2}, s.hashLen)
	c, err := NewOneRTTKeys(suite, version, ss, cs)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewOneRTTKeys(suite, version, cs, ss)
	if err != nil {
		t.Fatal(err)
	}
	c.SetPTO(testPTO)
	srv.SetPTO(testPTO)
	return &pair{t: t, version: version, c: c, s: srv, cLarge: -1, sLarge: -1}
}

// seal builds a short header packet with a 4-byte packet number.
func sealShort(t *testing.T, k *OneRTTKeys, pn uint64) []byte {
	t.Helper()
	pkt := AppendPacketNumber([]byte{0x43, 0xaa, 0xbb}, pn, 4)
	pkt = append(pkt, []byte("payload!")...)
	out, err := k.Seal(pkt, 3, 4, pn)
	if err != nil {
		t.Fatalf("seal pn %d: %v", pn, err)
	}
	return out
}

// clientSend returns a sealed client packet.
func (p *pair) clientSend() []byte {
	p.cPN++
	return sealShort(p.t, p.c, p.cPN-1)
}

func (p *pair) serverSend() []byte {
	p.sPN++
	return sealShort(p.t, p.s, p.sPN-1)
}

// deliver opens pkt at k and returns the error.
func deliver(k *OneRTTKeys, pkt []byte, largest *int64, now int64) error {
	pn, payload, err := k.Open(pkt, 3, *largest, now)
	if err != nil {
		return err
	}
	if string(payload) != "payload!" {
		return errors.New("payload mismatch")
	}
	if int64(pn) > *largest {
		*largest = int64(pn)
	}
	return nil
}

func (p *pair) toServer(pkt []byte, now int64) error { return deliver(p.s, pkt, &p.sLarge, now) }
func (p *pair) toClient(pkt []byte, now int64) error { return deliver(p.c, pkt, &p.cLarge, now) }

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func errCode(err error) uint64 {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

func TestKeyUpdate(t *testing.T) {
	for _, suite := range []uint16{TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256} {
		for _, version := range []uint32{Version1, Version2} {
			p := newPair(t, suite, version)
			testKeyUpdateFlow(t, p)
		}
	}
}

func testKeyUpdateFlow(t *testing.T, p *pair) {
	now := int64(1e9)
	mustOK(t, p.toServer(p.clientSend(), now))
	mustOK(t, p.toClient(p.serverSend(), now))
	if p.c.CanUpdate(now) || !errors.Is(p.c.Update(now), ErrKeyUpdateNotAllowed) {
		t.Fatal("update allowed before handshake confirmation")
	}
	p.c.SetHandshakeConfirmed()
	if p.c.CanUpdate(now) {
		t.Fatal("update allowed before the current phase was acknowledged")
	}
	p.c.OnAcked(0)
	mustOK(t, p.c.Update(now))
	delayed := p.clientSend() // the first packet of phase 1
	// A packet still in flight from the server with the old keys opens.
	old := p.serverSend()
	// The server sees the update, opens it and answers in phase 1.
	mustOK(t, p.toServer(delayed, now))
	if p.s.Phase() != 1 {
		t.Fatalf("server phase %d after peer update", p.s.Phase())
	}
	reply := p.serverSend()
	mustOK(t, p.toClient(reply, now))
	if reply[0]&keyPhaseBit == 0 { // unprotected in place by Open
		t.Fatal("server did not follow the key update")
	}
	mustOK(t, p.toClient(old, now)) // reordered: previous keys
	if p.c.CanUpdate(now) {
		t.Fatal("update allowed while previous read keys are kept")
	}
	// After three PTOs the previous keys go; a late old packet is dropped.
	dl, ok := p.c.Deadline()
	if !ok || dl != now+3*testPTO {
		t.Fatalf("deadline %d %v", dl, ok)
	}
	now += 3 * testPTO
	p.c.HandleTimeout(now)
	late := sealWithPhase0(t, p)
	if err := p.toClient(late, now); !errors.Is(err, ErrKeysUnavailable) {
		t.Fatalf("old packet after expiry: %v", err)
	}
	// A second update by the client, now permitted.
	p.c.OnAcked(int64(p.cPN - 1))
	mustOK(t, p.c.Update(now))
	mustOK(t, p.toServer(p.clientSend(), now))
	mustOK(t, p.toClient(p.serverSend(), now))
	if p.c.Phase() != 2 || p.s.Phase() != 2 {
		t.Fatalf("phases %d %d", p.c.Phase(), p.s.Phase())
	}
}

// sealWithPhase0 forges an old-phase packet from a fresh server at phase 0
// with a packet number below the client's first phase-1 packet.
func sealWithPhase0(t *testing.T, p *pair) []byte {
	return sealShort(t, newPair(t, p.c.Suite(), p.version).s, 0)
}

func TestConsecutiveKeyUpdateRejected(t *testing.T) {
	p := newPair(t, TLS_AES_128_GCM_SHA256, Version1)
	now := int64(0)
	mustOK(t, p.toServer(p.clientSend(), now))
	mustOK(t, p.toClient(p.serverSend(), now))
	// A misbehaving client updates twice without waiting for the server.
	p.c.rotate()
	mustOK(t, p.toServer(p.clientSend(), now))
	p.c.rotate()
	err := p.toServer(p.clientSend(), now)
	if errCode(err) != CodeKeyUpdateError {
		t.Fatalf("consecutive update: %v", err)
	}
}

func TestOldKeysAfterNewRejected(t *testing.T) {
	p := newPair(t, TLS_CHACHA20_POLY1305_SHA256, Version2)
	now := int64(0)
	mustOK(t, p.toClient(p.serverSend(), now))
	mustOK(t, p.toServer(p.clientSend(), now))
	p.cPN = 20
	high := p.clientSend() // pn 20, phase 0
	mustOK(t, p.toServer(high, now))
	p.c.rotate()
	p.cPN = 15 // a peer that uses new keys for a lower packet number
	if err := p.toServer(p.clientSend(), now); errCode(err) != CodeKeyUpdateError {
		t.Fatalf("lower pn with newer keys: %v", err)
	}
}

func TestConfidentialityLimit(t *testing.T) {
	p := newPair(t, TLS_AES_128_GCM_SHA256, Version1)
	p.c.confLimit = 16
	p.c.SetHandshakeConfirmed()
	for i := 0; i < 14; i++ {
		if p.c.ShouldUpdate() {
			t.Fatalf("ShouldUpdate after %d packets", i)
		}
		p.clientSend()
	}
	if !p.c.ShouldUpdate() {
		t.Fatal("ShouldUpdate false at 14 of 16")
	}
	p.clientSend()
	p.clientSend()
	pkt := AppendPacketNumber([]byte{0x43, 0, 0}, 99, 4)
	if _, err := p.c.Seal(append(pkt, make([]byte, 20)...), 3, 4, 99); errCode(err) != CodeAEADLimitReached {
		t.Fatalf("seal past limit: %v", err)
	}
}

func TestIntegrityLimit(t *testing.T) {
	p := newPair(t, TLS_CHACHA20_POLY1305_SHA256, Version1)
	p.s.integLimit = 3
	for i := 1; i <= 3; i++ {
		pkt := p.clientSend()
		pkt[len(pkt)-1] ^= 1
		err := p.toServer(pkt, 0)
		if i < 3 && !errors.Is(err, ErrDecryptionFailed) {
			t.Fatalf("failure %d: %v", i, err)
		}
		if i == 3 && errCode(err) != CodeAEADLimitReached {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	if p.s.AuthFailures() != 3 {
		t.Errorf("AuthFailures %d", p.s.AuthFailures())
	}
}

// TestNextKeysLazy: a phase starts with only the next phase's secrets; the
// next read key is built for the first packet that may start the next phase
// and kept, also when that packet was forged.
func TestNextKeysLazy(t *testing.T) {
	p := newPair(t, TLS_AES_128_GCM_SHA256, Version1)
	if p.s.rcvNext != nil {
		t.Fatal("next read key built in advance")
	}
	now := int64(1e9)
	mustOK(t, p.toServer(p.clientSend(), now))
	mustOK(t, p.toClient(p.serverSend(), now))
	if p.s.rcvNext != nil || p.c.rcvNext != nil {
		t.Fatal("next read key built without a key phase change")
	}
	forged := p.clientSend()
	forged[0] ^= keyPhaseBit // header protection makes this a garbled bit, as an attacker would
	_ = p.toServer(forged, now)
	built := p.s.rcvNext
	if built == nil {
		t.Fatal("no next read key for a packet with the other Key Phase")
	}
	_ = p.toServer(forged, now)
	if p.s.rcvNext != built {
		t.Error("next read key rebuilt for every candidate packet")
	}
	testKeyUpdateFlow(t, newPair(t, TLS_AES_128_GCM_SHA256, Version1))
}
