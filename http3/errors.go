package http3

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/h3wasi/h3wasi/qpack"
	"github.com/h3wasi/h3wasi/quic"
)

// ErrCode is an HTTP/3 error code (RFC 9114 section 8.1), carried by CONNECTION_CLOSE,
// RESET_STREAM and STOP_SENDING. The QPACK codes of RFC 9204 section 6 share the space.
// An ErrCode is also an error, so that errors.Is(err, http3.ErrCodeRequestRejected)
// matches an *Error with that code.
type ErrCode uint64

// The HTTP/3 error codes (RFC 9114 section 8.1, RFC 9204 section 6, RFC 9297 section 5.2).
const (
	ErrCodeNoError              ErrCode = 0x100
	ErrCodeGeneralProtocolError ErrCode = 0x101
	ErrCodeInternalError        ErrCode = 0x102
	ErrCodeStreamCreationError  ErrCode = 0x103
	ErrCodeClosedCriticalStream ErrCode = 0x104
	ErrCodeFrameUnexpected      ErrCode = 0x105
	ErrCodeFrameError           ErrCode = 0x106
	ErrCodeExcessiveLoad        ErrCode = 0x107
	ErrCodeIDError              ErrCode = 0x108
	ErrCodeSettingsError        ErrCode = 0x109
	ErrCodeMissingSettings      ErrCode = 0x10a
	ErrCodeRequestRejected      ErrCode = 0x10b
	ErrCodeRequestCancelled     ErrCode = 0x10c
	ErrCodeRequestIncomplete    ErrCode = 0x10d
	ErrCodeMessageError         ErrCode = 0x10e
	ErrCodeConnectError         ErrCode = 0x10f
	ErrCodeVersionFallback      ErrCode = 0x110

	ErrCodeQPACKDecompressionFailed ErrCode = ErrCode(qpack.CodeDecompressionFailed)
	ErrCodeQPACKEncoderStreamError  ErrCode = ErrCode(qpack.CodeEncoderStreamError)
	ErrCodeQPACKDecoderStreamError  ErrCode = ErrCode(qpack.CodeDecoderStreamError)

	ErrCodeDatagramError ErrCode = 0x33
)

var errCodeNames = map[ErrCode]string{
	ErrCodeNoError:                  "H3_NO_ERROR",
	ErrCodeGeneralProtocolError:     "H3_GENERAL_PROTOCOL_ERROR",
	ErrCodeInternalError:            "H3_INTERNAL_ERROR",
	ErrCodeStreamCreationError:      "H3_STREAM_CREATION_ERROR",
	ErrCodeClosedCriticalStream:     "H3_CLOSED_CRITICAL_STREAM",
	ErrCodeFrameUnexpected:          "H3_FRAME_UNEXPECTED",
	ErrCodeFrameError:               "H3_FRAME_ERROR",
	ErrCodeExcessiveLoad:            "H3_EXCESSIVE_LOAD",
	ErrCodeIDError:                  "H3_ID_ERROR",
	ErrCodeSettingsError:            "H3_SETTINGS_ERROR",
	ErrCodeMissingSettings:          "H3_MISSING_SETTINGS",
	ErrCodeRequestRejected:          "H3_REQUEST_REJECTED",
	ErrCodeRequestCancelled:         "H3_REQUEST_CANCELLED",
	ErrCodeRequestIncomplete:        "H3_REQUEST_INCOMPLETE",
	ErrCodeMessageError:             "H3_MESSAGE_ERROR",
	ErrCodeConnectError:             "H3_CONNECT_ERROR",
	ErrCodeVersionFallback:          "H3_VERSION_FALLBACK",
	ErrCodeQPACKDecompressionFailed: "QPACK_DECOMPRESSION_FAILED",
	ErrCodeQPACKEncoderStreamError:  "QPACK_ENCODER_STREAM_ERROR",
	ErrCodeQPACKDecoderStreamError:  "QPACK_DECODER_STREAM_ERROR",
	ErrCodeDatagramError:            "H3_DATAGRAM_ERROR",
}

// String returns the RFC name of the code, or its hexadecimal value.
func (c ErrCode) String() string {
	if s, ok := errCodeNames[c]; ok {
		return s
	}
	if isReserved(uint64(c)) {
		return "H3_RESERVED(0x" + strconv.FormatUint(uint64(c), 16) + ")"
	}
	return "0x" + strconv.FormatUint(uint64(c), 16)
}

// Error makes an ErrCode usable as an errors.Is target.
func (c ErrCode) Error() string { return "http3: " + c.String() }

// Error is an HTTP/3 error: a connection closed or a stream reset with an HTTP/3 or
// QPACK code, by the peer (Remote) or by us because the peer broke a rule.
// errors.Is(err, code) and errors.Is(err, &Error{Code: code}) match any *Error with
// that code; errors.As gives the *Error.
type Error struct {
	Code ErrCode
	// Remote is true when the peer sent the code, false when we did.
	Remote bool
	// Reason says what went wrong, when known.
	Reason string

	conn bool // a connection error (close the connection), not a stream error
}

// Error implements error.
func (e *Error) Error() string {
	who := "local"
	if e.Remote {
		who = "remote"
	}
	scope := "stream"
	if e.conn {
		scope = "connection"
	}
	s := "http3: " + who + " " + scope + " error " + e.Code.String()
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Is matches an ErrCode or an *Error with the same code.
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case ErrCode:
		return t == e.Code
	case *Error:
		return t.Code == e.Code
	}
	return false
}

// IsConnectionError reports whether the error ended the whole connection rather than
// one stream.
func (e *Error) IsConnectionError() bool { return e.conn }

// connErrorf is a connection error of ours: the connection closes with code.
func connErrorf(code ErrCode, format string, args ...any) *Error {
	return &Error{Code: code, Reason: sprintf(format, args...), conn: true}
}

// streamErrorf is a stream error of ours: the stream is reset with code.
func streamErrorf(code ErrCode, format string, args ...any) *Error {
	return &Error{Code: code, Reason: sprintf(format, args...)}
}

func sprintf(format string, args ...any) string {
	if len(args) == 0 {
		return format
	}
	return fmt.Sprintf(format, args...)
}

// fromQPACK turns a QPACK error into the connection error it calls for
// (RFC 9204 section 2.2.3: every QPACK error is a connection error).
func fromQPACK(err error) *Error {
	var qe *qpack.Error
	if errors.As(err, &qe) {
		return connErrorf(ErrCode(qe.Code), "%s", qe.Reason)
	}
	return connErrorf(ErrCodeQPACKDecompressionFailed, "%v", err)
}

// fromQUIC translates a QUIC error into an *Error when it carries an HTTP/3 code:
// a stream reset or stop, or a connection closed by the application. Other errors
// (timeouts, transport errors) are returned as they are.
func fromQUIC(err error) error {
	var se *quic.StreamError
	if errors.As(err, &se) {
		return &Error{Code: ErrCode(se.ErrorCode), Remote: se.Remote}
	}
	var ae *quic.ApplicationError
	if errors.As(err, &ae) {
		return &Error{Code: ErrCode(ae.Code), Remote: ae.Remote, Reason: ae.Reason, conn: true}
	}
	return err
}
