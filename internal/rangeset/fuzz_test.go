package rangeset

import "testing"

// FuzzSet drives a Set with random adds and removes over a small universe and
// compares it with a bitmap model after every step, also checking that the
// representation stays canonical (sorted, non-empty, non-touching ranges).
func FuzzSet(f *testing.F) {
	f.Add([]byte{0, 1, 4, 0, 6, 8, 1, 2, 7})
	f.Add([]byte{0, 0, 255, 1, 10, 20, 1, 0, 5, 0, 3, 4})
	f.Add([]byte{0, 10, 12, 0, 0, 2, 0, 5, 6, 0, 2, 10})
	const universe = 256
	f.Fuzz(func(t *testing.T, data []byte) {
		var s Set
		var model [universe + 1]bool
		if len(data) > 3*64 { // bound the work per input; longer adds nothing
			data = data[:3*64]
		}
		for len(data) >= 3 {
			kind, a, b := data[0], uint64(data[1]), uint64(data[2])
			data = data[3:]
			if b > universe {
				b = universe
			}
			switch kind % 3 {
			case 0:
				s.Add(a, b)
				for v := a; v < b; v++ {
					model[v] = true
				}
			case 1:
				s.Remove(a, b)
				for v := a; v < b; v++ {
					model[v] = false
				}
			case 2:
				s.RemoveBelow(a)
				for v := uint64(0); v < a; v++ {
					model[v] = false
				}
			}
			checkCanonical(t, &s)
			for v := uint64(0); v <= universe; v++ {
				if s.Contains(v) != model[v] {
					t.Fatalf("Contains(%d) = %v, model %v; set %v", v, s.Contains(v), model[v], s.Ranges())
				}
			}
		}
	})
}

func checkCanonical(t *testing.T, s *Set) {
	t.Helper()
	for i, r := range s.Ranges() {
		if r.End <= r.Start {
			t.Fatalf("empty range %v in %v", r, s.Ranges())
		}
		if i > 0 && s.At(i-1).End >= r.Start {
			t.Fatalf("ranges overlap or touch: %v", s.Ranges())
		}
	}
}
