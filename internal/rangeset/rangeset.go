// Package rangeset implements a set of uint64 values stored as sorted,
// non-overlapping, non-adjacent half-open ranges [Start, End).
//
// QUIC needs such sets in several places: received packet numbers (what to
// acknowledge), stream byte ranges received out of order, and byte ranges
// that must be retransmitted. Half-open ranges were chosen because stream
// offsets are naturally half-open (offset, offset+length) and because an
// empty range is representable; QUIC values never exceed 2^62-1, so End never
// overflows. A closed ACK range {Smallest, Largest} is Range{Smallest,
// Largest+1}.
//
// The set is a slice of ranges in ascending order. Touching ranges are merged
// ([0,5) and [5,9) become [0,9)), so the representation is canonical. The
// operations never allocate once the slice has grown to the number of
// disjoint ranges the caller keeps, which makes the set suitable for
// per-packet use. Adding at the high end, the common case for packet numbers
// and in-order stream data, is O(1); other operations are O(log n) to locate
// plus O(n) to shift.
//
// The zero Set is empty and ready to use. A Set must not be copied after
// first use (the copy would share the backing array).
package rangeset

import "iter"

// Range is the half-open interval [Start, End). It is empty when End <= Start.
type Range struct {
	Start uint64 // first value in the range
	End   uint64 // one past the last value in the range
}

// Len returns the number of values in r.
func (r Range) Len() uint64 {
	if r.End <= r.Start {
		return 0
	}
	return r.End - r.Start
}

// Contains reports whether v is in r.
func (r Range) Contains(v uint64) bool { return r.Start <= v && v < r.End }

// Set is a set of uint64 values, kept as sorted disjoint ranges.
type Set struct {
	r []Range // ascending, non-empty, separated by at least one missing value
}

// Len returns the number of disjoint ranges in s (not the number of values).
func (s *Set) Len() int { return len(s.r) }

// IsEmpty reports whether s contains no value.
func (s *Set) IsEmpty() bool { return len(s.r) == 0 }

// At returns the i-th range in ascending order; 0 <= i < s.Len().
func (s *Set) At(i int) Range { return s.r[i] }

// Ranges returns the ranges in ascending order. The slice aliases the set's
// storage: it is valid only until the next modification and must not be
// modified by the caller.
func (s *Set) Ranges() []Range { return s.r }

// Clear removes every value, keeping the allocated storage for reuse.
func (s *Set) Clear() { s.r = s.r[:0] }

// Min returns the smallest value in s; ok is false when s is empty.
func (s *Set) Min() (v uint64, ok bool) {
	if len(s.r) == 0 {
		return 0, false
	}
	return s.r[0].Start, true
}

// Max returns the largest value in s; ok is false when s is empty.
func (s *Set) Max() (v uint64, ok bool) {
	if len(s.r) == 0 {
		return 0, false
	}
	return s.r[len(s.r)-1].End - 1, true
}

// Count returns the total number of values in s.
func (s *Set) Count() uint64 {
	var n uint64
	for _, r := range s.r {
		n += r.End - r.Start
	}
	return n
}

// All iterates over the ranges in ascending order. The set must not be
// modified during the iteration.
func (s *Set) All() iter.Seq[Range] {
	return func(yield func(Range) bool) {
		for _, r := range s.r {
			if !yield(r) {
				return
			}
		}
	}
}

// Backward iterates over the ranges in descending order (the order of QUIC
// ACK frames). The set must not be modified during the iteration.
func (s *Set) Backward() iter.Seq[Range] {
	return func(yield func(Range) bool) {
		for i := len(s.r) - 1; i >= 0; i-- {
			if !yield(s.r[i]) {
				return
			}
		}
	}
}

// search returns the first index i such that s.r[i].End > v, or len(s.r).
// It is a hand-written binary search so that it inlines and never allocates.
func (s *Set) search(v uint64) int {
	lo, hi := 0, len(s.r)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s.r[m].End > v {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// searchStart returns the first index i such that s.r[i].Start > v, or len(s.r).
func (s *Set) searchStart(v uint64) int {
	lo, hi := 0, len(s.r)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s.r[m].Start > v {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// Contains reports whether v is in s.
func (s *Set) Contains(v uint64) bool {
	i := s.search(v)
	return i < len(s.r) && s.r[i].Start <= v
}

// ContainsRange reports whether every value of [start, end) is in s. An empty
// range is always contained.
func (s *Set) ContainsRange(start, end uint64) bool {
	if end <= start {
		return true
	}
	i := s.search(start)
	return i < len(s.r) && s.r[i].Start <= start && s.r[i].End >= end
}

// Add inserts every value of [start, end) into s. Adding an empty range is a
// no-op.
func (s *Set) Add(start, end uint64) {
	if end <= start {
		return
	}
	n := len(s.r)
	// Fast paths: append after, or extend, the highest range.
	if n == 0 || s.r[n-1].End < start {
		s.r = append(s.r, Range{start, end})
		return
	}
	if last := &s.r[n-1]; last.Start <= start {
		last.End = max(last.End, end)
		return
	}
	// Ranges i..j-1 overlap or touch [start, end): r.End >= start and
	// r.Start <= end.
	i := s.search(start - 1)
	if start == 0 {
		i = 0
	}
	j := s.searchStart(end)
	if i == j {
		s.replace(i, j, Range{start, end}, Range{}, 1)
		return
	}
	merged := Range{min(start, s.r[i].Start), max(end, s.r[j-1].End)}
	s.replace(i, j, merged, Range{}, 1)
}

// AddRange inserts r into s.
func (s *Set) AddRange(r Range) { s.Add(r.Start, r.End) }

// Remove deletes every value of [start, end) from s.
func (s *Set) Remove(start, end uint64) {
	if end <= start || len(s.r) == 0 {
		return
	}
	// Ranges i..j-1 intersect [start, end): r.End > start and r.Start < end.
	i := s.search(start)
	j := s.searchStart(end - 1)
	if i >= j {
		return
	}
	var keep [2]Range
	k := 0
	if s.r[i].Start < start {
		keep[k] = Range{s.r[i].Start, start}
		k++
	}
	if s.r[j-1].End > end {
		keep[k] = Range{end, s.r[j-1].End}
		k++
	}
	s.replace(i, j, keep[0], keep[1], k)
}

// RemoveBelow deletes every value smaller than v. It is how acknowledged
// packet numbers or consumed stream bytes are forgotten.
func (s *Set) RemoveBelow(v uint64) {
	if v == 0 {
		return
	}
	s.Remove(0, v)
}

// replace substitutes s.r[i:j] with the first k (0..2) of a, b, shifting the
// tail in place so that no allocation happens while capacity suffices.
func (s *Set) replace(i, j int, a, b Range, k int) {
	n := len(s.r)
	newLen := n - (j - i) + k
	if newLen > n {
		s.r = append(s.r, make([]Range, newLen-n)...)
	}
	copy(s.r[i+k:], s.r[j:n])
	s.r = s.r[:newLen]
	if k > 0 {
		s.r[i] = a
	}
	if k > 1 {
		s.r[i+1] = b
	}
}
