package protect

import (
	"crypto/hkdf"
	"crypto/sha256"
)

// Initial salts (RFC 9001 section 5.2, RFC 9369 section 3.3.1).
var (
	saltV1 = []byte{0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
		0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a}
	saltV2 = []byte{0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
		0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9}
)

// InitialSecrets returns the client and server Initial secrets derived from
// the Destination Connection ID of the client's first Initial packet.
func InitialSecrets(version uint32, dcid []byte) (client, server []byte, err error) {
	var salt []byte
	switch version {
	case Version1:
		salt = saltV1
	case Version2:
		salt = saltV2
	default:
		return nil, nil, ErrUnsupportedVersion
	}
	initial, err := hkdf.Extract(sha256.New, dcid, salt)
	if err != nil {
		return nil, nil, err
	}
	s := &suites[0] // Initial packets always use AEAD_AES_128_GCM with SHA-256
	client = s.expandLabel(initial, "client in", 32)
	server = s.expandLabel(initial, "server in", 32)
	return client, server, nil
}

// NewInitialKeys returns the Initial keys of an endpoint: seal protects the
// packets it sends and open removes protection from those it receives.
// isClient selects the perspective.
func NewInitialKeys(version uint32, dcid []byte, isClient bool) (seal, open *Keys, err error) {
	client, server, err := InitialSecrets(version, dcid)
	if err != nil {
		return nil, nil, err
	}
	if !isClient {
		client, server = server, client
	}
	if seal, err = NewKeys(TLS_AES_128_GCM_SHA256, client, version); err != nil {
		return nil, nil, err
	}
	if open, err = NewKeys(TLS_AES_128_GCM_SHA256, server, version); err != nil {
		return nil, nil, err
	}
	return seal, open, nil
}
