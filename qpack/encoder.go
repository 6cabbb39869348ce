package qpack

import "errors"

// DefaultEncoderTableCapacity caps the dynamic table the encoder uses when
// EncoderConfig.TableCapacity is zero, whatever larger maximum the peer
// allows; it bounds memory and keeps indexes short.
const DefaultEncoderTableCapacity = 16 << 10

// maxUnackedSections bounds the field sections with dynamic references that
// the encoder tracks at once; past it, sections use only the static table
// and literals, so a peer that never acknowledges cannot grow our memory.
const maxUnackedSections = 1024

// EncoderConfig holds the peer's decoder settings and the encoder's choices.
type EncoderConfig struct {
	// MaxTableCapacity is the peer's SETTINGS_QPACK_MAX_TABLE_CAPACITY.
	MaxTableCapacity uint64
	// MaxBlockedStreams is the peer's SETTINGS_QPACK_BLOCKED_STREAMS.
	MaxBlockedStreams uint64
	// TableCapacity is the dynamic table capacity the encoder sets, at most
	// MaxTableCapacity; 0 means min(MaxTableCapacity,
	// DefaultEncoderTableCapacity).
	TableCapacity uint64
	// DisableHuffman sends every string literal without Huffman coding.
	DisableHuffman bool
}

// sectionRec records an unacknowledged field section with dynamic
// references: its Required Insert Count and the entries it references.
type sectionRec struct {
	ric  uint64
	refs []uint64
}

// Encoder encodes field sections and produces the encoder stream. It is a
// sans-IO state machine: EncodeFieldSection returns the field section for a
// HEADERS frame, AppendEncoderStream gives the bytes to write on the encoder
// stream (write them no later than the HEADERS frame, or the peer's decoder
// may block), and WriteDecoderStream consumes the peer's decoder stream.
// An Encoder is not safe for concurrent use.
type Encoder struct {
	cfg        EncoderConfig
	capacity   uint64 // the capacity the encoder will use
	maxEntries uint64
	table      dynTable
	byField    map[fieldKey]uint64 // newest absolute index of a (name, value)
	byName     map[string]uint64   // newest absolute index of a name

	knownReceived uint64
	capSent       bool
	streams       map[uint64][]sectionRec
	unacked       int
	blocking      []uint64 // streams with a section whose RIC > knownReceived

	// Blocked-stream slot policy (see worthBlocking).
	sections    uint64 // field sections encoded
	lastRelease uint64 // sections when a blocking stream was last released
	blockGain   int    // running mean of the savings of sections that took a slot

	out    []byte // encoder-stream bytes not yet taken
	decBuf []byte // an incomplete decoder instruction

	hist    history
	reps    []rep
	secRefs []uint64
	scratch []byte
	free    [][]uint64     // reusable refs slices
	recFree [][]sectionRec // reusable per-stream section lists
}

// NewEncoder returns an encoder for a peer with the given settings.
func NewEncoder(cfg EncoderConfig) *Encoder {
	e := &Encoder{
		byField: make(map[fieldKey]uint64),
		byName:  make(map[string]uint64),
		streams: make(map[uint64][]sectionRec),
	}
	e.configure(cfg)
	return e
}

func (e *Encoder) configure(cfg EncoderConfig) {
	c := cfg.TableCapacity
	if c == 0 || c > cfg.MaxTableCapacity {
		c = min(cfg.MaxTableCapacity, DefaultEncoderTableCapacity)
		if cfg.TableCapacity > 0 {
			c = cfg.MaxTableCapacity
		}
	}
	e.cfg = cfg
	e.capacity = c
	e.maxEntries = cfg.MaxTableCapacity / entryOverhead
	// A short history (a few header lists) predicted repeats best on the
	// offline interop corpus: what repeats in HTTP headers repeats soon.
	e.hist.init(int(c / 128))
}

// SetPeerSettings applies the peer's SETTINGS when they arrive after the
// encoder was created: an HTTP/3 client may send requests before the
// server's SETTINGS, using the defaults (no dynamic table). It fails once
// the dynamic table is in use, since the table and the Required Insert
// Count encoding depend on the settings; SETTINGS arrive only once.
func (e *Encoder) SetPeerSettings(cfg EncoderConfig) error {
	if e.capSent || e.table.insertCount() > 0 {
		return errors.New("qpack: peer settings changed after the dynamic table was used")
	}
	e.configure(cfg)
	return nil
}

// AppendEncoderStream appends the pending encoder-stream instructions to dst.
func (e *Encoder) AppendEncoderStream(dst []byte) []byte {
	dst = append(dst, e.out...)
	e.out = e.out[:0]
	return dst
}

// InsertCount returns the number of entries inserted so far.
func (e *Encoder) InsertCount() uint64 { return e.table.insertCount() }

// KnownReceivedCount returns the insert count acknowledged by the decoder.
func (e *Encoder) KnownReceivedCount() uint64 { return e.knownReceived }

// BlockingStreams returns the number of streams whose unacknowledged field
// sections may block the peer's decoder.
func (e *Encoder) BlockingStreams() int { return len(e.blocking) }

// isBlocking reports whether streamID is in the blocking list.
func (e *Encoder) isBlocking(streamID uint64) bool {
	for _, s := range e.blocking {
		if s == streamID {
			return true
		}
	}
	return false
}

// updateBlocking recomputes whether streamID blocks.
func (e *Encoder) updateBlocking(streamID uint64) {
	blocks := false
	for _, s := range e.streams[streamID] {
		if s.ric > e.knownReceived {
			blocks = true
		}
	}
	for i, s := range e.blocking {
		if s == streamID {
			if !blocks {
				e.blocking = append(e.blocking[:i], e.blocking[i+1:]...)
				e.lastRelease = e.sections
			}
			return
		}
	}
	if blocks {
		e.blocking = append(e.blocking, streamID)
	}
}

// setKnownReceived raises the Known Received Count and releases streams
// that no longer block.
func (e *Encoder) setKnownReceived(n uint64) {
	if n <= e.knownReceived {
		return
	}
	e.knownReceived = n
	for i := 0; i < len(e.blocking); {
		before := len(e.blocking)
		e.updateBlocking(e.blocking[i])
		if len(e.blocking) == before {
			i++
		}
	}
}

// release drops the references of an acknowledged or cancelled section.
func (e *Encoder) release(s sectionRec) {
	for _, abs := range s.refs {
		if t := e.table.get(abs); t != nil {
			t.refs--
		}
	}
	e.unacked--
	e.free = append(e.free, s.refs[:0])
}
