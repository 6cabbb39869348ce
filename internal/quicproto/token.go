package quicproto

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"io"
	"net/netip"
)

// Address validation tokens (RFC 9000 section 8.1): a Retry token proves the client can
// receive at its address and carries the original destination connection ID; a NEW_TOKEN
// token lets a returning client skip the Retry round trip. Both are sealed with AES-GCM under
// a key from the configuration, with the client's address as additional data, so only the
// endpoint that made a token can read it and a token is only valid from the address it was
// issued to.

const (
	tokenKindRetry    = 0x52 // 'R'
	tokenKindNewToken = 0x4e // 'N'
	tokenNonceLen     = 12
	// tokenPlainMax is the largest plaintext: time (8) + two connection IDs with lengths.
	tokenPlainMax = 8 + 2*(1+MaxConnIDLen)
)

var errBadToken = errors.New("quicproto: invalid address validation token")

// tokenSealer makes and opens address validation tokens.
type tokenSealer struct {
	aead cipher.AEAD
	rand io.Reader
}

func newTokenSealer(key [32]byte, rand io.Reader) (*tokenSealer, error) {
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &tokenSealer{aead: aead, rand: rand}, nil
}

// addrAD encodes the address the token is bound to as additional data. Only the IP is bound
// for NEW_TOKEN tokens: a client's port changes between connections.
func addrAD(buf []byte, kind byte, addr netip.AddrPort) []byte {
	buf = append(buf, kind)
	a := addr.Addr().As16()
	buf = append(buf, a[:]...)
	if kind == tokenKindRetry {
		buf = binary.BigEndian.AppendUint16(buf, addr.Port())
	}
	return buf
}

// appendToken seals a token. For Retry tokens odcid is the client's original destination
// connection ID and rscid the Source Connection ID of the Retry; NEW_TOKEN tokens carry none.
func (s *tokenSealer) appendToken(b []byte, kind byte, now int64, addr netip.AddrPort, odcid, rscid []byte) ([]byte, error) {
	var plain [tokenPlainMax]byte
	p := binary.BigEndian.AppendUint64(plain[:0], uint64(now))
	p = append(p, byte(len(odcid)))
	p = append(p, odcid...)
	p = append(p, byte(len(rscid)))
	p = append(p, rscid...)
	var ad [1 + 16 + 2]byte
	b = append(b, kind)
	nonce := len(b)
	b = append(b, make([]byte, tokenNonceLen)...)
	if _, err := io.ReadFull(s.rand, b[nonce:]); err != nil {
		return b[:nonce-1], err
	}
	return s.aead.Seal(b, b[nonce:nonce+tokenNonceLen], p, addrAD(ad[:0], kind, addr)), nil
}

// openedToken is what a valid token says.
type openedToken struct {
	kind   byte
	issued int64
	odcid  ConnID
	rscid  ConnID
}

// openToken checks and opens a token received from addr. It returns errBadToken when the
// token is not one of ours, was issued to another address, or is malformed.
func (s *tokenSealer) openToken(tok []byte, addr netip.AddrPort) (openedToken, error) {
	var t openedToken
	if len(tok) < 1+tokenNonceLen+s.aead.Overhead() || len(tok) > 1+tokenNonceLen+tokenPlainMax+s.aead.Overhead() {
		return t, errBadToken
	}
	t.kind = tok[0]
	if t.kind != tokenKindRetry && t.kind != tokenKindNewToken {
		return t, errBadToken
	}
	var ad [1 + 16 + 2]byte
	var buf [tokenPlainMax]byte
	p, err := s.aead.Open(buf[:0], tok[1:1+tokenNonceLen], tok[1+tokenNonceLen:], addrAD(ad[:0], t.kind, addr))
	if err != nil || len(p) < 10 {
		return t, errBadToken
	}
	t.issued = int64(binary.BigEndian.Uint64(p))
	p = p[8:]
	n := int(p[0])
	if n > MaxConnIDLen || len(p) < 2+n {
		return t, errBadToken
	}
	t.odcid = MakeConnID(p[1 : 1+n])
	p = p[1+n:]
	m := int(p[0])
	if m > MaxConnIDLen || len(p) != 1+m {
		return t, errBadToken
	}
	t.rscid = MakeConnID(p[1:])
	return t, nil
}
