package qpack

// Huffman coding of string literals (RFC 7541 Appendix B, used by QPACK per
// RFC 9204 Section 4.1.2).
//
// Decoding runs a table-driven state machine that consumes four bits at a
// time: each state is an internal node of the code tree, and each (state,
// nibble) pair gives the next state and at most one emitted symbol (the
// shortest code is 5 bits, so a nibble can never complete two symbols). The
// table is built once at init from the code list, so it cannot disagree with
// the encoder.

const (
	hfEmit   = 1 << iota // the transition emits sym
	hfFail               // the transition decodes EOS: an error
	hfAccept             // the new state may end the string (padding so far is valid)
)

type hfTransition struct {
	next  uint8
	sym   uint8
	flags uint8
}

// hfDecodeTable[state][nibble].
var hfDecodeTable [256][16]hfTransition

func init() { buildHuffmanDecodeTable() }

// buildHuffmanDecodeTable builds the code tree, then derives the nibble
// transitions of every internal node.
func buildHuffmanDecodeTable() {
	// children[node][bit]: >0 internal node id; <0 leaf -(sym+1); 0 unset.
	var children [256][2]int
	nodes := 1
	for sym := 0; sym < 257; sym++ {
		code, n := huffmanCodes[sym], int(huffmanLens[sym])
		cur := 0
		for i := n - 1; i >= 0; i-- {
			bit := (code >> uint(i)) & 1
			if i == 0 {
				children[cur][bit] = -(sym + 1)
				break
			}
			if children[cur][bit] == 0 {
				children[cur][bit] = nodes
				nodes++
			}
			cur = children[cur][bit]
		}
	}
	// accept[node]: the path from the root to node is all ones and at most
	// 7 bits long, so ending there leaves valid padding.
	var accept [256]bool
	cur := 0
	for depth := 0; depth <= 7; depth++ {
		accept[cur] = true
		cur = children[cur][1]
	}
	for s := 0; s < nodes; s++ {
		for nib := 0; nib < 16; nib++ {
			var t hfTransition
			cur := s
			for i := 3; i >= 0; i-- {
				c := children[cur][(nib>>uint(i))&1]
				if c < 0 {
					sym := -c - 1
					if sym == 256 {
						t.flags |= hfFail
						break
					}
					t.flags |= hfEmit
					t.sym = byte(sym)
					cur = 0
					continue
				}
				cur = c
			}
			t.next = uint8(cur)
			if accept[cur] {
				t.flags |= hfAccept
			}
			hfDecodeTable[s][nib] = t
		}
	}
}

// HuffmanEncodedLen returns the length in bytes of the Huffman encoding of s.
func HuffmanEncodedLen(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n += int(huffmanLens[s[i]])
	}
	return (n + 7) / 8
}

// AppendHuffman appends the Huffman encoding of s to dst, padded with the
// most significant bits of EOS (all ones).
func AppendHuffman(dst []byte, s string) []byte {
	var acc uint64
	var n uint
	for i := 0; i < len(s); i++ {
		c := s[i]
		acc = acc<<huffmanLens[c] | uint64(huffmanCodes[c])
		n += uint(huffmanLens[c])
		for n >= 8 {
			n -= 8
			dst = append(dst, byte(acc>>n))
		}
	}
	if n > 0 {
		dst = append(dst, byte(acc<<(8-n))|byte(0xff>>n))
	}
	return dst
}

// AppendHuffmanDecode appends the decoding of the Huffman-encoded src to
// dst. It fails with QPACK_DECOMPRESSION_FAILED on an encoded EOS, padding
// longer than 7 bits, or padding that is not all ones (RFC 7541 Section
// 5.2).
func AppendHuffmanDecode(dst, src []byte) ([]byte, error) {
	state := uint8(0)
	accept := true
	for _, b := range src {
		t := &hfDecodeTable[state][b>>4]
		if t.flags&hfFail != 0 {
			return dst, errHuffmanEOS
		}
		if t.flags&hfEmit != 0 {
			dst = append(dst, t.sym)
		}
		t = &hfDecodeTable[t.next][b&0xf]
		if t.flags&hfFail != 0 {
			return dst, errHuffmanEOS
		}
		if t.flags&hfEmit != 0 {
			dst = append(dst, t.sym)
		}
		state = t.next
		accept = t.flags&hfAccept != 0
	}
	if !accept {
		return dst, errHuffmanPadding
	}
	return dst, nil
}

var (
	errHuffmanEOS     = decompressionError("Huffman string contains EOS")
	errHuffmanPadding = decompressionError("invalid Huffman padding")
)
