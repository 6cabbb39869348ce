package rangeset

import (
	"slices"
	"testing"
)

// op is one step of a table-driven scenario: add or remove [s, e).
type op struct {
	remove bool
	s, e   uint64
}

func add(s, e uint64) op { return op{false, s, e} }
func rem(s, e uint64) op { return op{true, s, e} }

func apply(set *Set, ops []op) {
	for _, o := range ops {
		if o.remove {
			set.Remove(o.s, o.e)
		} else {
			set.Add(o.s, o.e)
		}
	}
}

func TestAddRemove(t *testing.T) {
	tests := []struct {
		name string
		ops  []op
		want []Range
	}{
		{"empty", nil, nil},
		{"empty add ignored", []op{add(5, 5), add(7, 3)}, nil},
		{"single", []op{add(1, 4)}, []Range{{1, 4}}},
		{"append disjoint", []op{add(1, 4), add(6, 8)}, []Range{{1, 4}, {6, 8}}},
		{"append touching merges", []op{add(1, 4), add(4, 8)}, []Range{{1, 8}}},
		{"extend last", []op{add(1, 4), add(2, 9)}, []Range{{1, 9}}},
		{"subset of last", []op{add(1, 9), add(2, 3)}, []Range{{1, 9}}},
		{"prepend disjoint", []op{add(10, 12), add(1, 3)}, []Range{{1, 3}, {10, 12}}},
		{"prepend touching", []op{add(10, 12), add(1, 10)}, []Range{{1, 12}}},
		{"insert middle", []op{add(0, 2), add(10, 12), add(5, 6)}, []Range{{0, 2}, {5, 6}, {10, 12}}},
		{"fill gap", []op{add(0, 2), add(5, 6), add(10, 12), add(2, 10)}, []Range{{0, 12}}},
		{"span several", []op{add(2, 3), add(5, 6), add(8, 9), add(20, 21), add(1, 10)}, []Range{{1, 10}, {20, 21}}},
		{"zero start", []op{add(3, 5), add(8, 9), add(0, 3)}, []Range{{0, 5}, {8, 9}}},
		{"remove all", []op{add(1, 5), rem(0, 10)}, nil},
		{"remove left part", []op{add(1, 5), rem(0, 3)}, []Range{{3, 5}}},
		{"remove right part", []op{add(1, 5), rem(3, 9)}, []Range{{1, 3}}},
		{"remove split", []op{add(1, 9), rem(3, 5)}, []Range{{1, 3}, {5, 9}}},
		{"remove gap no-op", []op{add(1, 3), add(6, 9), rem(3, 6)}, []Range{{1, 3}, {6, 9}}},
		{"remove across", []op{add(1, 3), add(4, 6), add(7, 9), rem(2, 8)}, []Range{{1, 2}, {8, 9}}},
		{"remove empty", []op{add(1, 3), rem(2, 2)}, []Range{{1, 3}}},
		{"remove from empty", []op{rem(2, 4)}, nil},
		{"remove exact", []op{add(1, 3), add(5, 7), rem(5, 7)}, []Range{{1, 3}}},
		{"large values", []op{add(1<<62-2, 1<<62), add(0, 1)}, []Range{{0, 1}, {1<<62 - 2, 1 << 62}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Set
			apply(&s, tt.ops)
			got := slices.Collect(s.All())
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			back := slices.Collect(s.Backward())
			slices.Reverse(back)
			if !slices.Equal(back, tt.want) {
				t.Fatalf("Backward reversed %v, want %v", back, tt.want)
			}
		})
	}
}

func TestQueries(t *testing.T) {
	var s Set
	if _, ok := s.Min(); ok {
		t.Fatal("Min of empty set ok")
	}
	if _, ok := s.Max(); ok {
		t.Fatal("Max of empty set ok")
	}
	if !s.IsEmpty() || s.Count() != 0 || s.Contains(0) {
		t.Fatal("zero Set not empty")
	}
	s.Add(2, 5)
	s.AddRange(Range{8, 10})
	if v, _ := s.Min(); v != 2 {
		t.Errorf("Min = %d, want 2", v)
	}
	if v, _ := s.Max(); v != 9 {
		t.Errorf("Max = %d, want 9", v)
	}
	if s.Count() != 5 || s.Len() != 2 || s.At(1) != (Range{8, 10}) {
		t.Errorf("Count %d Len %d At(1) %v", s.Count(), s.Len(), s.At(1))
	}
	for _, tc := range []struct {
		v    uint64
		want bool
	}{{0, false}, {1, false}, {2, true}, {4, true}, {5, false}, {7, false}, {8, true}, {9, true}, {10, false}} {
		if got := s.Contains(tc.v); got != tc.want {
			t.Errorf("Contains(%d) = %v", tc.v, got)
		}
	}
	for _, tc := range []struct {
		s, e uint64
		want bool
	}{{2, 5, true}, {3, 4, true}, {2, 6, false}, {1, 3, false}, {4, 9, false}, {6, 6, true}, {8, 10, true}} {
		if got := s.ContainsRange(tc.s, tc.e); got != tc.want {
			t.Errorf("ContainsRange(%d,%d) = %v", tc.s, tc.e, got)
		}
	}
	s.RemoveBelow(9)
	if got := slices.Collect(s.All()); !slices.Equal(got, []Range{{9, 10}}) {
		t.Errorf("after RemoveBelow(9): %v", got)
	}
	s.RemoveBelow(0)
	if s.Len() != 1 {
		t.Error("RemoveBelow(0) removed something")
	}
	s.Clear()
	if !s.IsEmpty() {
		t.Error("Clear left values")
	}
	if (Range{5, 3}).Len() != 0 || (Range{3, 5}).Len() != 2 || !(Range{3, 5}).Contains(4) {
		t.Error("Range helpers")
	}
}

func TestIterationStops(t *testing.T) {
	var s Set
	for i := uint64(0); i < 10; i++ {
		s.Add(i*3, i*3+1)
	}
	n := 0
	for range s.All() {
		n++
		if n == 3 {
			break
		}
	}
	for r := range s.Backward() {
		if r.Start != 27 {
			t.Fatalf("Backward first = %v", r)
		}
		break
	}
}

// TestSteadyStateAllocs checks that reusing a set with enough capacity
// never allocates, whatever mix of operations.
func TestSteadyStateAllocs(t *testing.T) {
	var s Set
	for i := uint64(0); i < 64; i++ {
		s.Add(i*4, i*4+2)
	}
	s.Clear()
	allocs := testing.AllocsPerRun(100, func() {
		s.Clear()
		for i := uint64(0); i < 32; i++ {
			s.Add(i*4, i*4+2)
		}
		s.Add(50, 51)
		s.Remove(9, 10)
		s.Add(1, 70)
		s.RemoveBelow(30)
		_ = s.Contains(40)
	})
	if allocs != 0 {
		t.Fatalf("allocs = %v, want 0", allocs)
	}
}

func BenchmarkAddInOrder(b *testing.B) {
	b.ReportAllocs()
	var s Set
	for i := 0; b.Loop(); i++ {
		pn := uint64(i)
		if i%10 == 5 { // a hole every 10 values, as with lost packets
			continue
		}
		s.Add(pn, pn+1)
		if s.Len() > 32 {
			s.RemoveBelow(s.At(s.Len() - 32).Start)
		}
	}
}

func BenchmarkAddOutOfOrder(b *testing.B) {
	b.ReportAllocs()
	var s Set
	for i := 0; b.Loop(); i++ {
		// Values arrive in pairs swapped: 1,0,3,2,... leaving a gap each time.
		v := uint64(i ^ 1)
		s.Add(v, v+1)
		if s.Len() > 32 {
			s.RemoveBelow(s.At(s.Len() - 32).Start)
		}
	}
}

func BenchmarkContains(b *testing.B) {
	b.ReportAllocs()
	var s Set
	for i := uint64(0); i < 32; i++ {
		s.Add(i*10, i*10+7)
	}
	for i := 0; b.Loop(); i++ {
		_ = s.Contains(uint64(i % 320))
	}
}
