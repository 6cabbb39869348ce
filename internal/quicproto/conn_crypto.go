package quicproto

import (
	"github.com/h3wasi/h3wasi/internal/rangeset"
)

// maxCryptoBuffer bounds the out-of-order CRYPTO data we hold per encryption level
// (RFC 9000 section 7.5: at least 4096 bytes must be accepted; more than this is
// CRYPTO_BUFFER_EXCEEDED). TLS messages in QUIC handshakes are a few KB; certificate
// chains are the largest.
const maxCryptoBuffer = 64 << 10

// cryptoSend is the sending half of one encryption level's CRYPTO stream. Data is kept from
// the lowest unacknowledged offset so lost ranges can be sent again.
type cryptoSend struct {
	buf     []byte // data from offset base
	base    uint64 // everything below base is acknowledged
	sendOff uint64 // next offset never sent
	lost    rangeset.Set
	acked   rangeset.Set // acknowledged ranges above base
}

// write queues handshake bytes.
func (s *cryptoSend) write(b []byte) { s.buf = append(s.buf, b...) }

// end is the offset after the last queued byte.
func (s *cryptoSend) end() uint64 { return s.base + uint64(len(s.buf)) }

// pending reports whether there is data to send (new or to retransmit).
func (s *cryptoSend) pending() bool { return !s.lost.IsEmpty() || s.sendOff < s.end() }

// next returns the next chunk to send of at most max bytes: lost data first, then new data.
// The chunk aliases the buffer and is valid until the next write or ack.
func (s *cryptoSend) next(max int) (off uint64, data []byte, ok bool) {
	if max <= 0 {
		return 0, nil, false
	}
	if !s.lost.IsEmpty() {
		r := s.lost.At(0)
		n := min(r.Len(), uint64(max))
		s.lost.Remove(r.Start, r.Start+n)
		return r.Start, s.buf[r.Start-s.base : r.Start-s.base+n], true
	}
	if s.sendOff < s.end() {
		n := min(s.end()-s.sendOff, uint64(max))
		off = s.sendOff
		s.sendOff += n
		return off, s.buf[off-s.base : off-s.base+n], true
	}
	return 0, nil, false
}

// onAck records that [off, off+n) arrived.
func (s *cryptoSend) onAck(off, n uint64) {
	if off+n <= s.base {
		return
	}
	s.acked.Add(max(off, s.base), off+n)
	s.lost.Remove(off, off+n)
	r := s.acked.At(0)
	if r.Start == s.base {
		drop := r.End - s.base
		s.buf = s.buf[:copy(s.buf, s.buf[drop:])]
		if len(s.buf) == 0 {
			s.buf = nil // CRYPTO data is rare after the handshake: keep no buffer
		}
		s.base = r.End
		s.acked.RemoveBelow(s.base)
	}
}

// onLost queues [off, off+n) for retransmission, except what was acknowledged meanwhile.
func (s *cryptoSend) onLost(off, n uint64) {
	start, end := max(off, s.base), off+n
	if start >= end {
		return
	}
	s.lost.Add(start, end)
	for _, a := range s.acked.Ranges() {
		if a.Start < end && a.End > start {
			s.lost.Remove(a.Start, a.End)
		}
	}
}

// cryptoRecv is the receiving half of one level's CRYPTO stream: it reassembles out-of-order
// data in a bounded buffer and hands contiguous bytes to the TLS stack.
type cryptoRecv struct {
	off  uint64 // next offset to deliver
	buf  []byte // buf[i] is offset off+i
	have rangeset.Set
}

// push stores CRYPTO frame data at offset off.
func (r *cryptoRecv) push(off uint64, data []byte) error {
	end := off + uint64(len(data))
	if end <= r.off {
		return nil // duplicate of delivered data
	}
	if end-r.off > maxCryptoBuffer {
		return &TransportError{Code: CryptoBufferExceeded, FrameType: frameCrypto,
			Reason: "CRYPTO data too far ahead"}
	}
	if off < r.off {
		data = data[r.off-off:]
		off = r.off
	}
	need := int(end - r.off)
	if len(r.buf) < need {
		r.buf = append(r.buf, make([]byte, need-len(r.buf))...)
	}
	copy(r.buf[off-r.off:], data)
	r.have.Add(off, end)
	return nil
}

// contiguous returns the bytes ready for delivery; consume marks them delivered.
func (r *cryptoRecv) contiguous() []byte {
	if r.have.IsEmpty() {
		return nil
	}
	first := r.have.At(0)
	if first.Start != r.off {
		return nil
	}
	return r.buf[:first.End-r.off]
}

// consume drops n delivered bytes.
func (r *cryptoRecv) consume(n int) {
	r.buf = r.buf[:copy(r.buf, r.buf[n:])]
	if len(r.buf) == 0 {
		r.buf = nil // CRYPTO data is rare after the handshake: keep no buffer
	}
	r.off += uint64(n)
	r.have.RemoveBelow(r.off)
}

// sendOffHint is the offset the next chunk will most likely start at, for sizing a frame.
func (s *cryptoSend) sendOffHint() uint64 {
	if !s.lost.IsEmpty() {
		return s.lost.At(0).Start
	}
	return s.sendOff
}
