package qpack

import "fmt"

// ErrorCode is an HTTP/3 error code used by QPACK (RFC 9204 Section 6).
type ErrorCode uint64

// The QPACK error codes (RFC 9204 Section 6).
const (
	// CodeDecompressionFailed: the decoder failed to interpret an encoded field
	// section and is not able to continue decoding that field section.
	CodeDecompressionFailed ErrorCode = 0x200
	// CodeEncoderStreamError: the decoder failed to interpret an encoder
	// instruction received on the encoder stream.
	CodeEncoderStreamError ErrorCode = 0x201
	// CodeDecoderStreamError: the encoder failed to interpret a decoder
	// instruction received on the decoder stream.
	CodeDecoderStreamError ErrorCode = 0x202
)

// String returns the RFC name of the code.
func (c ErrorCode) String() string {
	switch c {
	case CodeDecompressionFailed:
		return "QPACK_DECOMPRESSION_FAILED"
	case CodeEncoderStreamError:
		return "QPACK_ENCODER_STREAM_ERROR"
	case CodeDecoderStreamError:
		return "QPACK_DECODER_STREAM_ERROR"
	}
	return fmt.Sprintf("H3_ERROR(0x%x)", uint64(c))
}

// Error is a QPACK connection error. Every QPACK error is a connection error
// of type Code (RFC 9204 Section 2.2.3); the HTTP/3 layer closes the
// connection with that code.
type Error struct {
	Code   ErrorCode
	Reason string
}

// Error implements error.
func (e *Error) Error() string {
	return "qpack: " + e.Code.String() + ": " + e.Reason
}

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, ErrDecompressionFailed) matches any decompression failure.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Sentinel errors for errors.Is; they match any *Error with the same code.
var (
	ErrDecompressionFailed = &Error{Code: CodeDecompressionFailed, Reason: "decompression failed"}
	ErrEncoderStream       = &Error{Code: CodeEncoderStreamError, Reason: "encoder stream error"}
	ErrDecoderStream       = &Error{Code: CodeDecoderStreamError, Reason: "decoder stream error"}
)

func decompressionError(reason string) *Error {
	return &Error{Code: CodeDecompressionFailed, Reason: reason}
}

func encoderStreamError(reason string) *Error {
	return &Error{Code: CodeEncoderStreamError, Reason: reason}
}

func decoderStreamError(reason string) *Error {
	return &Error{Code: CodeDecoderStreamError, Reason: reason}
}
