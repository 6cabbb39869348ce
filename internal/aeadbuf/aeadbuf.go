// Package aeadbuf holds the buffer rules of crypto/cipher.AEAD implementations
// (growing dst, refusing overlaps the interface forbids), shared by this
// module's own AEADs: internal/chachapoly and internal/hostaead (wasi/hostcrypto).
package aeadbuf

import "unsafe"

// SliceForAppend extends in by n bytes, reallocating only without room, and
// returns the whole slice and its new tail.
func SliceForAppend(in []byte, n int) (head, tail []byte) {
	if total := len(in) + n; cap(in) >= total {
		head = in[:total]
	} else {
		head = make([]byte, total)
		copy(head, in)
	}
	return head, head[len(in):]
}

// AnyOverlap reports whether x and y share memory.
func AnyOverlap(x, y []byte) bool {
	if len(x) == 0 || len(y) == 0 {
		return false
	}
	xs, ys := uintptr(unsafe.Pointer(&x[0])), uintptr(unsafe.Pointer(&y[0]))
	return xs <= ys+uintptr(len(y)-1) && ys <= xs+uintptr(len(x)-1)
}

// InexactOverlap reports whether x and y share memory at different offsets,
// which cipher.AEAD forbids (working in place, at the same offset, is allowed).
func InexactOverlap(x, y []byte) bool {
	if len(x) == 0 || len(y) == 0 || &x[0] == &y[0] {
		return false
	}
	return AnyOverlap(x, y)
}
