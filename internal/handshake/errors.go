package handshake

import (
	"crypto/tls"
	"errors"
	"strconv"
)

// Transport error codes used by the adapter (RFC 9000 section 20.1).
const (
	// CodeInternalError is INTERNAL_ERROR.
	CodeInternalError uint64 = 0x01
	// CodeProtocolViolation is PROTOCOL_VIOLATION.
	CodeProtocolViolation uint64 = 0x0a
	// CodeCryptoErrorBase is the first CRYPTO_ERROR code: a TLS alert A is
	// reported as CodeCryptoErrorBase + A (RFC 9001 section 4.8).
	CodeCryptoErrorBase uint64 = 0x100
)

// TLS alerts the adapter raises itself (RFC 8446 section 6).
const (
	alertInternalError         = 80
	alertNoApplicationProtocol = 120
)

// Error is a handshake failure: the connection closes with Code, which is
// CRYPTO_ERROR (0x100 + TLS alert) for TLS failures.
type Error struct {
	Code   uint64 // transport error code
	Reason string // human-readable reason
	Err    error  // the underlying error, e.g. from crypto/tls; may be nil
}

// Error implements the error interface.
func (e *Error) Error() string {
	s := "quic handshake: error 0x" + strconv.FormatUint(e.Code, 16) + ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error, so that errors.As finds a
// tls.AlertError or a certificate verification error.
func (e *Error) Unwrap() error { return e.Err }

// ErrorCode returns the transport error code.
func (e *Error) ErrorCode() uint64 { return e.Code }

// Alert returns the TLS alert of a CRYPTO_ERROR, and false for other codes.
func (e *Error) Alert() (uint8, bool) {
	if e.Code >= CodeCryptoErrorBase && e.Code <= CodeCryptoErrorBase+0xff {
		return uint8(e.Code - CodeCryptoErrorBase), true
	}
	return 0, false
}

// cryptoError converts an error from crypto/tls into an *Error carrying the
// TLS alert as CRYPTO_ERROR; errors without an alert map to internal_error.
func cryptoError(err error) *Error {
	if e, ok := errors.AsType[*Error](err); ok {
		return e
	}
	alert := uint8(alertInternalError)
	if a, ok := errors.AsType[tls.AlertError](err); ok {
		alert = uint8(a)
	}
	return &Error{Code: CodeCryptoErrorBase + uint64(alert), Reason: "TLS handshake failed", Err: err}
}

// Errors for misuse of the adapter.
var (
	// ErrNoALPN reports a tls.Config without NextProtos: QUIC requires
	// ALPN (RFC 9001 section 8.1).
	ErrNoALPN = errors.New("quic handshake: tls.Config.NextProtos must list the application protocols")
	// ErrClosed reports a call on a failed or closed Conn.
	ErrClosed = errors.New("quic handshake: connection closed")
)
