package quicproto

import (
	"errors"
	"fmt"
	"github.com/h3wasi/h3wasi/internal/quicwire"
)

// ErrorCode is a QUIC transport error code (RFC 9000 section 20.1).
type ErrorCode = quicwire.ErrorCode

// TransportError is a connection error with a transport error code; the peer's
// CONNECTION_CLOSE of type 0x1c arrives as one too.
type TransportError = quicwire.TransportError

// Transport error codes the core raises, re-exported for brevity.
const (
	NoError                 = quicwire.NoError
	InternalError           = quicwire.InternalError
	ConnectionRefused       = quicwire.ConnectionRefused
	FlowControlError        = quicwire.FlowControlError
	StreamLimitError        = quicwire.StreamLimitError
	StreamStateError        = quicwire.StreamStateError
	FinalSizeError          = quicwire.FinalSizeError
	FrameEncodingError      = quicwire.FrameEncodingError
	TransportParameterError = quicwire.TransportParameterError
	ConnectionIDLimitError  = quicwire.ConnectionIDLimitError
	ProtocolViolation       = quicwire.ProtocolViolation
	InvalidToken            = quicwire.InvalidToken
	CryptoBufferExceeded    = quicwire.CryptoBufferExceeded
	KeyUpdateError          = quicwire.KeyUpdateError
	AEADLimitReached        = quicwire.AEADLimitReached
)

const (
	frameNewConnectionID    = uint64(quicwire.FrameTypeNewConnectionID)
	frameRetireConnectionID = uint64(quicwire.FrameTypeRetireConnectionID)
	frameCrypto             = uint64(quicwire.FrameTypeCrypto)
)

// ApplicationError is a connection closed by an application with CONNECTION_CLOSE of type
// 0x1d, or a stream reset or stopped with an application error code.
type ApplicationError struct {
	Code   uint64
	Reason string
	// Remote is true when the peer closed the connection, false when we did.
	Remote bool
}

// Error describes the application error and which side closed.
func (e *ApplicationError) Error() string {
	who := "local"
	if e.Remote {
		who = "remote"
	}
	if e.Reason == "" {
		return fmt.Sprintf("quic: application error 0x%x (%s)", e.Code, who)
	}
	return fmt.Sprintf("quic: application error 0x%x (%s): %s", e.Code, who, e.Reason)
}

// Errors that close a connection without a CONNECTION_CLOSE from the peer.
var (
	// ErrIdleTimeout: no packet arrived within the idle timeout (RFC 9000 section 10.1).
	ErrIdleTimeout = errors.New("quic: idle timeout")
	// ErrHandshakeTimeout: the handshake did not complete within the configured time.
	ErrHandshakeTimeout = errors.New("quic: handshake timeout")
	// ErrStatelessReset: the peer sent a stateless reset (RFC 9000 section 10.3).
	ErrStatelessReset = errors.New("quic: stateless reset")
	// ErrVersionNegotiation: the server supports none of our versions.
	ErrVersionNegotiation = errors.New("quic: no compatible version")
	// ErrConnClosed is returned by calls on a connection closed locally.
	ErrConnClosed = errors.New("quic: connection closed")
)

// protoErr is a PROTOCOL_VIOLATION raised by frame type ft.
func protoErr(ft uint64, reason string) error {
	return &TransportError{Code: ProtocolViolation, FrameType: ft, Reason: reason}
}
