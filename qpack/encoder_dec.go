package qpack

// WriteDecoderStream consumes bytes read from the peer's decoder stream, in
// chunks of any size (RFC 9204 Section 4.4). Errors are
// QPACK_DECODER_STREAM_ERROR connection errors.
func (e *Encoder) WriteDecoderStream(p []byte) error {
	buf := p
	if len(e.decBuf) > 0 {
		e.decBuf = append(e.decBuf, p...)
		buf = e.decBuf
	}
	for len(buf) > 0 {
		n, err := e.decoderInstruction(buf)
		if err == errNeedMore {
			break
		}
		if err != nil {
			e.decBuf = e.decBuf[:0]
			return err
		}
		buf = buf[n:]
	}
	// An incomplete instruction is a prefix of one integer: at most 10 bytes.
	if len(e.decBuf) > 0 {
		n := copy(e.decBuf, buf)
		e.decBuf = e.decBuf[:n]
	} else {
		e.decBuf = append(e.decBuf, buf...)
	}
	return nil
}

// decoderInstruction parses and applies one decoder instruction.
func (e *Encoder) decoderInstruction(b []byte) (int, error) {
	c := b[0]
	var prefix uint8
	switch {
	case c&0x80 != 0:
		prefix = 7
	default:
		prefix = 6
	}
	v, n, err := readInt(b, prefix)
	if err == errIntOverflow {
		return 0, decoderStreamError("integer overflow")
	}
	if err != nil {
		return 0, err
	}
	switch {
	case c&0x80 != 0:
		return n, e.sectionAck(v)
	case c&0x40 != 0:
		e.cancelStream(v)
		return n, nil
	default:
		return n, e.insertCountIncrement(v)
	}
}

// sectionAck handles Section Acknowledgment: the oldest outstanding section
// of the stream is acknowledged (RFC 9204 Section 4.4.1).
func (e *Encoder) sectionAck(streamID uint64) error {
	secs := e.streams[streamID]
	if len(secs) == 0 {
		return decoderStreamError("Section Acknowledgment for a stream without outstanding sections")
	}
	s := secs[0]
	if len(secs) == 1 {
		delete(e.streams, streamID)
		e.recFree = append(e.recFree, secs[:0])
	} else {
		n := copy(secs, secs[1:])
		e.streams[streamID] = secs[:n]
	}
	e.release(s)
	if s.ric > e.knownReceived {
		e.setKnownReceived(s.ric)
	}
	e.updateBlocking(streamID)
	return nil
}

// cancelStream handles Stream Cancellation: every outstanding section of
// the stream is released (RFC 9204 Section 4.4.2). Unknown streams are not
// an error: the decoder may cancel streams that had no dynamic references.
func (e *Encoder) cancelStream(streamID uint64) {
	secs, ok := e.streams[streamID]
	for _, s := range secs {
		e.release(s)
	}
	if ok {
		delete(e.streams, streamID)
		e.recFree = append(e.recFree, secs[:0])
	}
	e.updateBlocking(streamID)
}

// insertCountIncrement handles Insert Count Increment (RFC 9204 Section
// 4.4.3).
func (e *Encoder) insertCountIncrement(inc uint64) error {
	if inc == 0 {
		return decoderStreamError("Insert Count Increment of zero")
	}
	if inc > e.table.insertCount()-e.knownReceived {
		return decoderStreamError("Insert Count Increment beyond the insert count")
	}
	e.setKnownReceived(e.knownReceived + inc)
	return nil
}

// CancelStream releases a stream's outstanding field sections on the
// encoder side, when the application knows the peer will never acknowledge
// them (e.g. the stream was reset before the HEADERS frame was sent).
func (e *Encoder) CancelStream(streamID uint64) { e.cancelStream(streamID) }
