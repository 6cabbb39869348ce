package quicproto

import "github.com/h3wasi/h3wasi/internal/quicwire"

// Frame returns the STREAM frame carrying c (with a Length field; the conn
// may set OmitLength for the last frame of a packet).
func (c StreamChunk) Frame() quicwire.StreamFrame {
	return quicwire.StreamFrame{StreamID: uint64(c.ID), Offset: c.Offset, Data: c.Data, Fin: c.Fin}
}

// perStream reports whether the frame names a stream.
func (c StreamControl) perStream() bool {
	switch c.FrameType {
	case quicwire.FrameTypeResetStream, quicwire.FrameTypeStopSending,
		quicwire.FrameTypeMaxStreamData, quicwire.FrameTypeStreamDataBlocked:
		return true
	}
	return false
}

// Len returns the encoded size of the frame.
func (c StreamControl) Len() int {
	n := quicwire.VarintLen(uint64(c.FrameType))
	if c.perStream() {
		n += quicwire.VarintLen(uint64(c.ID))
	}
	switch c.FrameType {
	case quicwire.FrameTypeResetStream:
		return n + quicwire.VarintLen(c.Code) + quicwire.VarintLen(c.Value)
	case quicwire.FrameTypeStopSending:
		return n + quicwire.VarintLen(c.Code)
	}
	return n + quicwire.VarintLen(c.Value)
}

// Append appends the encoded frame (RFC 9000 sections 19.4-19.14).
func (c StreamControl) Append(b []byte) []byte {
	b = quicwire.AppendVarint(b, uint64(c.FrameType))
	if c.perStream() {
		b = quicwire.AppendVarint(b, uint64(c.ID))
	}
	switch c.FrameType {
	case quicwire.FrameTypeResetStream:
		return quicwire.AppendVarint(quicwire.AppendVarint(b, c.Code), c.Value)
	case quicwire.FrameTypeStopSending:
		return quicwire.AppendVarint(b, c.Code)
	}
	return quicwire.AppendVarint(b, c.Value)
}
