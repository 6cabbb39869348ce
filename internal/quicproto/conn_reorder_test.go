package quicproto

import (
	"bytes"
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/netsim"
)

// TestPairReorderingAdapts: on a link that reorders but never loses, the first reordered
// packets look lost (packet threshold 3); their late ACKs raise the reordering threshold,
// so that later reordering costs no spurious losses (and no congestion events).
func TestPairReorderingAdapts(t *testing.T) {
	link := netsim.LinkConfig{Delay: 10 * time.Millisecond, Reorder: 0.05, ReorderDelay: 500 * time.Microsecond}
	p := newPair(t, pairOpts{seed: 41, link: link})
	p.handshake()
	data := testData(2 << 20)
	got, took := p.transfer(data, 30*time.Second)
	if !bytes.Equal(got, data) {
		t.Fatal("data differs")
	}
	st := p.cc.Stats()
	t.Logf("2 MiB in %v: %d packets sent, %d declared lost, reordering threshold %d",
		took, st.PacketsSent, st.PacketsLost, p.cc.lr.ReorderThreshold())
	// With the fixed threshold of 3 this run declares 26 packets lost and takes 3.4 s.
	if st.PacketsLost > 10 {
		t.Errorf("%d spurious losses", st.PacketsLost)
	}
	if p.cc.lr.ReorderThreshold() <= 3 {
		t.Errorf("reordering threshold %d was not raised", p.cc.lr.ReorderThreshold())
	}
}
