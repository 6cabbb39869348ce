package quicproto

// StreamID identifies a stream within a connection (RFC 9000 section 2.1).
// Its two low bits encode who opened the stream and in which directions
// data flows; the remaining bits count streams of that type.
type StreamID uint64

// StreamType is the two low bits of a stream ID: initiator (bit 0) and
// directionality (bit 1). There are four stream-count spaces, one per type.
type StreamType uint8

// The four stream types of RFC 9000 section 2.1, Table 1.
const (
	StreamClientBidi StreamType = 0x0
	StreamServerBidi StreamType = 0x1
	StreamClientUni  StreamType = 0x2
	StreamServerUni  StreamType = 0x3
)

// streamMaxCount is the largest stream count a MAX_STREAMS frame or the
// max_streams transport parameters may carry: 2^60 streams of one type need
// stream IDs up to 2^62-1, the largest varint.
const streamMaxCount = 1 << 60

// MakeStreamID returns the num-th stream (counting from zero) of type t.
func MakeStreamID(t StreamType, num uint64) StreamID {
	return StreamID(num<<2 | uint64(t&3))
}

// Type returns the stream type encoded in the two low bits of id.
func (id StreamID) Type() StreamType { return StreamType(id & 3) }

// Num returns the index of id among the streams of its type (0 for the
// first stream of that type).
func (id StreamID) Num() uint64 { return uint64(id) >> 2 }

// IsServerInitiated reports whether the server opened the stream.
func (id StreamID) IsServerInitiated() bool { return id&1 == 1 }

// IsClientInitiated reports whether the client opened the stream.
func (id StreamID) IsClientInitiated() bool { return id&1 == 0 }

// IsUni reports whether the stream carries data in one direction only.
func (id StreamID) IsUni() bool { return id&2 == 2 }

// IsBidi reports whether the stream carries data in both directions.
func (id StreamID) IsBidi() bool { return id&2 == 0 }

// IsLocal reports whether the endpoint that is the server when isServer is
// true (the client otherwise) opened the stream.
func (id StreamID) IsLocal(isServer bool) bool { return id.IsServerInitiated() == isServer }

// CanSend reports whether the local endpoint (server when isServer) may
// send data on the stream: every bidirectional stream, and only its own
// unidirectional streams.
func (id StreamID) CanSend(isServer bool) bool { return id.IsBidi() || id.IsLocal(isServer) }

// CanRecv reports whether the local endpoint may receive data on the
// stream: every bidirectional stream, and only the peer's unidirectional
// streams.
func (id StreamID) CanRecv(isServer bool) bool { return id.IsBidi() || !id.IsLocal(isServer) }

// streamTypeFor returns the type of streams that are bidirectional when
// bidi, opened by the server when server.
func streamTypeFor(bidi, server bool) StreamType {
	var t StreamType
	if !bidi {
		t |= 2
	}
	if server {
		t |= 1
	}
	return t
}
