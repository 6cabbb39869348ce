package qpack

// WriteEncoderStream consumes bytes read from the peer's encoder stream, in
// chunks of any size: an instruction split across calls is buffered until it
// is complete. Inserts may unblock field sections; see ReadyStreams. Errors
// are QPACK_ENCODER_STREAM_ERROR connection errors.
func (d *Decoder) WriteEncoderStream(p []byte) error {
	buf := p
	if len(d.encBuf) > 0 {
		d.encBuf = append(d.encBuf, p...)
		buf = d.encBuf
	}
	inserted := false
	for len(buf) > 0 {
		n, ins, err := d.encoderInstruction(buf)
		if err == errNeedMore {
			break
		}
		if err != nil {
			d.encBuf = d.encBuf[:0]
			return err
		}
		inserted = inserted || ins
		buf = buf[n:]
	}
	// Keep the incomplete tail; readString has already bounded its length.
	if len(d.encBuf) > 0 {
		n := copy(d.encBuf, buf)
		d.encBuf = d.encBuf[:n]
	} else {
		d.encBuf = append(d.encBuf, buf...)
	}
	if inserted {
		d.unblock()
	}
	return nil
}

// encoderInstruction parses and applies one encoder instruction (RFC 9204
// Section 4.3). It returns errNeedMore, leaving state untouched, when b
// holds only part of the instruction.
func (d *Decoder) encoderInstruction(b []byte) (n int, inserted bool, err error) {
	c := b[0]
	switch {
	case c&0x80 != 0: // Insert with Name Reference
		idx, n, err := readInt(b, 6)
		if err != nil {
			return 0, false, streamError(err)
		}
		raw, huff, m, err := readString(b[n:], 7, d.cfg.MaxStringLength)
		if err != nil {
			return 0, false, streamError(err)
		}
		var name string
		if c&0x40 != 0 {
			if idx >= uint64(len(staticTable)) {
				return 0, false, encoderStreamError("static table index out of range")
			}
			name = staticTable[idx].name
		} else {
			e := d.relative(idx)
			if e == nil {
				return 0, false, encoderStreamError("name reference to a missing dynamic entry")
			}
			name = e.name
		}
		d.strBuf, err = decodeString(d.strBuf[:0], raw, huff)
		if err != nil {
			return 0, false, streamError(err)
		}
		return n + m, true, d.insert(name, string(d.strBuf))
	case c&0x40 != 0: // Insert with Literal Name
		rawName, hName, n, err := readString(b, 5, d.cfg.MaxStringLength)
		if err != nil {
			return 0, false, streamError(err)
		}
		rawValue, hValue, m, err := readString(b[n:], 7, d.cfg.MaxStringLength)
		if err != nil {
			return 0, false, streamError(err)
		}
		d.strBuf, err = decodeString(d.strBuf[:0], rawName, hName)
		if err != nil {
			return 0, false, streamError(err)
		}
		nameLen := len(d.strBuf)
		d.strBuf, err = decodeString(d.strBuf, rawValue, hValue)
		if err != nil {
			return 0, false, streamError(err)
		}
		s := string(d.strBuf) // one allocation for name and value
		return n + m, true, d.insert(s[:nameLen], s[nameLen:])
	case c&0x20 != 0: // Set Dynamic Table Capacity
		capacity, n, err := readInt(b, 5)
		if err != nil {
			return 0, false, streamError(err)
		}
		if capacity > d.cfg.MaxTableCapacity {
			return 0, false, encoderStreamError("capacity exceeds the maximum table capacity")
		}
		d.table.capacity = capacity
		d.evictTo(capacity)
		return n, false, nil
	default: // Duplicate
		idx, n, err := readInt(b, 5)
		if err != nil {
			return 0, false, streamError(err)
		}
		e := d.relative(idx)
		if e == nil {
			return 0, false, encoderStreamError("duplicate of a missing dynamic entry")
		}
		return n, true, d.insert(e.name, e.value)
	}
}

// relative returns the entry at a relative index on the encoder stream
// (relative to the insert count), or nil if it does not exist.
func (d *Decoder) relative(idx uint64) *tableEntry {
	n := d.table.insertCount()
	if idx >= n {
		return nil
	}
	return d.table.get(n - 1 - idx)
}

// insert adds an entry, evicting as needed (RFC 9204 Section 3.2.2).
func (d *Decoder) insert(name, value string) error {
	size := uint64(len(name)+len(value)) + entryOverhead
	if size > d.table.capacity {
		return encoderStreamError("entry larger than the table capacity")
	}
	d.evictTo(d.table.capacity - size)
	d.table.add(name, value)
	return nil
}

// evictTo evicts the oldest entries until the table size is at most limit.
func (d *Decoder) evictTo(limit uint64) {
	for d.table.size > limit {
		d.table.evictOldest()
	}
}

// streamError maps a primitive error on the encoder stream to
// QPACK_ENCODER_STREAM_ERROR.
func streamError(err error) error {
	switch err {
	case errNeedMore:
		return errNeedMore
	case errIntOverflow:
		return encoderStreamError("integer overflow")
	case errStringTooLong:
		return encoderStreamError("string literal too long")
	}
	if e, ok := err.(*Error); ok {
		return &Error{Code: CodeEncoderStreamError, Reason: e.Reason}
	}
	return err
}
