package quicproto

import (
	"bytes"
	"testing"

	"github.com/h3wasi/h3wasi/internal/quicwire"
)

// TestStreamControlEncoding checks StreamControl's encoding against the
// quicwire frame types, byte for byte.
func TestStreamControlEncoding(t *testing.T) {
	tests := []struct {
		c    StreamControl
		want interface{ Append([]byte) []byte }
	}{
		{StreamControl{FrameType: quicwire.FrameTypeResetStream, ID: 4, Code: 0x10c, Value: 70000},
			quicwire.ResetStreamFrame{StreamID: 4, ErrorCode: 0x10c, FinalSize: 70000}},
		{StreamControl{FrameType: quicwire.FrameTypeStopSending, ID: 3, Code: 9},
			quicwire.StopSendingFrame{StreamID: 3, ErrorCode: 9}},
		{StreamControl{FrameType: quicwire.FrameTypeMaxData, Value: 1 << 30},
			quicwire.MaxDataFrame{MaximumData: 1 << 30}},
		{StreamControl{FrameType: quicwire.FrameTypeDataBlocked, Value: 5},
			quicwire.DataBlockedFrame{MaximumData: 5}},
		{StreamControl{FrameType: quicwire.FrameTypeMaxStreamsBidi, Value: 100},
			quicwire.MaxStreamsFrame{Bidi: true, MaximumStreams: 100}},
		{StreamControl{FrameType: quicwire.FrameTypeMaxStreamsUni, Value: 1 << 60},
			quicwire.MaxStreamsFrame{MaximumStreams: 1 << 60}},
		{StreamControl{FrameType: quicwire.FrameTypeStreamsBlockedBidi, Value: 7},
			quicwire.StreamsBlockedFrame{Bidi: true, MaximumStreams: 7}},
		{StreamControl{FrameType: quicwire.FrameTypeStreamsBlockedUni, Value: 8},
			quicwire.StreamsBlockedFrame{MaximumStreams: 8}},
		{StreamControl{FrameType: quicwire.FrameTypeMaxStreamData, ID: 1 << 40, Value: 1 << 20},
			quicwire.MaxStreamDataFrame{StreamID: 1 << 40, MaximumStreamData: 1 << 20}},
		{StreamControl{FrameType: quicwire.FrameTypeStreamDataBlocked, ID: 8, Value: 64},
			quicwire.StreamDataBlockedFrame{StreamID: 8, MaximumStreamData: 64}},
	}
	for _, tt := range tests {
		got, want := tt.c.Append(nil), tt.want.Append(nil)
		if !bytes.Equal(got, want) || tt.c.Len() != len(want) {
			t.Errorf("%v: got %x (len %d), want %x", tt.c.FrameType, got, tt.c.Len(), want)
		}
	}
	c := StreamChunk{ID: 5, Offset: 9, Data: []byte("hi"), Fin: true}
	if f := c.Frame(); f.StreamID != 5 || f.Offset != 9 || string(f.Data) != "hi" || !f.Fin {
		t.Errorf("Frame() = %+v", f)
	}
}
