package quicproto

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/netsim"
)

// TestPairEcho: the client writes on 20 bidirectional streams, the server echoes each
// stream back, through loss, reordering and duplication: data flows both ways.
func TestPairEcho(t *testing.T) {
	for seed := uint64(400); seed < 408; seed++ {
		link := netsim.LinkConfig{Delay: time.Duration(1+seed%20) * time.Millisecond, Loss: float64(seed%4) * 0.05, Reorder: 0.02, Duplicate: 0.01}
		p := newPair(t, pairOpts{seed: seed, link: link})
		p.handshake()
		const N = 20
		type st struct {
			s    *Stream
			data []byte
			off  int
			got  []byte
			done bool
		}
		var sts []*st
		for i := 0; i < N; i++ {
			s, _ := p.cc.OpenStream(false)
			sts = append(sts, &st{s: s, data: testData(1000 * (i + 1))})
		}
		// server side echo state
		type es struct {
			s      *Stream
			pend   []byte
			closed bool
			eof    bool
		}
		srv := map[StreamID]*es{}
		buf := make([]byte, 8192)
		ok := p.run(300*time.Second, func() bool {
			for _, x := range sts {
				if x.off < len(x.data) {
					x.off += x.s.Write(x.data[x.off:])
					if x.off == len(x.data) {
						x.s.Close()
					}
				}
				for !x.done {
					n, err := x.s.Read(buf)
					x.got = append(x.got, buf[:n]...)
					if errors.Is(err, io.EOF) {
						x.done = true
					} else if err != nil {
						t.Fatalf("seed %d: client read %v", seed, err)
					}
					if n == 0 {
						break
					}
				}
			}
			for {
				ev, ok := p.sc.NextEvent()
				if !ok {
					break
				}
				if ev.Kind == EventStreamOpened {
					srv[ev.Stream] = &es{s: p.sc.Stream(ev.Stream)}
				}
			}
			for _, e := range srv {
				for !e.eof {
					n, err := e.s.Read(buf)
					e.pend = append(e.pend, buf[:n]...)
					if errors.Is(err, io.EOF) {
						e.eof = true
					}
					if n == 0 {
						break
					}
				}
				if len(e.pend) > 0 {
					w := e.s.Write(e.pend)
					e.pend = e.pend[w:]
				}
				if e.eof && len(e.pend) == 0 && !e.closed {
					e.s.Close()
					e.closed = true
				}
			}
			for _, x := range sts {
				if !x.done {
					return false
				}
			}
			return true
		})
		if !ok {
			t.Fatalf("seed %d: echo incomplete: %v %v", seed, p.cc.Err(), p.sc.Err())
		}
		for i, x := range sts {
			if !bytes.Equal(x.got, x.data) {
				t.Fatalf("seed %d stream %d differs", seed, i)
			}
		}
	}
}
