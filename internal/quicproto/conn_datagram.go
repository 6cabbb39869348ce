package quicproto

import (
	"errors"

	"github.com/h3wasi/h3wasi/internal/quicwire"
	"github.com/h3wasi/h3wasi/internal/recovery"
)

// Unreliable datagrams (RFC 9221): DATAGRAM frames are sent once, never retransmitted,
// subject to congestion control, and delivered to the application as events. They are
// enabled when both sides advertise max_datagram_frame_size (Config.MaxDatagramFrameSize).

// fkDatagram records a DATAGRAM frame: nothing to repair when it is lost.
const fkDatagram frameKind = 0x42

// maxDatagramQueue bounds the datagrams waiting to be sent or read; beyond it the oldest
// are dropped, as a congested network would.
const maxDatagramQueue = 128

// Errors of SendDatagram.
var (
	// ErrDatagramsDisabled: the peer did not advertise max_datagram_frame_size (or we
	// did not).
	ErrDatagramsDisabled = errors.New("quic: datagrams not enabled by both sides")
	// ErrDatagramTooLarge: the datagram cannot fit in one packet or exceeds the peer's
	// max_datagram_frame_size.
	ErrDatagramTooLarge = errors.New("quic: datagram too large")
)

// datagramQueue is a bounded FIFO of owned byte slices.
type datagramQueue struct {
	q [][]byte
}

func (d *datagramQueue) push(b []byte) {
	if len(d.q) >= maxDatagramQueue {
		d.q = d.q[:copy(d.q, d.q[1:])]
	}
	d.q = append(d.q, b)
}

func (d *datagramQueue) pop() {
	d.q[0] = nil
	d.q = d.q[:copy(d.q, d.q[1:])]
}

// MaxDatagramSize returns the largest datagram SendDatagram accepts now (0 when datagrams
// are not enabled by both sides).
func (c *Conn) MaxDatagramSize() int {
	if c.cfg.MaxDatagramFrameSize == 0 || !c.peerParamsSeen || c.peerParams.maxDatagramFrameSize == 0 {
		return 0
	}
	// A 1-RTT packet: short header with the longest connection ID and packet number, the
	// AEAD tag, the frame type and a length field.
	room := min(c.cfg.MaxDatagramSize, c.peerMaxUDP) - (1 + MaxConnIDLen + 4) - 16 - 1 - 2
	return int(min(uint64(room), c.peerParams.maxDatagramFrameSize-3))
}

// SendDatagram queues b to be sent once in a DATAGRAM frame; b is copied.
func (c *Conn) SendDatagram(b []byte) error {
	if c.state >= stateClosing {
		return ErrConnClosed
	}
	max := c.MaxDatagramSize()
	if max == 0 {
		return ErrDatagramsDisabled
	}
	if len(b) > max {
		return ErrDatagramTooLarge
	}
	c.dgramOut.push(append([]byte(nil), b...))
	return nil
}

// onDatagramFrame handles a received DATAGRAM frame.
func (c *Conn) onDatagramFrame(ft quicwire.FrameType, p []byte) (int, error) {
	if c.cfg.MaxDatagramFrameSize == 0 {
		// We advertised no max_datagram_frame_size (RFC 9221 section 3).
		return 0, protoErr(uint64(ft), "DATAGRAM frame not negotiated")
	}
	f, n, err := quicwire.ParseDatagramFrame(p)
	if err != nil {
		return 0, err
	}
	if uint64(n) > c.cfg.MaxDatagramFrameSize {
		return 0, protoErr(uint64(ft), "DATAGRAM frame above max_datagram_frame_size")
	}
	c.events.push(Event{Kind: EventDatagram, Data: append([]byte(nil), f.Data...)})
	return n, nil
}

// appendDatagrams adds the queued datagrams that fit in this packet.
func (c *Conn) appendDatagrams(b []byte, maxEnd int) []byte {
	for len(c.dgramOut.q) > 0 {
		f := quicwire.DatagramFrame{Data: c.dgramOut.q[0]}
		if f.Len() > maxEnd-len(b) {
			break
		}
		b = f.Append(b)
		c.dgramOut.pop()
		c.spaces[levelApp].addFrame(recovery.Frame{Kind: fkDatagram})
	}
	return b
}
