package quicproto

import "testing"

func TestStreamID(t *testing.T) {
	tests := []struct {
		id                     StreamID
		typ                    StreamType
		num                    uint64
		client, bidi           bool
		clientSend, clientRecv bool
		serverSend, serverRecv bool
	}{
		{0, StreamClientBidi, 0, true, true, true, true, true, true},
		{1, StreamServerBidi, 0, false, true, true, true, true, true},
		{2, StreamClientUni, 0, true, false, true, false, false, true},
		{3, StreamServerUni, 0, false, false, false, true, true, false},
		{4, StreamClientBidi, 1, true, true, true, true, true, true},
		{15, StreamServerUni, 3, false, false, false, true, true, false},
		{1<<62 - 1, StreamServerUni, 1<<60 - 1, false, false, false, true, true, false},
	}
	for _, tt := range tests {
		id := tt.id
		if id.Type() != tt.typ || id.Num() != tt.num || MakeStreamID(tt.typ, tt.num) != id {
			t.Errorf("%d: type %d num %d", id, id.Type(), id.Num())
		}
		if id.IsClientInitiated() != tt.client || id.IsServerInitiated() == tt.client {
			t.Errorf("%d: initiator wrong", id)
		}
		if id.IsBidi() != tt.bidi || id.IsUni() == tt.bidi {
			t.Errorf("%d: direction wrong", id)
		}
		if id.IsLocal(false) != tt.client || id.IsLocal(true) == tt.client {
			t.Errorf("%d: IsLocal wrong", id)
		}
		if id.CanSend(false) != tt.clientSend || id.CanRecv(false) != tt.clientRecv ||
			id.CanSend(true) != tt.serverSend || id.CanRecv(true) != tt.serverRecv {
			t.Errorf("%d: CanSend/CanRecv wrong", id)
		}
		if streamTypeFor(tt.bidi, !tt.client) != tt.typ {
			t.Errorf("%d: streamTypeFor wrong", id)
		}
	}
}
