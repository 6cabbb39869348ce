package protect

import (
	"errors"
	"strconv"
)

// Transport error codes (RFC 9000 section 20.1, RFC 9001 sections 4.8 and 6)
// that this package reports. They are defined here rather than imported so
// that the package stays a leaf with no dependency on the wire codecs.
const (
	// CodeProtocolViolation is PROTOCOL_VIOLATION.
	CodeProtocolViolation uint64 = 0x0a
	// CodeKeyUpdateError is KEY_UPDATE_ERROR (RFC 9001 section 6.7).
	CodeKeyUpdateError uint64 = 0x0e
	// CodeAEADLimitReached is AEAD_LIMIT_REACHED (RFC 9001 section 6.6).
	CodeAEADLimitReached uint64 = 0x0f
	// CodeCryptoErrorBase is the first CRYPTO_ERROR code; a TLS alert A
	// maps to CodeCryptoErrorBase + A (RFC 9001 section 4.8).
	CodeCryptoErrorBase uint64 = 0x100
)

// Error is a connection error raised by packet protection. The connection
// closes with a CONNECTION_CLOSE frame carrying Code.
type Error struct {
	Code   uint64 // transport error code, e.g. CodeKeyUpdateError
	Reason string // human-readable reason, for the CONNECTION_CLOSE frame
}

// Error implements the error interface.
func (e *Error) Error() string {
	return "quic protect: error 0x" + strconv.FormatUint(e.Code, 16) + ": " + e.Reason
}

// ErrorCode returns the transport error code, so that callers can convert the
// error into their own transport error type without importing this package.
func (e *Error) ErrorCode() uint64 { return e.Code }

// Errors for packets that must be dropped silently (RFC 9001 sections 5.4.2
// and 5.5): they are not connection errors, the caller discards the packet.
var (
	// ErrDecryptionFailed reports a packet whose AEAD tag did not verify.
	ErrDecryptionFailed = errors.New("quic protect: packet decryption failed")
	// ErrPacketTooShort reports a packet too short to contain a complete
	// header protection sample and authentication tag.
	ErrPacketTooShort = errors.New("quic protect: packet too short for header protection sample")
	// ErrKeysUnavailable reports a packet whose keys were already discarded
	// or are not available yet.
	ErrKeysUnavailable = errors.New("quic protect: keys unavailable for packet")
)

// Errors for caller mistakes when configuring keys or sealing a packet.
var (
	// ErrUnsupportedSuite reports a TLS cipher suite without QUIC support.
	ErrUnsupportedSuite = errors.New("quic protect: unsupported cipher suite")
	// ErrUnsupportedVersion reports a QUIC version other than 1 and 2.
	ErrUnsupportedVersion = errors.New("quic protect: unsupported QUIC version")
	// ErrBadSecret reports a secret whose length does not match the suite hash.
	ErrBadSecret = errors.New("quic protect: secret length does not match cipher suite hash")
	// ErrBadPacketLayout reports an impossible packet number offset or length
	// passed to Seal, or a packet that Seal cannot sample (needs padding).
	ErrBadPacketLayout = errors.New("quic protect: packet layout invalid for sealing")
)
