package quicwire

import "encoding/hex"

// ConnID is a connection ID of up to MaxConnIDLen bytes held by value. It is
// comparable, so it can key a map for demultiplexing without the allocation a
// string key costs on insertion, and copying it never aliases a packet buffer.
type ConnID struct {
	n uint8
	b [MaxConnIDLen]byte
}

// MakeConnID copies b into a ConnID. It reports false if b is longer than
// MaxConnIDLen.
func MakeConnID(b []byte) (ConnID, bool) {
	var c ConnID
	if len(b) > MaxConnIDLen {
		return c, false
	}
	c.n = uint8(copy(c.b[:], b))
	return c, true
}

// Bytes returns the connection ID's bytes; the slice aliases c.
func (c *ConnID) Bytes() []byte { return c.b[:c.n] }

// Len returns the length of the connection ID.
func (c ConnID) Len() int { return int(c.n) }

// Equal reports whether c holds exactly the bytes b.
func (c *ConnID) Equal(b []byte) bool { return string(c.b[:c.n]) == string(b) }

// String returns the connection ID in hexadecimal.
func (c ConnID) String() string { return hex.EncodeToString(c.b[:c.n]) }
