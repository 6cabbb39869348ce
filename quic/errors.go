package quic

import (
	"errors"
	"fmt"

	"github.com/h3wasi/h3wasi/internal/quicproto"
	"github.com/h3wasi/h3wasi/internal/quicwire"
)

// TransportError is a connection closed with a transport error code (RFC 9000 section
// 20.1), by us or by the peer (then Reason starts with "peer closed"). errors.Is(err,
// &TransportError{Code: c}) matches any TransportError with code c.
type TransportError = quicwire.TransportError

// TransportErrorCode is a QUIC transport error code.
type TransportErrorCode = quicwire.ErrorCode

// ApplicationError is a connection closed by an application with CloseWithError, on
// either side (Remote says which).
type ApplicationError = quicproto.ApplicationError

// ApplicationErrorCode is an error code of the application protocol (RFC 9000 section
// 20.2), as Conn.CloseWithError sends it in CONNECTION_CLOSE and ApplicationError.Code
// reports it: for HTTP/3, the codes of RFC 9114 section 8.1 (H3_NO_ERROR is 0x100).
// It is an alias of uint64, so plain integers work wherever a code is expected.
type ApplicationErrorCode = uint64

// IdleTimeoutError: no packet arrived from the peer within the idle timeout.
type IdleTimeoutError struct{}

func (*IdleTimeoutError) Error() string { return "quic: timeout: no recent network activity" }

// Timeout reports true: the error is a net.Error timeout.
func (*IdleTimeoutError) Timeout() bool { return true }

// Temporary reports false (net.Error).
func (*IdleTimeoutError) Temporary() bool { return false }

// Unwrap gives the core's sentinel, so errors.Is(err, os.ErrDeadlineExceeded) is false
// but errors.Is(err, &IdleTimeoutError{}) is true.
func (*IdleTimeoutError) Unwrap() error { return quicproto.ErrIdleTimeout }

// Is matches any *IdleTimeoutError.
func (*IdleTimeoutError) Is(target error) bool { _, ok := target.(*IdleTimeoutError); return ok }

// HandshakeTimeoutError: the handshake did not complete within HandshakeIdleTimeout.
type HandshakeTimeoutError struct{}

func (*HandshakeTimeoutError) Error() string {
	return "quic: timeout: handshake did not complete in time"
}

// Timeout reports true: the error is a net.Error timeout.
func (*HandshakeTimeoutError) Timeout() bool { return true }

// Temporary reports false (net.Error).
func (*HandshakeTimeoutError) Temporary() bool { return false }

// Unwrap gives the core's sentinel.
func (*HandshakeTimeoutError) Unwrap() error { return quicproto.ErrHandshakeTimeout }

// Is matches any *HandshakeTimeoutError.
func (*HandshakeTimeoutError) Is(target error) bool {
	_, ok := target.(*HandshakeTimeoutError)
	return ok
}

// StreamErrorCode is an application error code carried by RESET_STREAM or STOP_SENDING
// (Stream.CancelWrite, Stream.CancelRead, StreamError.ErrorCode); the same type as
// ApplicationErrorCode.
type StreamErrorCode = ApplicationErrorCode

// StreamError is a stream reset (RESET_STREAM, seen by Read) or stopped (STOP_SENDING,
// seen by Write) by the peer (Remote true), or cancelled locally with CancelRead or
// CancelWrite (Remote false).
type StreamError struct {
	StreamID  StreamID
	ErrorCode StreamErrorCode
	Remote    bool
}

func (e *StreamError) Error() string {
	who := "local"
	if e.Remote {
		who = "remote"
	}
	return fmt.Sprintf("quic: stream %d canceled by %s with error code %d", e.StreamID, who, e.ErrorCode)
}

// Is matches a *StreamError with the same code and side, whatever its stream.
func (e *StreamError) Is(target error) bool {
	t, ok := target.(*StreamError)
	return ok && t.ErrorCode == e.ErrorCode && t.Remote == e.Remote
}

// Errors of the driver.
var (
	// ErrServerClosed is returned by Listener.Accept after Close.
	ErrServerClosed = errors.New("quic: server closed")
	// ErrTransportClosed ends the connections of a Transport that was closed or whose
	// socket failed.
	ErrTransportClosed = errors.New("quic: transport closed")
	// ErrStreamLimitReached: OpenStream found the peer's stream limit reached; use
	// OpenStreamSync to wait for the peer to raise it.
	ErrStreamLimitReached = errors.New("quic: too many open streams")
	// ErrStatelessReset: the peer answered with a stateless reset (RFC 9000 section 10.3).
	ErrStatelessReset = quicproto.ErrStatelessReset
	// ErrVersionNegotiation: the server supports none of our QUIC versions.
	ErrVersionNegotiation = quicproto.ErrVersionNegotiation
	// Err0RTTRejected fails the streams opened before the handshake of a DialEarly
	// connection when the server refused 0-RTT data; open new streams and write again.
	Err0RTTRejected = errors.New("quic: 0-RTT rejected")
	// errWriteClosed is returned by Write after Close.
	errWriteClosed = errors.New("quic: write on closed stream")
)

// publicErr maps the core's reasons for closing to the package's error types.
func publicErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, quicproto.ErrIdleTimeout):
		return &IdleTimeoutError{}
	case errors.Is(err, quicproto.ErrHandshakeTimeout):
		return &HandshakeTimeoutError{}
	}
	return err
}
