package quic

import "net/netip"

// Sending: a connection's datagrams are written one by one, or, when the socket supports
// segmentation offload, gathered into runs of equal-sized datagrams to the same address
// and written with one system call per run.

// drainSend writes every datagram the core has to send; t.mu is held.
func (c *Conn) drainSend(now int64) {
	t := c.t
	if t.gso == nil {
		for {
			n, to, ok := c.core.Send(now, t.sendBuf[:maxDatagramSize])
			if !ok {
				return
			}
			t.writeTo(t.sendBuf[:n], to, c)
		}
	}
	buf := t.sendBuf[:maxGSOSize]
	start, off, seg := 0, 0, 0
	var dst netip.AddrPort
	for {
		if len(buf)-off < maxDatagramSize {
			t.writeRun(buf[start:off], seg, dst, c)
			start, off = 0, 0
		}
		n, to, ok := c.core.Send(now, buf[off:off+maxDatagramSize])
		if !ok {
			break
		}
		if off > start && (to != dst || n > seg) {
			// This datagram cannot join the run: send the run; it starts the next.
			t.writeRun(buf[start:off], seg, dst, c)
			start = off
		}
		if off == start {
			seg, dst = n, to
		}
		off += n
		if n < seg || (off-start)/seg >= maxGSOSegs {
			// A shorter datagram ends a run; so does the kernel's segment limit.
			t.writeRun(buf[start:off], seg, dst, c)
			start, off = 0, 0
		}
	}
	if off > start {
		t.writeRun(buf[start:off], seg, dst, c)
	}
}

// writeRun writes a run of datagrams of seg bytes (the last may be shorter) to dst.
func (t *Transport) writeRun(b []byte, seg int, dst netip.AddrPort, c *Conn) {
	if len(b) == 0 {
		return
	}
	if len(b) > seg && t.gso != nil {
		sent, err := t.gso.write(b, seg, dst)
		if c.tracer != nil {
			for i := 0; i < sent; i += seg {
				c.trace(TraceDatagramSent, min(seg, sent-i), 0, nil)
			}
		}
		if err == nil {
			return
		}
		if err == errGSOUnsupported {
			t.gso = nil // fall back for good
		}
		b = b[sent:] // what was not sent goes one by one
	}
	for len(b) > 0 {
		n := min(seg, len(b))
		t.writeTo(b[:n], dst, c)
		b = b[n:]
	}
}
