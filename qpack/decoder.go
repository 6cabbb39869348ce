package qpack

import "errors"

// HeaderField is one field line of a field section.
type HeaderField struct {
	Name  string
	Value string
	// Sensitive marks a field that must never enter a compression table
	// (RFC 9204 Section 7.1). The encoder then emits a never-indexed literal;
	// the decoder sets it on fields received as never-indexed literals, so
	// that an intermediary re-encodes them the same way.
	Sensitive bool
}

// Size returns the field's size as counted against
// SETTINGS_MAX_FIELD_SECTION_SIZE (RFC 9114 Section 4.2.2).
func (f HeaderField) Size() uint64 {
	return uint64(len(f.Name)+len(f.Value)) + entryOverhead
}

// Default limits of a Decoder when its config leaves them zero.
const (
	DefaultMaxFieldSectionSize = 64 << 10
	DefaultMaxStringLength     = 64 << 10
	DefaultMaxBlockedBytes     = 256 << 10
)

// DecoderConfig holds the decoder's limits. MaxTableCapacity and
// MaxBlockedStreams are the values this endpoint advertises in
// SETTINGS_QPACK_MAX_TABLE_CAPACITY and SETTINGS_QPACK_BLOCKED_STREAMS.
type DecoderConfig struct {
	MaxTableCapacity  uint64
	MaxBlockedStreams uint64
	// MaxFieldSectionSize bounds the decoded size of one field section
	// (SETTINGS_MAX_FIELD_SECTION_SIZE); 0 means DefaultMaxFieldSectionSize.
	MaxFieldSectionSize uint64
	// MaxStringLength bounds each encoded string literal, on the encoder
	// stream and in field sections; 0 means DefaultMaxStringLength.
	MaxStringLength uint64
	// MaxBlockedBytes bounds the bytes of blocked field sections held at
	// once; 0 means DefaultMaxBlockedBytes.
	MaxBlockedBytes uint64
	// InitialTableCapacity is the dynamic table capacity before any Set
	// Dynamic Table Capacity instruction. RFC 9204 says 0, which is what
	// HTTP/3 must use; drafts of QPACK (and the QPACK offline interop
	// files made with them) started at MaxTableCapacity. It is capped at
	// MaxTableCapacity.
	InitialTableCapacity uint64
}

// ErrFieldSectionTooLarge is returned when a decoded field section exceeds
// MaxFieldSectionSize. It is a stream error, not a QPACK connection error:
// the HTTP/3 layer rejects the message (RFC 9114 Section 4.2.2). The
// decoder state stays consistent.
var ErrFieldSectionTooLarge = errors.New("qpack: field section exceeds the size limit")

// blockedSection is a field section waiting for inserts.
type blockedSection struct {
	streamID uint64
	ric      uint64
	data     []byte
}

// Decoder decodes field sections and consumes the peer encoder's stream. It
// is a sans-IO state machine: the caller feeds the bytes read from the
// encoder stream with WriteEncoderStream, decodes each HEADERS frame payload
// with DecodeFieldSection, and writes the bytes returned by
// AppendDecoderStream on its decoder stream. A Decoder is not safe for
// concurrent use.
type Decoder struct {
	cfg        DecoderConfig
	table      dynTable
	maxEntries uint64

	encBuf []byte // an incomplete encoder instruction
	out    []byte // decoder-stream bytes not yet taken
	// knownReceived is the insert count the encoder has learned from our
	// acknowledgments and increments.
	knownReceived uint64

	blocked      []blockedSection
	blockedBytes uint64
	ready        []blockedSection

	strBuf  []byte
	patches []patch
}

// patch records where a field's literal string lives in strBuf.
type patch struct {
	field    int
	isValue  bool
	from, to int
}

// NewDecoder returns a decoder with the given limits.
func NewDecoder(cfg DecoderConfig) *Decoder {
	if cfg.MaxFieldSectionSize == 0 {
		cfg.MaxFieldSectionSize = DefaultMaxFieldSectionSize
	}
	if cfg.MaxStringLength == 0 {
		cfg.MaxStringLength = DefaultMaxStringLength
	}
	if cfg.MaxBlockedBytes == 0 {
		cfg.MaxBlockedBytes = DefaultMaxBlockedBytes
	}
	d := &Decoder{cfg: cfg, maxEntries: cfg.MaxTableCapacity / entryOverhead}
	d.table.capacity = min(cfg.InitialTableCapacity, cfg.MaxTableCapacity)
	return d
}

// InsertCount returns the number of entries inserted into the dynamic table.
func (d *Decoder) InsertCount() uint64 { return d.table.insertCount() }

// TableSize returns the current size and capacity of the dynamic table.
func (d *Decoder) TableSize() (size, capacity uint64) { return d.table.size, d.table.capacity }

// BlockedStreams returns the number of field sections waiting for inserts.
func (d *Decoder) BlockedStreams() int { return len(d.blocked) }

// AppendDecoderStream appends the pending decoder-stream instructions
// (Section Acknowledgments, Stream Cancellations, and an Insert Count
// Increment covering every insert not yet acknowledged) to dst.
func (d *Decoder) AppendDecoderStream(dst []byte) []byte {
	dst = append(dst, d.out...)
	d.out = d.out[:0]
	if n := d.table.insertCount(); n > d.knownReceived {
		dst = appendInt(dst, 0x00, 6, n-d.knownReceived)
		d.knownReceived = n
	}
	return dst
}

// CancelStream abandons the field sections of a stream that was reset or
// whose reading stopped: a blocked section is dropped and a Stream
// Cancellation is queued for the decoder stream (RFC 9204 Section 4.4.2).
func (d *Decoder) CancelStream(streamID uint64) {
	d.blocked = d.removeStream(d.blocked, streamID)
	d.ready = d.removeStream(d.ready, streamID)
	if d.cfg.MaxTableCapacity > 0 {
		d.out = appendInt(d.out, 0x40, 6, streamID)
	}
}

func (d *Decoder) removeStream(list []blockedSection, streamID uint64) []blockedSection {
	out := list[:0]
	for _, b := range list {
		if b.streamID == streamID {
			d.blockedBytes -= uint64(len(b.data))
			continue
		}
		out = append(out, b)
	}
	clear(list[len(out):])
	return out
}

// ReadyStreams appends to dst the IDs of streams whose blocked field
// sections have become decodable; decode each with ResumeFieldSection.
func (d *Decoder) ReadyStreams(dst []uint64) []uint64 {
	for _, b := range d.ready {
		dst = append(dst, b.streamID)
	}
	return dst
}

// ResumeFieldSection decodes the previously blocked field section of
// streamID once ReadyStreams has reported it, appending its fields to dst.
func (d *Decoder) ResumeFieldSection(dst []HeaderField, streamID uint64) ([]HeaderField, error) {
	for i, b := range d.ready {
		if b.streamID != streamID {
			continue
		}
		d.ready = append(d.ready[:i], d.ready[i+1:]...)
		d.blockedBytes -= uint64(len(b.data))
		fields, blocked, err := d.DecodeFieldSection(dst, streamID, b.data)
		if blocked && err == nil {
			err = decompressionError("resumed section still blocked")
		}
		return fields, err
	}
	return dst, errors.New("qpack: no ready field section for stream")
}

// decodeRIC recovers the Required Insert Count from its encoding (RFC 9204
// Section 4.5.1.1).
func (d *Decoder) decodeRIC(enc uint64) (uint64, error) {
	if enc == 0 {
		return 0, nil
	}
	full := 2 * d.maxEntries
	if enc > full {
		return 0, decompressionError("encoded Required Insert Count out of range")
	}
	maxValue := d.table.insertCount() + d.maxEntries
	maxWrapped := maxValue / full * full
	ric := maxWrapped + enc - 1
	if ric > maxValue {
		if ric <= full {
			return 0, decompressionError("invalid Required Insert Count")
		}
		ric -= full
	}
	if ric == 0 {
		return 0, decompressionError("Required Insert Count of zero encoded as non-zero")
	}
	return ric, nil
}

// DecodeFieldSection decodes the encoded field section of a stream (a
// HEADERS frame payload) and appends its fields to dst. If the section
// refers to inserts not yet received, the decoder keeps a copy, returns
// blocked=true, and reports the stream in ReadyStreams once the inserts
// arrive; more blocked streams than MaxBlockedStreams is a
// QPACK_DECOMPRESSION_FAILED error.
func (d *Decoder) DecodeFieldSection(dst []HeaderField, streamID uint64, section []byte) (fields []HeaderField, blocked bool, err error) {
	enc, n, err := readInt(section, 8)
	if err != nil {
		return dst, false, sectionError(err)
	}
	ric, err := d.decodeRIC(enc)
	if err != nil {
		return dst, false, err
	}
	if len(section) == n {
		return dst, false, decompressionError("truncated field section prefix")
	}
	sign := section[n]&0x80 != 0
	delta, m, err := readInt(section[n:], 7)
	if err != nil {
		return dst, false, sectionError(err)
	}
	base := ric + delta
	if sign {
		if delta >= ric {
			return dst, false, decompressionError("negative Base")
		}
		base = ric - delta - 1
	} else if base < ric || base > maxInt {
		return dst, false, decompressionError("Base overflow")
	}
	if ric > d.table.insertCount() {
		return dst, true, d.block(streamID, ric, section)
	}
	fields, err = d.decodeLines(dst, section[n+m:], ric, base)
	if err != nil && err != ErrFieldSectionTooLarge {
		return fields, false, err
	}
	if ric > 0 {
		d.out = appendInt(d.out, 0x80, 7, streamID)
		d.knownReceived = max(d.knownReceived, ric)
	}
	return fields, false, err
}

// block stores a copy of a section that waits for inserts.
func (d *Decoder) block(streamID, ric uint64, section []byte) error {
	if uint64(len(d.blocked)+len(d.ready)) >= d.cfg.MaxBlockedStreams {
		return decompressionError("too many blocked streams")
	}
	if d.blockedBytes+uint64(len(section)) > d.cfg.MaxBlockedBytes {
		return decompressionError("blocked field sections exceed the memory limit")
	}
	for _, b := range d.blocked {
		if b.streamID == streamID {
			return decompressionError("second blocked field section on one stream")
		}
	}
	d.blockedBytes += uint64(len(section))
	d.blocked = append(d.blocked, blockedSection{streamID, ric, append([]byte(nil), section...)})
	return nil
}

// unblock moves sections whose inserts have all arrived to the ready list.
func (d *Decoder) unblock() {
	n := d.table.insertCount()
	out := d.blocked[:0]
	for _, b := range d.blocked {
		if b.ric <= n {
			d.ready = append(d.ready, b)
			continue
		}
		out = append(out, b)
	}
	clear(d.blocked[len(out):])
	d.blocked = out
}

// sectionError maps a primitive error inside a field section to
// QPACK_DECOMPRESSION_FAILED.
func sectionError(err error) error {
	switch err {
	case errNeedMore:
		return decompressionError("truncated field section")
	case errIntOverflow:
		return decompressionError("integer overflow")
	case errStringTooLong:
		return decompressionError("string literal too long")
	}
	return err
}
