package protect

import (
	"crypto/cipher"
	"crypto/subtle"
	"sync"
)

// Fixed Retry integrity keys and nonces (RFC 9001 section 5.8, RFC 9369
// section 3.3.3).
var (
	retryKeyV1   = []byte{0xbe, 0x0c, 0x69, 0x0b, 0x9f, 0x66, 0x57, 0x5a, 0x1d, 0x76, 0x6b, 0x54, 0xe3, 0x68, 0xc8, 0x4e}
	retryNonceV1 = []byte{0x46, 0x15, 0x99, 0xd3, 0x5d, 0x63, 0x2b, 0xf2, 0x23, 0x98, 0x25, 0xbb}
	retryKeyV2   = []byte{0x8f, 0xb4, 0xb0, 0x1b, 0x56, 0xac, 0x48, 0xe2, 0x60, 0xfb, 0xcb, 0xce, 0xad, 0x7c, 0xcc, 0x92}
	retryNonceV2 = []byte{0xd8, 0x69, 0x69, 0xbc, 0x2d, 0x7c, 0x6d, 0x99, 0x90, 0xef, 0xb0, 0x4a}

	// The AEADs are built on first use, not at init, so that programs
	// that never see a Retry pay nothing.
	retryAEADV1 = sync.OnceValue(func() cipher.AEAD { return newGCM(retryKeyV1) })
	retryAEADV2 = sync.OnceValue(func() cipher.AEAD { return newGCM(retryKeyV2) })
)

func retryAEAD(version uint32) (cipher.AEAD, []byte, error) {
	switch version {
	case Version1:
		return retryAEADV1(), retryNonceV1, nil
	case Version2:
		return retryAEADV2(), retryNonceV2, nil
	}
	return nil, nil, ErrUnsupportedVersion
}

// AppendRetryIntegrityTag computes the Retry Integrity Tag of a Retry packet
// (retry holds the packet without its tag) sent in response to a packet whose
// Destination Connection ID was origDCID, and appends it to retry.
func AppendRetryIntegrityTag(version uint32, origDCID, retry []byte) ([]byte, error) {
	aead, nonce, err := retryAEAD(version)
	if err != nil {
		return retry, err
	}
	pseudo := retryPseudoPacket(origDCID, retry)
	return aead.Seal(retry, nonce, nil, pseudo), nil
}

// VerifyRetryIntegrity reports whether a received Retry packet (including
// its 16-byte tag) carries a valid integrity tag for origDCID, the
// Destination Connection ID the client used in its first Initial packet.
func VerifyRetryIntegrity(version uint32, origDCID, retry []byte) bool {
	aead, nonce, err := retryAEAD(version)
	if err != nil || len(retry) < TagLen || len(origDCID) > 255 {
		return false
	}
	body := retry[:len(retry)-TagLen]
	pseudo := retryPseudoPacket(origDCID, body)
	want := aead.Seal(nil, nonce, nil, pseudo)
	return subtle.ConstantTimeCompare(want, retry[len(body):]) == 1
}

// retryPseudoPacket builds the Retry Pseudo-Packet of RFC 9001 figure 8.
func retryPseudoPacket(origDCID, retry []byte) []byte {
	p := make([]byte, 0, 1+len(origDCID)+len(retry))
	p = append(p, byte(len(origDCID)))
	p = append(p, origDCID...)
	return append(p, retry...)
}
