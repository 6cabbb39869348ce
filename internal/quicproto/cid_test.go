package quicproto

import (
	"errors"
	"testing"
)

// TestPeerCIDs runs NEW_CONNECTION_ID sequences against the peer connection ID rules of
// RFC 9000 section 5.1.2 and 19.15.
func TestPeerCIDs(t *testing.T) {
	type ncid struct {
		seq, rpt uint64
		id       byte
	}
	cases := []struct {
		name        string
		frames      []ncid
		code        ErrorCode // 0: no error
		cur         uint64    // sequence in use afterwards
		retired     int       // RETIRE_CONNECTION_ID frames owed
		activeAfter int
	}{
		{"add two", []ncid{{1, 0, 1}, {2, 0, 2}}, 0, 0, 0, 3},
		{"duplicate frame", []ncid{{1, 0, 1}, {1, 0, 1}}, 0, 0, 0, 2},
		{"sequence reused", []ncid{{1, 0, 1}, {1, 0, 9}}, ProtocolViolation, 0, 0, 0},
		{"ID reused", []ncid{{1, 0, 1}, {2, 0, 1}}, ProtocolViolation, 0, 0, 0},
		{"over the limit", []ncid{{1, 0, 1}, {2, 0, 2}, {3, 0, 3}, {4, 0, 4}}, ConnectionIDLimitError, 0, 0, 0},
		{"retire prior to", []ncid{{1, 0, 1}, {2, 2, 2}}, 0, 2, 2, 1},
		{"old sequence after retire prior to", []ncid{{5, 5, 5}, {3, 0, 3}}, 0, 5, 2, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var p peerCIDs
			p.limit = 4
			p.setInitial(MakeConnID([]byte{0, 0, 0, 0}))
			var err error
			for _, f := range tc.frames {
				if err = p.onNewConnID(f.seq, f.rpt, []byte{f.id, f.id, f.id, f.id}, ResetToken{f.id}); err != nil {
					break
				}
			}
			if tc.code != 0 {
				var te *TransportError
				if !errors.As(err, &te) || te.Code != tc.code {
					t.Fatalf("error %v, want %v", err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cur := p.current(); cur.seq != tc.cur {
				t.Errorf("current seq %d, want %d", cur.seq, tc.cur)
			}
			if len(p.pendingRetire) != tc.retired {
				t.Errorf("owe %d retirements (%v), want %d", len(p.pendingRetire), p.pendingRetire, tc.retired)
			}
			if len(p.cids) != tc.activeAfter {
				t.Errorf("%d active IDs, want %d", len(p.cids), tc.activeAfter)
			}
		})
	}
}

func TestStatelessResetMatch(t *testing.T) {
	var p peerCIDs
	p.limit = 4
	p.setInitial(MakeConnID([]byte{1}))
	tok := ResetToken{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	p.setInitialToken(tok)
	d := append(make([]byte, 10), tok[:]...)
	if !p.isStatelessReset(d) {
		t.Error("reset not recognised")
	}
	d[len(d)-1] ^= 1
	if p.isStatelessReset(d) {
		t.Error("wrong token recognised")
	}
	if p.isStatelessReset(tok[:]) {
		t.Error("datagram shorter than 21 bytes taken for a reset")
	}
}
