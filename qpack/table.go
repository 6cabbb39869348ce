package qpack

// entryOverhead is the per-entry size overhead (RFC 9204 Section 3.2.1).
const entryOverhead = 32

// tableEntry is one dynamic table entry.
type tableEntry struct {
	name, value string
	// refs counts the unacknowledged field sections referencing the entry,
	// and hits the references since it was inserted; only the encoder uses
	// them.
	refs int
	hits uint32
}

func (e *tableEntry) size() uint64 {
	return uint64(len(e.name)+len(e.value)) + entryOverhead
}

// dynTable is the dynamic table shared in shape by encoder and decoder
// (RFC 9204 Section 3.2). Entries are kept oldest first; entries[head:] are
// live, and the slice is compacted when half of it is dead, so eviction is
// O(1) amortized and absolute indexes map to positions by subtraction.
type dynTable struct {
	entries  []tableEntry
	head     int
	dropped  uint64 // number of evicted entries = absolute index of the oldest
	size     uint64
	capacity uint64
}

// insertCount is the total number of insertions so far.
func (t *dynTable) insertCount() uint64 {
	return t.dropped + uint64(len(t.entries)-t.head)
}

// get returns the live entry with absolute index abs, or nil.
func (t *dynTable) get(abs uint64) *tableEntry {
	if abs < t.dropped || abs >= t.insertCount() {
		return nil
	}
	return &t.entries[t.head+int(abs-t.dropped)]
}

// oldest returns the oldest live entry, or nil.
func (t *dynTable) oldest() *tableEntry {
	if t.head == len(t.entries) {
		return nil
	}
	return &t.entries[t.head]
}

// evictOldest drops the oldest entry.
func (t *dynTable) evictOldest() {
	e := &t.entries[t.head]
	t.size -= e.size()
	*e = tableEntry{}
	t.head++
	t.dropped++
	if t.head == len(t.entries) {
		t.entries = t.entries[:0]
		t.head = 0
	} else if t.head > 32 && t.head*2 > len(t.entries) {
		n := copy(t.entries, t.entries[t.head:])
		clear(t.entries[n:])
		t.entries = t.entries[:n]
		t.head = 0
	}
}

// add appends an entry; the caller has made room for it.
func (t *dynTable) add(name, value string) {
	t.entries = append(t.entries, tableEntry{name: name, value: value})
	t.size += uint64(len(name)+len(value)) + entryOverhead
}
