package quicproto

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestPairDatagrams(t *testing.T) {
	enable := func(c *Config) { c.MaxDatagramFrameSize = 1500 }
	p := newPair(t, pairOpts{seed: 34, link: lan, clientCfg: enable, serverCfg: enable})
	p.handshake()
	max := p.cc.MaxDatagramSize()
	if max < 1000 {
		t.Fatalf("MaxDatagramSize %d", max)
	}
	if err := p.cc.SendDatagram(make([]byte, max+1)); !errors.Is(err, ErrDatagramTooLarge) {
		t.Errorf("oversize datagram: %v", err)
	}
	for i := range 10 {
		if err := p.cc.SendDatagram([]byte(fmt.Sprintf("datagram %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	p.run(time.Second, func() bool {
		for {
			ev, ok := p.sc.NextEvent()
			if !ok {
				break
			}
			if ev.Kind == EventDatagram {
				got = append(got, string(ev.Data))
			}
		}
		return len(got) == 10
	})
	if len(got) != 10 || got[0] != "datagram 0" || got[9] != "datagram 9" {
		t.Fatalf("server got %q", got)
	}
}

func TestDatagramsDisabled(t *testing.T) {
	// Only the client enables them: neither side may send them.
	p := newPair(t, pairOpts{seed: 35, link: lan, clientCfg: func(c *Config) { c.MaxDatagramFrameSize = 1500 }})
	p.handshake()
	if err := p.cc.SendDatagram([]byte("x")); !errors.Is(err, ErrDatagramsDisabled) {
		t.Fatalf("client: %v", err)
	}
	if err := p.sc.SendDatagram([]byte("x")); !errors.Is(err, ErrDatagramsDisabled) {
		t.Fatalf("server: %v", err)
	}
}
