package quicproto

import (
	"io"
	"time"

	"github.com/h3wasi/h3wasi/internal/rangeset"
)

// RecvState is the state of the receiving part of a stream (RFC 9000
// section 3.2, Figure 3).
type RecvState uint8

// Receiving-part states.
const (
	RecvRecv       RecvState = iota // receiving data, final size unknown
	RecvSizeKnown                   // FIN received, data still missing
	RecvDataRecvd                   // every byte up to the final size received
	RecvDataRead                    // the application read everything (terminal)
	RecvResetRecvd                  // RESET_STREAM received
	RecvResetRead                   // the application saw the reset (terminal)
)

var recvStateNames = [...]string{"Recv", "Size Known", "Data Recvd", "Data Read", "Reset Recvd", "Reset Read"}

func (s RecvState) String() string {
	if int(s) < len(recvStateNames) {
		return recvStateNames[s]
	}
	return "RecvState(?)"
}

// streamMaxOffset is the largest offset a stream can reach (RFC 9000
// section 19.8): flow control credit cannot be given beyond it.
const streamMaxOffset = 1<<62 - 1

// RecvStream is the receiving part of a stream: it reassembles STREAM
// frames arriving at any offset, enforces flow control and final-size
// rules, and hands bytes to the application in order.
//
// Received bytes live in a ring holding offsets [readOff, readOff+len(ring)):
// byte o sits at ring[o%len(ring)]. The ring never needs to exceed the
// advertised window, which bounds memory per stream; it grows by doubling.
type RecvStream struct {
	state RecvState
	fc    FlowRecv // our MAX_STREAM_DATA; fc.received is the highest offset received

	ring    []byte
	readOff uint64       // next byte the application reads
	recvd   rangeset.Set // received ranges at or above readOff

	finalSize uint64 // valid in Size Known and later states
	resetCode uint64

	stopCode    uint64
	stopped     bool // the application called CancelRead: data is discarded
	stopPending bool // STOP_SENDING is due

	// freed counts bytes discarded without being read, to be returned to
	// connection-level flow control by the owner (see TakeFreed).
	freed uint64
}

// Init prepares the receiving part with the window advertised in the
// transport parameters and the auto-tuning maximum.
func (r *RecvStream) Init(window, maxWindow uint64) {
	*r = RecvStream{}
	r.fc.Init(window, maxWindow)
}

// State returns the current state.
func (r *RecvStream) State() RecvState { return r.state }

// sizeKnown reports whether the final size is fixed.
func (r *RecvStream) sizeKnown() bool { return r.state != RecvRecv }

// checkFinal applies the final-size rules of RFC 9000 section 4.5 to data
// ending at end, with a FIN when fin.
func (r *RecvStream) checkFinal(end uint64, fin bool, frameType uint64) error {
	if r.sizeKnown() {
		if end > r.finalSize || (fin && end != r.finalSize) {
			return streamErr(FinalSizeError, frameType, "final size changed")
		}
		return nil
	}
	if fin && end < r.fc.received {
		return streamErr(FinalSizeError, frameType, "final size below data received")
	}
	return nil
}

// OnStreamFrame handles a STREAM frame's data at offset off. It returns
// the new credit the frame consumed (the increase of the highest offset,
// to charge to connection-level flow control) and whether the application
// has something new to read.
func (r *RecvStream) OnStreamFrame(off uint64, data []byte, fin bool) (newCredit uint64, readable bool, err error) {
	end := off + uint64(len(data))
	if off > streamMaxOffset || end > streamMaxOffset {
		return 0, false, streamErr(FrameEncodingError, streamFrameStream, "stream offset exceeds 2^62-1")
	}
	if err := r.checkFinal(end, fin, streamFrameStream); err != nil {
		return 0, false, err
	}
	before := r.fc.received
	if err := r.fc.SetReceived(end, streamFrameStream); err != nil {
		return 0, false, err
	}
	newCredit = r.fc.received - before
	if r.state != RecvRecv && r.state != RecvSizeKnown {
		return newCredit, false, nil // everything is already known
	}
	if fin && r.state == RecvRecv {
		r.state, r.finalSize = RecvSizeKnown, end
		r.fc.StopUpdates()
		readable = true
	}
	if r.stopped {
		r.freed += newCredit
		r.readOff = r.fc.received
		if r.state == RecvSizeKnown {
			newCredit += r.discardToFinal()
		}
		return newCredit, readable, nil
	}
	if end > r.readOff {
		fresh, err := r.store(off, data)
		if err != nil {
			return 0, false, err
		}
		readable = readable || fresh
	}
	if r.state == RecvSizeKnown && r.recvd.ContainsRange(r.readOff, r.finalSize) {
		r.state = RecvDataRecvd
		readable = true
		r.checkDataRead()
	}
	return newCredit, readable, nil
}

// streamMaxRecvRanges bounds the holes a receiving part tracks: the
// mitigation for stream fragmentation attacks of RFC 9000 section 21.6.
// An honest peer stays far below it (it would need thousands of losses
// in one window).
const streamMaxRecvRanges = 2048

// store copies the part of data at or above readOff into the ring and
// reports whether bytes became readable at readOff.
func (r *RecvStream) store(off uint64, data []byte) (bool, error) {
	if off < r.readOff {
		data = data[r.readOff-off:]
		off = r.readOff
	}
	end := off + uint64(len(data))
	if r.recvd.ContainsRange(off, end) {
		return false, nil // duplicate
	}
	r.reserve(end - r.readOff)
	pos := off % uint64(len(r.ring))
	n := copy(r.ring[pos:], data)
	copy(r.ring, data[n:])
	r.recvd.Add(off, end)
	if r.recvd.Len() > streamMaxRecvRanges {
		return false, streamErr(InternalError, streamFrameStream, "too many gaps in stream data")
	}
	first := r.recvd.At(0)
	return first.Start == r.readOff && off <= first.End, nil
}

// reserve grows the ring to hold need bytes from readOff on, moving the
// buffered ranges to their positions in the new ring.
func (r *RecvStream) reserve(need uint64) {
	if need <= uint64(len(r.ring)) {
		return
	}
	size := max(uint64(len(r.ring)), streamMinRing)
	for size < need {
		size *= 2
	}
	ring := make([]byte, size)
	for _, rg := range r.recvd.Ranges() {
		for o := rg.Start; o < rg.End; {
			chunk := r.contiguous(o, rg.End-o)
			p := o % size
			n := copy(ring[p:], chunk)
			copy(ring, chunk[n:])
			o += uint64(len(chunk))
		}
	}
	r.ring = ring
}

// contiguous returns buffered bytes from offset o, at most n, stopping
// where the ring wraps.
func (r *RecvStream) contiguous(o, n uint64) []byte {
	size := uint64(len(r.ring))
	pos := o % size
	return r.ring[pos : pos+min(n, size-pos)]
}

// Readable returns how many bytes can be read now without a gap.
func (r *RecvStream) Readable() uint64 {
	if r.stopped || r.recvd.IsEmpty() {
		return 0
	}
	if rg := r.recvd.At(0); rg.Start == r.readOff {
		return rg.End - rg.Start
	}
	return 0
}

// Peek returns the next in-order bytes without consuming them, up to the
// end of the ring (zero copy; valid until the next call that mutates the
// stream). Call Discard to consume them.
func (r *RecvStream) Peek() []byte {
	n := r.Readable()
	if n == 0 {
		return nil
	}
	return r.contiguous(r.readOff, n)
}

// Discard consumes n readable bytes (n <= Readable()) at time now (ns)
// with smoothed RTT srtt; see Read.
func (r *RecvStream) Discard(n int, now int64, srtt time.Duration) {
	if n <= 0 {
		return
	}
	r.readOff += uint64(n)
	r.recvd.RemoveBelow(r.readOff)
	if r.state == RecvRecv {
		r.fc.Consume(uint64(n), now, srtt)
	} else {
		r.fc.consumed += uint64(n)
	}
	r.checkDataRead()
}

// checkDataRead moves to Data Read once everything up to the FIN was read.
func (r *RecvStream) checkDataRead() {
	if r.state == RecvDataRecvd && r.readOff == r.finalSize {
		r.state = RecvDataRead
		r.ring = nil
	}
}

// discardToFinal ends a stream whose reader gave up once its final size
// is known: the bytes still to come are charged to flow control and freed
// at once, so the connection window does not leak when the stream state
// is dropped. It returns the credit charged.
func (r *RecvStream) discardToFinal() uint64 {
	extra := r.finalSize - r.fc.received
	r.fc.received = r.finalSize
	r.freed += r.finalSize - r.readOff
	r.readOff = r.finalSize
	r.state = RecvDataRead
	r.stopPending = false // the peer finished anyway
	return extra
}

// Read copies in-order bytes into p at time now (ns), with the smoothed
// RTT srtt used to auto-tune the window. It returns io.EOF once every byte
// up to the FIN was read, and an *ApplicationError with the peer's code
// after a RESET_STREAM (moving to Reset Read). n == 0 with a nil error
// means no data is available yet.
func (r *RecvStream) Read(p []byte, now int64, srtt time.Duration) (n int, err error) {
	switch r.state {
	case RecvResetRecvd, RecvResetRead:
		r.state = RecvResetRead
		return 0, &ApplicationError{Code: r.resetCode, Remote: true}
	case RecvDataRead:
		return 0, io.EOF
	}
	for n < len(p) {
		b := r.Peek()
		if len(b) == 0 {
			break
		}
		c := copy(p[n:], b)
		r.Discard(c, now, srtt)
		n += c
	}
	r.checkDataRead()
	if r.state == RecvDataRead {
		err = io.EOF
	}
	return n, err
}

// OnResetStream handles the peer's RESET_STREAM with final size
// finalSize. It returns the new credit to charge to connection-level flow
// control and whether the application must be told.
func (r *RecvStream) OnResetStream(code, finalSize uint64) (newCredit uint64, readable bool, err error) {
	if finalSize > streamMaxOffset {
		return 0, false, streamErr(FrameEncodingError, streamFrameResetStream, "final size exceeds 2^62-1")
	}
	if err := r.checkFinal(finalSize, true, streamFrameResetStream); err != nil {
		return 0, false, err
	}
	before := r.fc.received
	if err := r.fc.SetReceived(finalSize, streamFrameResetStream); err != nil {
		return 0, false, err
	}
	newCredit = r.fc.received - before
	if r.state != RecvRecv && r.state != RecvSizeKnown {
		return newCredit, false, nil // all data arrived or reset already known
	}
	// Bytes never read are discarded: give them back to the connection.
	r.freed += finalSize - r.readOff
	r.readOff, r.finalSize, r.resetCode = finalSize, finalSize, code
	r.ring = nil
	r.recvd.Clear()
	r.fc.StopUpdates()
	r.stopPending = false
	r.state = RecvResetRecvd
	if r.stopped {
		r.state = RecvResetRead // the application already gave up on the stream
	}
	return newCredit, true, nil
}

// CancelRead tells the peer to stop sending (STOP_SENDING with code) and
// discards buffered and future data. While the final size is unknown the
// stream waits for the peer's RESET_STREAM or FIN. It returns credit
// charged to connection-level flow control (see discardToFinal).
func (r *RecvStream) CancelRead(code uint64) (newCredit uint64) {
	if r.stopped || r.state == RecvDataRead || r.state == RecvResetRead {
		return 0
	}
	r.stopped, r.stopCode = true, code
	r.stopPending = r.state == RecvRecv
	r.freed += r.fc.received - r.readOff
	r.readOff = r.fc.received
	r.ring = nil
	r.recvd.Clear()
	r.fc.StopUpdates()
	switch r.state {
	case RecvSizeKnown, RecvDataRecvd:
		newCredit = r.discardToFinal()
	case RecvResetRecvd:
		r.state = RecvResetRead
	}
	return newCredit
}

// TakeFreed returns and clears the count of bytes discarded unread since
// the last call; the owner credits them to connection-level flow control.
func (r *RecvStream) TakeFreed() uint64 {
	n := r.freed
	r.freed = 0
	return n
}

// StopPending returns the STOP_SENDING code when that frame is due.
func (r *RecvStream) StopPending() (code uint64, ok bool) { return r.stopCode, r.stopPending }

// OnStopSent records that STOP_SENDING was sent.
func (r *RecvStream) OnStopSent() { r.stopPending = false }

// OnStopLost schedules STOP_SENDING again while the peer may still send.
func (r *RecvStream) OnStopLost() {
	if r.stopped && (r.state == RecvRecv || r.state == RecvSizeKnown) {
		r.stopPending = true
	}
}

// UpdatePending returns the limit a MAX_STREAM_DATA frame would carry
// when one is due; only a stream in the Recv state needs more credit.
func (r *RecvStream) UpdatePending() (limit uint64, ok bool) {
	if r.state != RecvRecv || r.stopped {
		return 0, false
	}
	return r.fc.UpdatePending()
}

// OnUpdateSent records that MAX_STREAM_DATA carrying limit was sent.
func (r *RecvStream) OnUpdateSent(limit uint64) { r.fc.OnUpdateSent(limit) }

// OnUpdateLost schedules MAX_STREAM_DATA again if still useful.
func (r *RecvStream) OnUpdateLost(limit uint64) {
	if r.state == RecvRecv && !r.stopped {
		r.fc.OnUpdateLost(limit)
	}
}

// Window returns the current receive window, which auto-tuning may grow.
func (r *RecvStream) Window() uint64 { return r.fc.window }

// Done reports whether the receiving part reached a terminal state.
func (r *RecvStream) Done() bool { return r.state == RecvDataRead || r.state == RecvResetRead }
