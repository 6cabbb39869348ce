package quicwire

import (
	"strconv"
)

// ErrorCode is a QUIC transport error code (RFC 9000 section 20.1), carried in
// CONNECTION_CLOSE frames of type 0x1c.
type ErrorCode uint64

// Transport error codes of RFC 9000 section 20.1 and RFC 9368.
const (
	NoError                 ErrorCode = 0x00
	InternalError           ErrorCode = 0x01
	ConnectionRefused       ErrorCode = 0x02
	FlowControlError        ErrorCode = 0x03
	StreamLimitError        ErrorCode = 0x04
	StreamStateError        ErrorCode = 0x05
	FinalSizeError          ErrorCode = 0x06
	FrameEncodingError      ErrorCode = 0x07
	TransportParameterError ErrorCode = 0x08
	ConnectionIDLimitError  ErrorCode = 0x09
	ProtocolViolation       ErrorCode = 0x0a
	InvalidToken            ErrorCode = 0x0b
	ApplicationError        ErrorCode = 0x0c
	CryptoBufferExceeded    ErrorCode = 0x0d
	KeyUpdateError          ErrorCode = 0x0e
	AEADLimitReached        ErrorCode = 0x0f
	NoViablePath            ErrorCode = 0x10
	// VersionNegotiationError is defined by RFC 9368 (compatible version
	// negotiation) section 10.2.
	VersionNegotiationError ErrorCode = 0x11

	// CryptoErrorBase is the first code of the CRYPTO_ERROR range
	// (0x0100-0x01ff); the low byte is a TLS alert (RFC 9001 section 4.8).
	CryptoErrorBase ErrorCode = 0x100
	// CryptoErrorMax is the last code of the CRYPTO_ERROR range.
	CryptoErrorMax ErrorCode = 0x1ff
)

var errorCodeNames = [...]string{
	NoError:                 "NO_ERROR",
	InternalError:           "INTERNAL_ERROR",
	ConnectionRefused:       "CONNECTION_REFUSED",
	FlowControlError:        "FLOW_CONTROL_ERROR",
	StreamLimitError:        "STREAM_LIMIT_ERROR",
	StreamStateError:        "STREAM_STATE_ERROR",
	FinalSizeError:          "FINAL_SIZE_ERROR",
	FrameEncodingError:      "FRAME_ENCODING_ERROR",
	TransportParameterError: "TRANSPORT_PARAMETER_ERROR",
	ConnectionIDLimitError:  "CONNECTION_ID_LIMIT_ERROR",
	ProtocolViolation:       "PROTOCOL_VIOLATION",
	InvalidToken:            "INVALID_TOKEN",
	ApplicationError:        "APPLICATION_ERROR",
	CryptoBufferExceeded:    "CRYPTO_BUFFER_EXCEEDED",
	KeyUpdateError:          "KEY_UPDATE_ERROR",
	AEADLimitReached:        "AEAD_LIMIT_REACHED",
	NoViablePath:            "NO_VIABLE_PATH",
	VersionNegotiationError: "VERSION_NEGOTIATION_ERROR",
}

// CryptoError returns the CRYPTO_ERROR code that carries the given TLS alert
// (RFC 9001 section 4.8: 0x0100 + alert).
func CryptoError(alert uint8) ErrorCode {
	return CryptoErrorBase + ErrorCode(alert)
}

// TLSAlert reports the TLS alert carried by a CRYPTO_ERROR code, and whether c is
// in the CRYPTO_ERROR range at all.
func (c ErrorCode) TLSAlert() (alert uint8, ok bool) {
	if c < CryptoErrorBase || c > CryptoErrorMax {
		return 0, false
	}
	return uint8(c - CryptoErrorBase), true
}

// String returns the RFC name of the code, "CRYPTO_ERROR(0x1nn)" for the
// CRYPTO_ERROR range, and the hexadecimal value for unknown codes.
func (c ErrorCode) String() string {
	if c < ErrorCode(len(errorCodeNames)) {
		return errorCodeNames[c]
	}
	if _, ok := c.TLSAlert(); ok {
		return "CRYPTO_ERROR(0x" + strconv.FormatUint(uint64(c), 16) + ")"
	}
	return "0x" + strconv.FormatUint(uint64(c), 16)
}

// TransportError is a QUIC connection error: the code and frame type to send in
// a CONNECTION_CLOSE frame of type 0x1c, with a reason for humans. Every parser
// of this package reports malformed input as a *TransportError.
type TransportError struct {
	// Code is the transport error code.
	Code ErrorCode
	// FrameType is the type of the frame that triggered the error, 0 when the
	// error was not caused by a frame (RFC 9000 section 19.19).
	FrameType uint64
	// Reason is a human-readable explanation; it may be sent to the peer.
	Reason string
}

// Error implements error.
func (e *TransportError) Error() string {
	s := "quic: " + e.Code.String()
	if e.FrameType != 0 {
		s += " in frame " + FrameType(e.FrameType).String()
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Is reports whether target is a *TransportError with the same code, so that
// errors.Is(err, &TransportError{Code: FrameEncodingError}) works.
func (e *TransportError) Is(target error) bool {
	t, ok := target.(*TransportError)
	return ok && t.Code == e.Code
}

// frameError builds the error for a malformed frame of type ft.
func frameError(code ErrorCode, ft FrameType, reason string) *TransportError {
	return &TransportError{Code: code, FrameType: uint64(ft), Reason: reason}
}
