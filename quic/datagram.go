package quic

import (
	"context"
	"errors"

	"github.com/h3wasi/h3wasi/internal/quicproto"
)

// Unreliable datagrams (RFC 9221): sent once in DATAGRAM frames, never retransmitted,
// subject to congestion control. Received datagrams wait in a bounded queue; when the
// application does not read them fast enough the oldest are dropped, as the network
// might have dropped them.

// maxDatagramBacklog bounds the received datagrams waiting for ReceiveDatagram.
const maxDatagramBacklog = 128

// Errors of SendDatagram.
var (
	// ErrDatagramsDisabled: one side did not enable datagrams (Config.EnableDatagrams).
	ErrDatagramsDisabled = quicproto.ErrDatagramsDisabled
	// ErrDatagramTooLarge: the datagram does not fit in one packet.
	ErrDatagramTooLarge = quicproto.ErrDatagramTooLarge
)

// SendDatagram sends p once in a DATAGRAM frame; p is copied. Delivery is not
// guaranteed.
func (c *Conn) SendDatagram(p []byte) error {
	t := c.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := c.err(); err != nil {
		return err
	}
	if err := c.core.SendDatagram(p); err != nil {
		if errors.Is(err, quicproto.ErrConnClosed) {
			return c.err()
		}
		return err
	}
	c.flush(t.now())
	return nil
}

// ReceiveDatagram returns the next datagram the peer sent.
func (c *Conn) ReceiveDatagram(ctx context.Context) ([]byte, error) {
	t := c.t
	for {
		t.mu.Lock()
		if len(c.dgrams) > 0 {
			d := c.dgrams[0]
			c.dgrams[0] = nil
			c.dgrams = c.dgrams[1:]
			if len(c.dgrams) > 0 {
				signal(c.dgramReady)
			}
			t.mu.Unlock()
			return d, nil
		}
		err := c.err()
		t.mu.Unlock()
		if err != nil {
			return nil, err
		}
		select {
		case <-c.dgramReady:
		case <-c.ctx.Done():
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// onDatagram queues a received datagram; t.mu is held.
func (c *Conn) onDatagram(d []byte) {
	if len(c.dgrams) >= maxDatagramBacklog {
		c.dgrams[0] = nil
		c.dgrams = c.dgrams[1:]
	}
	c.dgrams = append(c.dgrams, d)
	signal(c.dgramReady)
}
