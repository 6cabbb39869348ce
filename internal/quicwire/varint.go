package quicwire

import "encoding/binary"

// MaxVarint is the largest value a QUIC variable-length integer can carry
// (2^62-1, RFC 9000 section 16).
const MaxVarint = 1<<62 - 1

// VarintLen returns the number of bytes of the minimal encoding of v: 1, 2, 4
// or 8. Values above MaxVarint cannot be encoded; VarintLen returns 8 for them
// and AppendVarint panics.
func VarintLen(v uint64) int {
	switch {
	case v <= 63:
		return 1
	case v <= 16383:
		return 2
	case v <= 1073741823:
		return 4
	default:
		return 8
	}
}

// AppendVarint appends the minimal encoding of v. It panics if v > MaxVarint.
func AppendVarint(b []byte, v uint64) []byte {
	switch {
	case v <= 63:
		return append(b, byte(v))
	case v <= 16383:
		return append(b, byte(v>>8)|0x40, byte(v))
	case v <= 1073741823:
		return append(b, byte(v>>24)|0x80, byte(v>>16), byte(v>>8), byte(v))
	case v <= MaxVarint:
		return append(b, byte(v>>56)|0xc0, byte(v>>48), byte(v>>40), byte(v>>32),
			byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	panic("quicwire: varint value out of range")
}

// AppendVarintLen appends v encoded in exactly n bytes (1, 2, 4 or 8), even if
// a shorter encoding exists. Packet builders use it to reserve a Length field
// of fixed size and patch it with PutVarintLen once the payload is known.
// It panics if n is not a valid length or v does not fit in n bytes.
func AppendVarintLen(b []byte, v uint64, n int) []byte {
	switch n {
	case 1, 2, 4, 8:
	default:
		panic("quicwire: invalid varint length")
	}
	b = append(b, make([]byte, n)...)
	PutVarintLen(b[len(b)-n:], v, n)
	return b
}

// PutVarintLen writes v encoded in exactly n bytes (1, 2, 4 or 8) at the start
// of b, for patching a field reserved with AppendVarintLen. It panics if b is
// too short, n is not a valid length or v does not fit in n bytes.
func PutVarintLen(b []byte, v uint64, n int) {
	switch n {
	case 1:
		if v > 63 {
			break
		}
		b[0] = byte(v)
		return
	case 2:
		if v > 16383 {
			break
		}
		binary.BigEndian.PutUint16(b, uint16(v)|0x4000)
		return
	case 4:
		if v > 1073741823 {
			break
		}
		binary.BigEndian.PutUint32(b, uint32(v)|0x80000000)
		return
	case 8:
		if v > MaxVarint {
			break
		}
		binary.BigEndian.PutUint64(b, v|0xc000000000000000)
		return
	}
	panic("quicwire: varint does not fit the requested length")
}

// ParseVarint decodes the variable-length integer at the start of b and returns
// its value and encoded length. Non-minimal encodings are accepted, as RFC 9000
// section 16 requires. A truncated integer is a FRAME_ENCODING_ERROR.
func ParseVarint(b []byte) (v uint64, n int, err error) {
	v, n = readVarint(b)
	if n == 0 {
		// A fresh value, so a caller may fill in FrameType.
		return 0, 0, &TransportError{Code: FrameEncodingError, Reason: "truncated variable-length integer"}
	}
	return v, n, nil
}

// readVarint is the allocation-free core of ParseVarint: n == 0 means that b
// is too short.
func readVarint(b []byte) (v uint64, n int) {
	if len(b) == 0 {
		return 0, 0
	}
	switch b[0] >> 6 {
	case 0:
		return uint64(b[0]), 1
	case 1:
		if len(b) < 2 {
			return 0, 0
		}
		return uint64(binary.BigEndian.Uint16(b) & 0x3fff), 2
	case 2:
		if len(b) < 4 {
			return 0, 0
		}
		return uint64(binary.BigEndian.Uint32(b) & 0x3fffffff), 4
	default:
		if len(b) < 8 {
			return 0, 0
		}
		return binary.BigEndian.Uint64(b) & MaxVarint, 8
	}
}

// cursor walks a frame or parameter body. After the first failure it
// returns zero values and remembers that the input was truncated, so a parser
// checks once at the end instead of after every field.
type cursor struct {
	b   []byte
	n   int
	bad bool
}

// varint reads one variable-length integer.
func (c *cursor) varint() uint64 {
	if c.bad {
		return 0
	}
	v, m := readVarint(c.b[c.n:])
	if m == 0 {
		c.bad = true
		return 0
	}
	c.n += m
	return v
}

// bytes reads l bytes as a sub-slice of the input.
func (c *cursor) bytes(l uint64) []byte {
	if c.bad || l > uint64(len(c.b)-c.n) {
		c.bad = true
		return nil
	}
	s := c.b[c.n : c.n+int(l) : c.n+int(l)]
	c.n += int(l)
	return s
}

// byte1 reads one byte.
func (c *cursor) byte1() byte {
	if c.bad || c.n >= len(c.b) {
		c.bad = true
		return 0
	}
	c.n++
	return c.b[c.n-1]
}
