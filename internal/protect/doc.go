// Package protect implements QUIC packet protection (RFC 9001 section 5,
// RFC 9369 section 3.3 for QUIC version 2): initial secret derivation,
// AEAD payload protection, header protection, packet number encoding and
// recovery, the Retry integrity tag, and the 1-RTT key update state machine
// (RFC 9001 section 6) with the AEAD usage limits of section 6.6.
//
// Everything works in place on a caller-owned buffer so that a connection can
// build a packet (header, truncated packet number, plaintext frames) and then
// protect it without copying or allocating: the AEAD and header-protection
// cipher objects are created once per key, and nonces are computed in fixed
// arrays. The types are not safe for concurrent use; a connection owns its
// keys and drives them from one goroutine.
//
// The package is sans-IO: it never reads the clock or a random source. Time
// (an int64 count of nanoseconds of a monotonic clock) is passed in by the
// caller where the key update rules need it.
package protect
