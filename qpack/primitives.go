package qpack

import "errors"

// Prefixed integers and string literals (RFC 9204 Section 4.1, RFC 7541
// Sections 5.1 and 5.2).

// errNeedMore is returned by the primitive readers when the input ends inside
// an integer or a string. Field sections treat it as an error (a section is
// always complete); the stream parsers wait for more bytes.
var errNeedMore = errors.New("qpack: truncated input")

// maxInt is the largest integer accepted in any QPACK field: 2^62-1, the
// largest QUIC variable-length integer (stream IDs, lengths and indexes all
// fit). Larger values are treated as overflow.
const maxInt = 1<<62 - 1

var errIntOverflow = errors.New("integer overflow")

// readInt reads an integer with an n-bit prefix (1 <= n <= 8) from the start
// of b. It returns the value and the number of bytes consumed.
func readInt(b []byte, n uint8) (uint64, int, error) {
	if len(b) == 0 {
		return 0, 0, errNeedMore
	}
	mask := uint64(1)<<n - 1
	v := uint64(b[0]) & mask
	if v < mask {
		return v, 1, nil
	}
	var shift uint
	for i := 1; i < len(b); i++ {
		c := b[i]
		if shift > 56 {
			return 0, 0, errIntOverflow
		}
		v += uint64(c&0x7f) << shift
		if v > maxInt {
			return 0, 0, errIntOverflow
		}
		if c&0x80 == 0 {
			return v, i + 1, nil
		}
		shift += 7
	}
	return 0, 0, errNeedMore
}

// appendInt appends v as an integer with an n-bit prefix; first holds the
// bits of the first byte above the prefix.
func appendInt(dst []byte, first byte, n uint8, v uint64) []byte {
	mask := uint64(1)<<n - 1
	if v < mask {
		return append(dst, first|byte(v))
	}
	dst = append(dst, first|byte(mask))
	v -= mask
	for v >= 0x80 {
		dst = append(dst, byte(v)|0x80)
		v >>= 7
	}
	return append(dst, byte(v))
}

// intLen returns the encoded length of v with an n-bit prefix.
func intLen(n uint8, v uint64) int {
	mask := uint64(1)<<n - 1
	if v < mask {
		return 1
	}
	l := 2
	for v -= mask; v >= 0x80; v >>= 7 {
		l++
	}
	return l
}

// readString reads a string literal whose length has an n-bit prefix and
// whose H flag is the bit just above the prefix. It returns the raw (maybe
// Huffman-encoded) bytes as a sub-slice of b, the H flag, and the number of
// bytes consumed. Strings longer than maxLen fail with errStringTooLong.
func readString(b []byte, n uint8, maxLen uint64) (raw []byte, huff bool, used int, err error) {
	if len(b) == 0 {
		return nil, false, 0, errNeedMore
	}
	huff = b[0]&(1<<n) != 0
	l, k, err := readInt(b, n)
	if err != nil {
		return nil, false, 0, err
	}
	if l > maxLen {
		return nil, false, 0, errStringTooLong
	}
	if uint64(len(b)-k) < l {
		return nil, false, 0, errNeedMore
	}
	return b[k : k+int(l)], huff, k + int(l), nil
}

var errStringTooLong = errors.New("string literal too long")

// appendString appends s as a string literal with an n-bit length prefix;
// first holds the bits above the H flag. Huffman coding is used only when it
// is strictly shorter.
func appendString(dst []byte, first byte, n uint8, s string) []byte {
	if hl := HuffmanEncodedLen(s); hl < len(s) {
		dst = appendInt(dst, first|1<<n, n, uint64(hl))
		return AppendHuffman(dst, s)
	}
	dst = appendInt(dst, first, n, uint64(len(s)))
	return append(dst, s...)
}

// stringLen returns the encoded length of s as a literal with an n-bit prefix.
func stringLen(n uint8, s string) int {
	l := len(s)
	if hl := HuffmanEncodedLen(s); hl < l {
		l = hl
	}
	return intLen(n, uint64(l)) + l
}

// decodeString decodes raw (Huffman or not) and appends it to dst.
func decodeString(dst, raw []byte, huff bool) ([]byte, error) {
	if !huff {
		return append(dst, raw...), nil
	}
	return AppendHuffmanDecode(dst, raw)
}
