// Package quicwire implements the QUIC wire codecs: variable-length integers
// (RFC 9000 section 16), packet headers (RFC 8999, RFC 9000 section 17, RFC 9369
// for QUIC version 2), every frame of RFC 9000 section 19 plus DATAGRAM (RFC 9221),
// transport parameters (RFC 9000 section 18, RFC 9221, RFC 9368) and the transport
// error codes of RFC 9000 section 20.
//
// The codecs are append-style and zero-copy: encoders append to a caller's
// buffer, parsers return sub-slices of their input and the number of bytes they
// consumed. Frames are plain value structs with concrete parse functions rather
// than an interface, so that steady-state sending and receiving allocate nothing.
//
// Frame parsers take b starting at the frame's type and return the number of
// bytes consumed, type included. A receive loop reads the type with
// ParseFrameType, dispatches on it, calls the matching ParseXxxFrame on the same
// slice and advances by the returned count. Frames without a Length field
// (STREAM without LEN, DATAGRAM 0x30) extend to the end of b, so b must end
// where the packet payload ends. FrameType.AllowedIn and IsAckEliciting encode
// RFC 9000 Table 3.
//
// Header parsers stop at the still-protected packet number: Header.PNOffset is
// where header protection sampling starts, and Header.End is where a coalesced
// packet that follows begins. They do not check the fixed bit (RFC 9287 allows
// greasing it) or the reserved bits (protected); the caller does.
//
// Parsers never panic on malformed input. They return a *TransportError that
// carries the RFC error code (and, for frames, the frame type) with which the
// connection must be closed. Encoders trust their input: passing a value that
// cannot be encoded (for example a varint above MaxVarint) is a programming error
// and panics.
package quicwire
