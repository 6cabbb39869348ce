package qpack

// repKind is how one field line is represented.
type repKind uint8

const (
	repStatic     repKind = iota // Indexed Field Line, static
	repDynamic                   // Indexed Field Line, dynamic (pre- or post-base)
	repLitStatic                 // Literal with static name reference
	repLitDynamic                // Literal with dynamic name reference (pre- or post-base)
	repLitLiteral                // Literal with literal name
)

// rep is the chosen representation of one field line; idx is a static
// index or an absolute dynamic index.
type rep struct {
	kind  repKind
	never bool
	idx   uint64
	name  string
	value string
}

// sectionState holds per-section decisions while a section is built.
type sectionState struct {
	streamID uint64
	canBlock bool   // the section may reference unacknowledged entries
	canRef   bool   // the section may reference the dynamic table at all
	ric      uint64 // largest referenced absolute index + 1
}

// EncodeFieldSection encodes fields as a field section for streamID and
// appends it to dst. New dynamic table entries go to the encoder stream
// (see AppendEncoderStream). Each section with dynamic references stays
// outstanding until the peer acknowledges or cancels it on the decoder
// stream.
func (e *Encoder) EncodeFieldSection(dst []byte, streamID uint64, fields []HeaderField) []byte {
	st := sectionState{streamID: streamID}
	st.canRef = e.capacity > 0 && e.unacked < maxUnackedSections
	st.canBlock = st.canRef && (e.isBlocking(streamID) ||
		uint64(len(e.blocking)) < e.cfg.MaxBlockedStreams)
	e.sections++
	if st.canBlock && len(e.blocking) > 0 && e.slotsScarce() && !e.isBlocking(streamID) {
		st.canBlock = e.worthBlocking(fields)
	}
	startIC := e.table.insertCount()
	e.reps = e.reps[:0]
	e.secRefs = e.secRefs[:0]
	for i := range fields {
		e.reps = append(e.reps, e.choose(&st, &fields[i]))
	}
	if st.ric == 0 {
		dst = append(dst, 0, 0)
		return e.appendReps(dst, 0)
	}
	if st.ric > e.knownReceived && !e.isBlocking(streamID) {
		e.noteBlockGain()
	}
	e.record(streamID, st.ric)
	out := e.appendPrefix(dst, st.ric, st.ric)
	out = e.appendReps(out, st.ric)
	if startIC < st.ric {
		// Try a Base before this section's inserts: those become
		// post-base references and older ones keep short indexes. On a
		// tie the post-base form wins, as a single-pass encoder would
		// write it.
		e.scratch = e.appendPrefix(e.scratch[:0], st.ric, startIC)
		e.scratch = e.appendReps(e.scratch, startIC)
		if len(e.scratch) <= len(out)-len(dst) {
			out = append(out[:len(dst)], e.scratch...)
		}
	}
	return out
}

// record tracks a section with dynamic references until acknowledged.
func (e *Encoder) record(streamID, ric uint64) {
	var refs []uint64
	if n := len(e.free); n > 0 {
		refs = e.free[n-1]
		e.free = e.free[:n-1]
	}
	refs = append(refs, e.secRefs...)
	secs, ok := e.streams[streamID]
	if !ok && len(e.recFree) > 0 {
		secs = e.recFree[len(e.recFree)-1]
		e.recFree = e.recFree[:len(e.recFree)-1]
	}
	e.streams[streamID] = append(secs, sectionRec{ric: ric, refs: refs})
	e.unacked++
	if ric > e.knownReceived && !e.isBlocking(streamID) {
		e.blocking = append(e.blocking, streamID)
	}
}

// appendPrefix appends the Encoded Field Section Prefix (RFC 9204 Section
// 4.5.1).
func (e *Encoder) appendPrefix(dst []byte, ric, base uint64) []byte {
	dst = appendInt(dst, 0, 8, ric%(2*e.maxEntries)+1)
	if base >= ric {
		return appendInt(dst, 0, 7, base-ric)
	}
	return appendInt(dst, 0x80, 7, ric-base-1)
}

// appendReps writes the chosen representations relative to base.
func (e *Encoder) appendReps(dst []byte, base uint64) []byte {
	for i := range e.reps {
		r := &e.reps[i]
		switch r.kind {
		case repStatic:
			dst = appendInt(dst, 0xc0, 6, r.idx)
		case repDynamic:
			if r.idx < base {
				dst = appendInt(dst, 0x80, 6, base-1-r.idx)
			} else {
				dst = appendInt(dst, 0x10, 4, r.idx-base)
			}
		case repLitStatic:
			dst = appendInt(dst, 0x50|neverBit(r.never, 0x20), 4, r.idx)
			dst = e.appendString(dst, 0, 7, r.value)
		case repLitDynamic:
			if r.idx < base {
				dst = appendInt(dst, 0x40|neverBit(r.never, 0x20), 4, base-1-r.idx)
			} else {
				dst = appendInt(dst, neverBit(r.never, 0x08), 3, r.idx-base)
			}
			dst = e.appendString(dst, 0, 7, r.value)
		case repLitLiteral:
			dst = e.appendString(dst, 0x20|neverBit(r.never, 0x10), 3, r.name)
			dst = e.appendString(dst, 0, 7, r.value)
		}
	}
	return dst
}

func neverBit(never bool, bit byte) byte {
	if never {
		return bit
	}
	return 0
}

// appendString writes a string literal, Huffman-coded when shorter.
func (e *Encoder) appendString(dst []byte, first byte, n uint8, s string) []byte {
	if e.cfg.DisableHuffman {
		dst = appendInt(dst, first, n, uint64(len(s)))
		return append(dst, s...)
	}
	return appendString(dst, first, n, s)
}

// isSensitive reports fields that must not be indexed even if the caller
// did not mark them (RFC 9204 Section 7.1.3): credentials, short cookies
// (guessable by probing), and set-cookie.
func isSensitive(f *HeaderField) bool {
	if f.Sensitive {
		return true
	}
	switch f.Name {
	case "authorization", "proxy-authorization", "set-cookie":
		return true
	case "cookie":
		return len(f.Value) < 20
	}
	return false
}

// choose picks the representation of one field, inserting into the
// dynamic table when that pays.
func (e *Encoder) choose(st *sectionState, f *HeaderField) rep {
	if isSensitive(f) {
		r := e.literal(st, f)
		r.never = true
		return r
	}
	key := fieldKey{f.Name, f.Value}
	// The name lookup hashes fewer bytes and rules out most fields.
	if _, ok := staticName[f.Name]; ok {
		if idx, ok := staticExact[key]; ok {
			return rep{kind: repStatic, idx: idx}
		}
	}
	if st.canRef {
		if abs, ok := e.byField[key]; ok {
			if r, ok := e.referExisting(st, abs); ok {
				return r
			}
			// In the table but not yet acknowledged, and this section may
			// not block: a literal now, the entry serves later sections.
			return e.literal(st, f)
		}
	}
	seen := e.hist.seen(f.Name, f.Value)
	ok := st.canRef && e.worthInserting(f, seen)
	e.hist.note(f.Name, seen > 0)
	if ok {
		if abs, ok := e.insert(st, f); ok && e.usable(st, abs) {
			return e.refer(st, rep{kind: repDynamic, idx: abs})
		}
	}
	return e.literal(st, f)
}

// literal returns a literal representation with the cheapest usable name
// reference.
func (e *Encoder) literal(st *sectionState, f *HeaderField) rep {
	if idx, ok := staticName[f.Name]; ok {
		return rep{kind: repLitStatic, idx: idx, value: f.Value}
	}
	if st.canRef {
		if abs, ok := e.byName[f.Name]; ok && e.usable(st, abs) {
			return e.refer(st, rep{kind: repLitDynamic, idx: abs, value: f.Value})
		}
	}
	return rep{kind: repLitLiteral, name: f.Name, value: f.Value}
}

// usable reports whether the section may reference entry abs: it is live,
// not draining, and either acknowledged or the section may block.
func (e *Encoder) usable(st *sectionState, abs uint64) bool {
	if abs < e.table.dropped || abs < e.drainingIndex() {
		return false
	}
	return abs < e.knownReceived || st.canBlock
}

// refer counts a reference from the section being built.
func (e *Encoder) refer(st *sectionState, r rep) rep {
	t := e.table.get(r.idx)
	t.refs++
	t.hits++
	e.secRefs = append(e.secRefs, r.idx)
	st.ric = max(st.ric, r.idx+1)
	return r
}

// referExisting references dynamic entry abs, which holds the wanted field.
// A draining entry (close to eviction) is duplicated so that the reference
// does not pin it; an acknowledged draining entry is still referenced when
// the duplicate cannot be used by this section.
func (e *Encoder) referExisting(st *sectionState, abs uint64) (rep, bool) {
	if e.usable(st, abs) {
		return e.refer(st, rep{kind: repDynamic, idx: abs}), true
	}
	if abs < e.drainingIndex() {
		dup, ok := e.duplicate(abs)
		if ok && st.canBlock {
			return e.refer(st, rep{kind: repDynamic, idx: dup}), true
		}
		if abs >= e.table.dropped && (abs < e.knownReceived || st.canBlock) {
			return e.refer(st, rep{kind: repDynamic, idx: abs}), true
		}
	}
	return rep{}, false
}
