package qpack

// lineDecoder carries the state of one field section being decoded.
type lineDecoder struct {
	d         *Decoder
	ric, base uint64
	size      uint64 // decoded size so far
	needed    uint64 // largest referenced absolute index + 1
	tooLarge  bool
}

// decodeLines decodes the field lines after the section prefix. Literal
// strings are decoded into one buffer that becomes a single string at the
// end, so a section costs one string allocation however many literals it
// has; names and values taken from the tables are shared, not copied.
func (d *Decoder) decodeLines(dst []HeaderField, b []byte, ric, base uint64) ([]HeaderField, error) {
	ld := lineDecoder{d: d, ric: ric, base: base}
	d.strBuf = d.strBuf[:0]
	d.patches = d.patches[:0]
	start := len(dst)
	for len(b) > 0 {
		var n int
		var err error
		dst, n, err = ld.line(dst, b)
		if err != nil {
			return dst[:start], err
		}
		b = b[n:]
	}
	if ld.needed != ric {
		// The encoder must send the smallest Required Insert Count that
		// works (RFC 9204 Section 2.2.2); a larger one is an error we
		// may detect, and a smaller one cannot pass entry().
		return dst[:start], decompressionError("Required Insert Count larger than the references need")
	}
	if ld.tooLarge {
		return dst[:start], ErrFieldSectionTooLarge
	}
	if len(d.patches) > 0 {
		s := string(d.strBuf)
		for _, p := range d.patches {
			f := &dst[p.field]
			if p.isValue {
				f.Value = s[p.from:p.to]
			} else {
				f.Name = s[p.from:p.to]
			}
		}
	}
	return dst, nil
}

// line decodes one field line representation (RFC 9204 Section 4.5).
func (ld *lineDecoder) line(dst []HeaderField, b []byte) ([]HeaderField, int, error) {
	c := b[0]
	switch {
	case c&0x80 != 0: // Indexed Field Line
		idx, n, err := readInt(b, 6)
		if err != nil {
			return dst, 0, sectionError(err)
		}
		name, value, err := ld.entry(c&0x40 != 0, idx, false)
		if err != nil {
			return dst, 0, err
		}
		return ld.add(dst, HeaderField{Name: name, Value: value}, 0), n, nil
	case c&0x40 != 0: // Literal Field Line with Name Reference
		idx, n, err := readInt(b, 4)
		if err != nil {
			return dst, 0, sectionError(err)
		}
		name, _, err := ld.entry(c&0x10 != 0, idx, false)
		if err != nil {
			return dst, 0, err
		}
		return ld.literalValue(dst, b, n, name, 0, c&0x20 != 0)
	case c&0x20 != 0: // Literal Field Line with Literal Name
		raw, huff, n, err := readString(b, 3, ld.d.cfg.MaxStringLength)
		if err != nil {
			return dst, 0, sectionError(err)
		}
		from := len(ld.d.strBuf)
		ld.d.strBuf, err = decodeString(ld.d.strBuf, raw, huff)
		if err != nil {
			return dst, 0, err
		}
		ld.d.patches = append(ld.d.patches, patch{field: len(dst), from: from, to: len(ld.d.strBuf)})
		return ld.literalValue(dst, b, n, "", len(ld.d.strBuf)-from, c&0x10 != 0)
	case c&0x10 != 0: // Indexed Field Line with Post-Base Index
		idx, n, err := readInt(b, 4)
		if err != nil {
			return dst, 0, sectionError(err)
		}
		name, value, err := ld.entry(false, idx, true)
		if err != nil {
			return dst, 0, err
		}
		return ld.add(dst, HeaderField{Name: name, Value: value}, 0), n, nil
	default: // Literal Field Line with Post-Base Name Reference
		idx, n, err := readInt(b, 3)
		if err != nil {
			return dst, 0, sectionError(err)
		}
		name, _, err := ld.entry(false, idx, true)
		if err != nil {
			return dst, 0, err
		}
		return ld.literalValue(dst, b, n, name, 0, c&0x08 != 0)
	}
}

// literalValue reads the value string at b[n:] and appends the field;
// nameLit is the length of a literal name already decoded into strBuf.
func (ld *lineDecoder) literalValue(dst []HeaderField, b []byte, n int, name string, nameLit int, never bool) ([]HeaderField, int, error) {
	raw, huff, m, err := readString(b[n:], 7, ld.d.cfg.MaxStringLength)
	if err != nil {
		return dst, 0, sectionError(err)
	}
	from := len(ld.d.strBuf)
	ld.d.strBuf, err = decodeString(ld.d.strBuf, raw, huff)
	if err != nil {
		return dst, 0, err
	}
	ld.d.patches = append(ld.d.patches, patch{field: len(dst), isValue: true, from: from, to: len(ld.d.strBuf)})
	f := HeaderField{Name: name, Sensitive: never}
	return ld.add(dst, f, nameLit+len(ld.d.strBuf)-from), n + m, nil
}

// add appends f and accounts for its size; litLen is the number of its
// bytes decoded into strBuf (patched in later, so not yet in f).
func (ld *lineDecoder) add(dst []HeaderField, f HeaderField, litLen int) []HeaderField {
	ld.size += uint64(len(f.Name)+len(f.Value)+litLen) + entryOverhead
	if ld.tooLarge || ld.size > ld.d.cfg.MaxFieldSectionSize {
		// Keep decoding to validate the section, but stop growing memory.
		ld.tooLarge = true
		ld.d.strBuf = ld.d.strBuf[:0]
		ld.d.patches = ld.d.patches[:0]
		return dst
	}
	return append(dst, f)
}

// entry resolves a static index, a relative dynamic index, or a post-base
// dynamic index, checking it against the Base and Required Insert Count.
func (ld *lineDecoder) entry(static bool, idx uint64, postBase bool) (name, value string, err error) {
	if static {
		if idx >= uint64(len(staticTable)) {
			return "", "", decompressionError("static table index out of range")
		}
		s := &staticTable[idx]
		return s.name, s.value, nil
	}
	var abs uint64
	if postBase {
		abs = ld.base + idx
		if abs < ld.base {
			return "", "", decompressionError("post-base index overflow")
		}
	} else {
		if idx >= ld.base {
			return "", "", decompressionError("relative index beyond Base")
		}
		abs = ld.base - 1 - idx
	}
	if abs >= ld.ric {
		return "", "", decompressionError("dynamic reference at or beyond Required Insert Count")
	}
	e := ld.d.table.get(abs)
	if e == nil {
		return "", "", decompressionError("reference to an evicted dynamic table entry")
	}
	ld.needed = max(ld.needed, abs+1)
	return e.name, e.value, nil
}
