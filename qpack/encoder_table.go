package qpack

// Dynamic table management on the encoder side: insertion policy, room
// making (eviction never drops an entry that is unacknowledged or still
// referenced), duplication, and the draining index.

// uniqueNames are fields whose values rarely repeat: inserting them on first
// sight would mostly waste table space, so they are inserted only once the
// history shows the same value uniqueMinSeen times.
var uniqueNames = map[string]bool{
	":path": true, "content-length": true, "date": true, "etag": true,
	"last-modified": true, "expires": true, "if-modified-since": true,
	"if-none-match": true, "age": true, "location": true, "content-range": true,
	"x-fb-debug": true, "x-fb-trace-id": true, "x-request-id": true,
	"x-amz-request-id": true, "x-amz-id-2": true, "cf-ray": true,
}

// uniqueMinSeen is how often a field of uniqueNames must be in the history
// to be inserted (tuned on the offline interop corpus).
const uniqueMinSeen = 2

// worthInserting decides whether a field is likely enough to repeat to be
// inserted into the dynamic table.
func (e *Encoder) worthInserting(f *HeaderField, seenCount int) bool {
	seen := seenCount > 0
	if uniqueNames[f.Name] && seenCount < uniqueMinSeen {
		return false
	}
	size := uint64(len(f.Name)+len(f.Value)) + entryOverhead
	if size > e.capacity*3/4 {
		return false
	}
	// A value not seen before is inserted only into free space: evicting
	// known-useful entries for a guess thrashes small tables.
	if !seen && (uniqueNames[f.Name] || size > e.capacity-e.table.size || !e.hist.repeats(f.Name)) {
		return false
	}
	// Without acknowledgments, unacknowledged inserts only help streams
	// allowed to block; stop piling them up when none are.
	if e.table.insertCount() > e.knownReceived && e.unackedBytes() > e.capacity/8 &&
		uint64(len(e.blocking)) >= e.cfg.MaxBlockedStreams {
		return false
	}
	return true
}

// Blocked streams are a budget: a stream whose section references an
// unacknowledged entry holds one of the peer's SETTINGS_QPACK_BLOCKED_STREAMS
// slots until the decoder acknowledges the inserts. While acknowledgments
// flow, slots come back within a round trip and every section may take one.
// When none has come back for a while (the first round trip, or a peer that
// acknowledges late or never), a slot spent on a section that saves a few
// bytes is missing later for one that saves hundreds: past a quarter of the
// slots, a section that would add a blocking stream must promise a saving
// that grows with the share of slots in use.

const (
	// slotQuietSections is how many sections without a released blocking
	// stream make slots count as scarce.
	slotQuietSections = 16
	// blockGainWeight is the inverse weight of the newest section in the
	// running mean Encoder.blockGain.
	blockGainWeight = 4
)

// slotsScarce reports whether blocked-stream slots are not coming back.
func (e *Encoder) slotsScarce() bool {
	return e.sections-e.lastRelease > slotQuietSections
}

// worthBlocking reports whether a section of fields may add a blocking
// stream while slots are scarce. Its saving is estimated as the bytes of the
// fields found, name and value, in unacknowledged entries. The first quarter
// of the slots is free; past it the saving must reach the mean saving of the
// sections that took a slot, times the square of the share of the remaining
// slots in use (tuned on the offline interop corpus and on simulated
// acknowledgment delays: a steeper bar wastes slots on nothing, a flatter one
// refuses too much when acknowledgments turn out to be only late). A refused
// section still inserts what later sections will reference, and encodes
// those fields as literals.
func (e *Encoder) worthBlocking(fields []HeaderField) bool {
	used, limit := float64(len(e.blocking)), float64(e.cfg.MaxBlockedStreams)
	free := limit / 4
	if used <= free {
		return true
	}
	gain := 0
	for i := range fields {
		f := &fields[i]
		if isSensitive(f) {
			continue
		}
		abs, ok := e.byField[fieldKey{f.Name, f.Value}]
		if ok && abs >= e.knownReceived && abs >= e.table.dropped {
			gain += len(f.Name) + len(f.Value)
		}
	}
	share := (used - free) / (limit - free)
	return float64(gain) >= float64(e.blockGain)*share*share
}

// noteBlockGain adds the section just chosen, which takes a blocked-stream
// slot, to the running mean of savings: the bytes of the names and values it
// indexes through unacknowledged entries.
func (e *Encoder) noteBlockGain() {
	gain := 0
	for i := range e.reps {
		r := &e.reps[i]
		if (r.kind != repDynamic && r.kind != repLitDynamic) || r.idx < e.knownReceived {
			continue
		}
		t := e.table.get(r.idx)
		if t == nil {
			continue
		}
		gain += len(t.name)
		if r.kind == repDynamic {
			gain += len(t.value)
		}
	}
	e.blockGain += (gain - e.blockGain) / blockGainWeight
}

// unackedBytes returns the size of the entries the decoder has not
// acknowledged.
func (e *Encoder) unackedBytes() uint64 {
	var n uint64
	for abs := max(e.knownReceived, e.table.dropped); abs < e.table.insertCount(); abs++ {
		n += e.table.get(abs).size()
	}
	return n
}

// drainingIndex returns the smallest absolute index the encoder will
// reference: older entries are left to drain so that the oldest quarter of
// the table can be evicted when space is needed (RFC 9204 Section 2.1.1.1).
func (e *Encoder) drainingIndex() uint64 {
	target := e.capacity / 16
	free := e.capacity - e.table.size
	if free >= target {
		return e.table.dropped
	}
	need := target - free
	abs := e.table.dropped
	for need > 0 && abs < e.table.insertCount() {
		s := e.table.get(abs).size()
		if s >= need {
			need = 0
		} else {
			need -= s
		}
		abs++
	}
	return abs
}

// makeRoom evicts entries until size more bytes fit, if the entries to
// evict are all evictable: acknowledged and unreferenced (RFC 9204 Section
// 2.1.1). It evicts nothing when that is not possible. With rotate, a
// popular large entry about to be evicted gets a second chance (the CLOCK
// policy): a Duplicate re-inserts it as the newest entry for one or two
// bytes, as long as the entries behind it still free enough room.
func (e *Encoder) makeRoom(size uint64, rotate bool) bool {
	if size > e.capacity {
		return false
	}
	free := e.capacity - e.table.size
	if !e.evictable(e.table.dropped, size-min(size, free)) {
		return false
	}
	rotations := 0
	for e.capacity-e.table.size < size {
		abs := e.table.dropped
		t := e.table.oldest()
		need := size - (e.capacity - e.table.size)
		if rotate && t.hits >= rotateMinHits && t.size() >= e.capacity/rotateSizeDiv && rotations < maxRotations && e.evictable(abs+1, need) {
			// Duplicate refers to the entry its own insertion evicts,
			// which RFC 9204 Section 3.2.2 allows.
			rotations++
			name, value := t.name, t.value
			e.out = appendInt(e.out, 0x00, 5, e.table.insertCount()-1-abs)
			e.evictOldest()
			e.add(name, value)
			continue
		}
		e.evictOldest()
	}
	return true
}

// Second-chance parameters, tuned on the offline interop corpus: an entry
// is re-inserted instead of evicted when it was referenced at least
// rotateMinHits times and is at least 1/rotateSizeDiv of the table (small
// entries are cheap to insert again), at most maxRotations times per insert.
const (
	rotateMinHits = 3
	rotateSizeDiv = 32
	maxRotations  = 4
)

// evictable reports whether the entries from absolute index abs on, oldest
// first, that are acknowledged and unreferenced add up to at least need
// bytes.
func (e *Encoder) evictable(abs, need uint64) bool {
	for ; need > 0; abs++ {
		t := e.table.get(abs)
		if t == nil || t.refs > 0 || abs >= e.knownReceived {
			return false
		}
		need -= min(need, t.size())
	}
	return true
}

// evictOldest evicts the oldest entry and forgets it in the lookup maps.
func (e *Encoder) evictOldest() {
	abs := e.table.dropped
	t := e.table.oldest()
	if i, ok := e.byField[fieldKey{t.name, t.value}]; ok && i == abs {
		delete(e.byField, fieldKey{t.name, t.value})
	}
	if i, ok := e.byName[t.name]; ok && i == abs {
		delete(e.byName, t.name)
	}
	e.table.evictOldest()
}

// sendCapacity emits Set Dynamic Table Capacity before the first insert.
func (e *Encoder) sendCapacity() {
	if !e.capSent {
		e.out = appendInt(e.out, 0x20, 5, e.capacity)
		e.table.capacity = e.capacity
		e.capSent = true
	}
}

// insert adds f to the dynamic table through the encoder stream and returns
// its absolute index.
func (e *Encoder) insert(st *sectionState, f *HeaderField) (uint64, bool) {
	size := uint64(len(f.Name)+len(f.Value)) + entryOverhead
	e.sendCapacity()
	if !e.makeRoom(size, true) {
		return 0, false
	}
	ic := e.table.insertCount()
	if idx, ok := staticName[f.Name]; ok {
		e.out = appendInt(e.out, 0xc0, 6, idx)
	} else if abs, ok := e.byName[f.Name]; ok {
		e.out = appendInt(e.out, 0x80, 6, ic-1-abs)
	} else {
		e.out = e.appendString(e.out, 0x40, 5, f.Name)
	}
	e.out = e.appendString(e.out, 0, 7, f.Value)
	e.add(f.Name, f.Value)
	return ic, true
}

// duplicate re-inserts entry abs through a Duplicate instruction.
func (e *Encoder) duplicate(abs uint64) (uint64, bool) {
	t := e.table.get(abs)
	name, value := t.name, t.value
	ic := e.table.insertCount()
	if !e.makeRoom(t.size(), false) {
		return 0, false
	}
	e.out = appendInt(e.out, 0x00, 5, ic-1-abs)
	e.add(name, value)
	return ic, true
}

// add appends an entry and indexes it as the newest for its field and name.
func (e *Encoder) add(name, value string) {
	abs := e.table.insertCount()
	e.table.add(name, value)
	e.byField[fieldKey{name, value}] = abs
	e.byName[name] = abs
}

// history remembers hashes of recently encoded fields, so the encoder can
// tell a value that repeats from one seen once.
type history struct {
	ring  []uint64
	next  int
	count map[uint64]uint16
	names map[string]*nameStat
}

// nameStat counts, for one name, how often its value had been seen before.
type nameStat struct {
	fields, repeats uint32
}

// maxNameStats bounds the names the history keeps statistics for.
const maxNameStats = 256

// repeats reports whether values of name tend to repeat: true for a name
// not seen yet (optimism costs one insert) and for names whose values were
// found in the history at least a third of the time.
func (h *history) repeats(name string) bool {
	st := h.names[name]
	return st == nil || st.fields < 2 || st.repeats*3 >= st.fields
}

// note updates the statistics of name.
func (h *history) note(name string, seen bool) {
	st := h.names[name]
	if st == nil {
		if len(h.names) >= maxNameStats {
			return
		}
		st = &nameStat{}
		h.names[name] = st
	}
	st.fields++
	if seen {
		st.repeats++
	}
}

func (h *history) init(n int) {
	if n < 32 {
		n = 32
	}
	h.ring = make([]uint64, 0, n)
	h.count = make(map[uint64]uint16, n)
	h.names = make(map[string]*nameStat)
}

// seen reports how often (name, value) is in the history, then records it.
func (h *history) seen(name, value string) int {
	x := uint64(14695981039346656037)
	for i := 0; i < len(name); i++ {
		x = (x ^ uint64(name[i])) * 1099511628211
	}
	x = (x ^ 0xff) * 1099511628211
	for i := 0; i < len(value); i++ {
		x = (x ^ uint64(value[i])) * 1099511628211
	}
	found := int(h.count[x])
	if len(h.ring) < cap(h.ring) {
		h.ring = append(h.ring, x)
	} else {
		old := h.ring[h.next]
		if h.count[old]--; h.count[old] == 0 {
			delete(h.count, old)
		}
		h.ring[h.next] = x
		h.next = (h.next + 1) % len(h.ring)
	}
	h.count[x]++
	return found
}
