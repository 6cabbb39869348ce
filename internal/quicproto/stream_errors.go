package quicproto

import "github.com/h3wasi/h3wasi/internal/quicwire"

// Frame types the stream layer names in the errors it reports; the conn
// encodes and decodes the frames themselves.
const (
	streamFrameResetStream        = uint64(quicwire.FrameTypeResetStream)
	streamFrameStopSending        = uint64(quicwire.FrameTypeStopSending)
	streamFrameStream             = uint64(quicwire.FrameTypeStream)
	streamFrameMaxData            = uint64(quicwire.FrameTypeMaxData)
	streamFrameMaxStreamData      = uint64(quicwire.FrameTypeMaxStreamData)
	streamFrameMaxStreamsBidi     = uint64(quicwire.FrameTypeMaxStreamsBidi)
	streamFrameMaxStreamsUni      = uint64(quicwire.FrameTypeMaxStreamsUni)
	streamFrameDataBlocked        = uint64(quicwire.FrameTypeDataBlocked)
	streamFrameStreamDataBlocked  = uint64(quicwire.FrameTypeStreamDataBlocked)
	streamFrameStreamsBlockedBidi = uint64(quicwire.FrameTypeStreamsBlockedBidi)
	streamFrameStreamsBlockedUni  = uint64(quicwire.FrameTypeStreamsBlockedUni)
)

// streamErr builds a connection error raised by the stream layer, so the
// error type the package uses is chosen in one place.
func streamErr(code ErrorCode, frameType uint64, reason string) error {
	return &TransportError{Code: code, FrameType: frameType, Reason: reason}
}
