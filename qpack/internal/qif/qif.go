// Package qif reads and writes the files of the QPACK Offline Interop
// (https://github.com/quicwg/base-drafts/wiki/QPACK-Offline-Interop): QIF
// text header lists and the binary encoded files, and runs a qpack Encoder
// or Decoder over them.
package qif

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/h3wasi/h3wasi/qpack"
)

// Parse reads a QIF: one "name\tvalue" line per field, a blank line after
// each header list, and '#' comment lines. The n-th list (from 0) belongs
// to stream n+1.
func Parse(r io.Reader) ([][]qpack.HeaderField, error) {
	var lists [][]qpack.HeaderField
	var cur []qpack.HeaderField
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSuffix(sc.Text(), "\r")
		switch {
		case strings.HasPrefix(s, "#"):
		case s == "":
			if cur != nil {
				lists = append(lists, cur)
				cur = nil
			}
		default:
			name, value, ok := strings.Cut(s, "\t")
			if !ok {
				return nil, fmt.Errorf("qif: line %d: no tab", line)
			}
			cur = append(cur, qpack.HeaderField{Name: name, Value: value})
		}
	}
	if cur != nil {
		lists = append(lists, cur)
	}
	return lists, sc.Err()
}

// Write writes header lists as a QIF.
func Write(w io.Writer, lists [][]qpack.HeaderField) error {
	bw := bufio.NewWriter(w)
	for _, l := range lists {
		for _, f := range l {
			bw.WriteString(f.Name)
			bw.WriteByte('\t')
			bw.WriteString(f.Value)
			bw.WriteByte('\n')
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// Block is one block of an encoded file: data for stream StreamID, where
// stream 0 is the encoder stream.
type Block struct {
	StreamID uint64
	Data     []byte
}

// ReadBlocks splits an encoded file into its blocks: an 8-byte big-endian
// stream ID, a 4-byte big-endian length, then the data.
func ReadBlocks(b []byte) ([]Block, error) {
	var out []Block
	for len(b) > 0 {
		if len(b) < 12 {
			return nil, errors.New("qif: truncated block header")
		}
		id := binary.BigEndian.Uint64(b)
		n := binary.BigEndian.Uint32(b[8:])
		if uint64(len(b)-12) < uint64(n) {
			return nil, errors.New("qif: truncated block")
		}
		out = append(out, Block{id, b[12 : 12+int(n)]})
		b = b[12+int(n):]
	}
	return out, nil
}

// AppendBlock appends one block to an encoded file.
func AppendBlock(dst []byte, streamID uint64, data []byte) []byte {
	dst = binary.BigEndian.AppendUint64(dst, streamID)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(data)))
	return append(dst, data...)
}

// Settings are the parameters of an encoded file, from its name suffix
// .out.<table size>.<max blocked>.<ack mode>.
type Settings struct {
	TableSize  uint64
	MaxBlocked uint64
	// AckMode 1: the encoder assumed each section acknowledged at once.
	AckMode int
}

// ParseName parses the settings from an encoded file's name.
func ParseName(name string) (Settings, bool) {
	i := strings.LastIndex(name, ".out.")
	if i < 0 {
		return Settings{}, false
	}
	var s Settings
	_, err := fmt.Sscanf(name[i+len(".out."):], "%d.%d.%d", &s.TableSize, &s.MaxBlocked, &s.AckMode)
	return s, err == nil
}

// Encode encodes header list n on stream n+1 with a qpack.Encoder for a
// peer with the given settings. Encoder-stream bytes produced for a list
// are written as a block just before its field section. In ack mode 1 a
// Decoder runs alongside and its decoder stream is fed back at once, as a
// peer acknowledging immediately would.
func Encode(lists [][]qpack.HeaderField, s Settings) ([]byte, error) {
	enc := qpack.NewEncoder(qpack.EncoderConfig{
		MaxTableCapacity:  s.TableSize,
		MaxBlockedStreams: s.MaxBlocked,
		TableCapacity:     s.TableSize,
	})
	dec := qpack.NewDecoder(qpack.DecoderConfig{MaxTableCapacity: s.TableSize, MaxBlockedStreams: s.MaxBlocked})
	var out, es, sec, ds []byte
	for i, l := range lists {
		id := uint64(i + 1)
		sec = enc.EncodeFieldSection(sec[:0], id, l)
		es = enc.AppendEncoderStream(es[:0])
		if len(es) > 0 {
			out = AppendBlock(out, 0, es)
		}
		out = AppendBlock(out, id, sec)
		if s.AckMode != 1 {
			continue
		}
		if err := dec.WriteEncoderStream(es); err != nil {
			return nil, err
		}
		if _, blocked, err := dec.DecodeFieldSection(nil, id, sec); err != nil || blocked {
			return nil, fmt.Errorf("qif: stream %d: blocked=%v: %v", id, blocked, err)
		}
		ds = dec.AppendDecoderStream(ds[:0])
		if err := enc.WriteDecoderStream(ds); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Decode decodes an encoded file with a qpack.Decoder advertising the
// given settings and returns the header lists ordered by stream ID.
// Blocked sections are decoded as soon as the encoder stream unblocks them.
func Decode(data []byte, s Settings) ([][]qpack.HeaderField, []uint64, error) {
	blocks, err := ReadBlocks(data)
	if err != nil {
		return nil, nil, err
	}
	dec := qpack.NewDecoder(qpack.DecoderConfig{
		MaxTableCapacity:    s.TableSize,
		MaxBlockedStreams:   s.MaxBlocked,
		MaxFieldSectionSize: 1 << 20,
		// The corpus predates RFC 9204: its encoders assumed the table
		// starts at full capacity.
		InitialTableCapacity: s.TableSize,
	})
	got := map[uint64][]qpack.HeaderField{}
	var ready []uint64
	for _, b := range blocks {
		if b.StreamID == 0 {
			if err := dec.WriteEncoderStream(b.Data); err != nil {
				return nil, nil, err
			}
			ready = dec.ReadyStreams(ready[:0])
			for _, id := range ready {
				f, err := dec.ResumeFieldSection(nil, id)
				if err != nil {
					return nil, nil, fmt.Errorf("stream %d: %w", id, err)
				}
				got[id] = f
			}
			continue
		}
		f, blocked, err := dec.DecodeFieldSection(nil, b.StreamID, b.Data)
		if err != nil {
			return nil, nil, fmt.Errorf("stream %d: %w", b.StreamID, err)
		}
		if !blocked {
			got[b.StreamID] = f
		}
		dec.AppendDecoderStream(nil)
	}
	if n := dec.BlockedStreams(); n > 0 {
		return nil, nil, fmt.Errorf("qif: %d sections still blocked at end of file", n)
	}
	ids := make([]uint64, 0, len(got))
	for id := range got {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	lists := make([][]qpack.HeaderField, len(ids))
	for i, id := range ids {
		lists[i] = got[id]
	}
	return lists, ids, nil
}

// Equal reports whether two header lists hold the same names and values in
// the same order.
func Equal(a, b []qpack.HeaderField) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].Value != b[i].Value {
			return false
		}
	}
	return true
}
