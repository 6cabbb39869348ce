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
// Parsers never panic on malformed input. They return a *TransportError that
// carries the RFC error code (and, for frames, the frame type) with which the
// connection must be closed. Encoders trust their input: passing a value that
// cannot be encoded (for example a varint above MaxVarint) is a programming error
// and panics.
package quicwire
