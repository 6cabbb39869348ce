package quicproto

import "testing"

func TestFlowSend(t *testing.T) {
	var f FlowSend
	if f.SetLimit(100) != true || f.SetLimit(50) != false || f.Limit() != 100 {
		t.Fatal("SetLimit must only raise")
	}
	f.Use(60)
	if f.Available() != 40 {
		t.Fatalf("Available %d", f.Available())
	}
	f.MarkBlocked()
	if _, ok := f.BlockedPending(); ok {
		t.Fatal("blocked with credit left")
	}
	f.Use(40)
	f.MarkBlocked()
	if l, ok := f.BlockedPending(); !ok || l != 100 {
		t.Fatalf("BlockedPending %d %v", l, ok)
	}
	f.OnBlockedSent(100)
	f.MarkBlocked()
	if _, ok := f.BlockedPending(); ok {
		t.Fatal("blocked frame repeated for one limit")
	}
	f.SetLimit(200)
	f.OnBlockedLost(100)
	if _, ok := f.BlockedPending(); ok {
		t.Fatal("stale blocked frame resent")
	}
	f.Use(100)
	f.MarkBlocked()
	if l, ok := f.BlockedPending(); !ok || l != 200 {
		t.Fatalf("new limit not reported blocked: %d %v", l, ok)
	}
}

func TestFlowRecv(t *testing.T) {
	tests := []struct {
		name    string
		adds    []uint64
		wantErr bool
	}{
		{"exact", []uint64{600, 400}, false},
		{"over", []uint64{600, 401}, true},
		{"overflow", []uint64{1, 1<<64 - 1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f FlowRecv
			f.Init(1000, 1000)
			var err error
			for _, n := range tt.adds {
				if err = f.AddReceived(n, streamFrameStream); err != nil {
					break
				}
			}
			if tt.wantErr {
				wantCode(t, err, FlowControlError)
			} else {
				wantCode(t, err, NoError)
			}
		})
	}
	var f FlowRecv
	f.Init(1000, 4000)
	wantCode(t, f.SetReceived(1001, streamFrameStream), FlowControlError)
	wantCode(t, f.SetReceived(1000, streamFrameStream), NoError)
	wantCode(t, f.SetReceived(10, streamFrameStream), NoError) // lower totals are ignored
	f.Consume(499, 0, 0)
	if _, ok := f.UpdatePending(); ok {
		t.Fatal("update before half window")
	}
	f.Consume(1, 0, 0)
	l, ok := f.UpdatePending()
	if !ok || l != 1500 {
		t.Fatalf("UpdatePending %d %v", l, ok)
	}
	f.OnUpdateSent(l)
	f.OnUpdateLost(1200) // older than the last sent: ignored
	if _, ok := f.UpdatePending(); ok {
		t.Fatal("stale update rescheduled")
	}
	f.EnsureWindow(3000)
	if f.Window() != 3000 {
		t.Fatalf("EnsureWindow: %d", f.Window())
	}
	f.EnsureWindow(9000)
	if f.Window() != 4000 {
		t.Fatalf("EnsureWindow beyond maximum: %d", f.Window())
	}
}
