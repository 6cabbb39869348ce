package qpack

// staticEntry is one entry of the static table.
type staticEntry struct {
	name, value string
}

// fieldKey identifies a (name, value) pair in lookup maps; a struct key lets
// map lookups run without building a concatenated string.
type fieldKey struct {
	name, value string
}

var (
	// staticExact maps a (name, value) pair to its static index.
	staticExact = make(map[fieldKey]uint64, len(staticTable))
	// staticName maps a name to the lowest static index carrying it.
	staticName = make(map[string]uint64, len(staticTable))
)

func init() {
	for i := len(staticTable) - 1; i >= 0; i-- {
		e := staticTable[i]
		staticExact[fieldKey(e)] = uint64(i)
		staticName[e.name] = uint64(i)
	}
}

// StaticTableLen is the number of entries in the QPACK static table.
const StaticTableLen = len(staticTable)

// StaticEntry returns the name and value of static table entry i
// (RFC 9204 Appendix A); ok is false if i is out of range.
func StaticEntry(i uint64) (name, value string, ok bool) {
	if i >= uint64(len(staticTable)) {
		return "", "", false
	}
	e := &staticTable[i]
	return e.name, e.value, true
}
