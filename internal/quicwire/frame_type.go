package quicwire

import "strconv"

// FrameType is a QUIC frame type (RFC 9000 section 19, RFC 9221).
type FrameType uint64

// Frame types. STREAM frames use the eight types 0x08-0x0f, whose low bits
// are the OFF, LEN and FIN flags.
const (
	FrameTypePadding     FrameType = 0x00
	FrameTypePing        FrameType = 0x01
	FrameTypeAck         FrameType = 0x02
	FrameTypeAckECN      FrameType = 0x03
	FrameTypeResetStream FrameType = 0x04
	FrameTypeStopSending FrameType = 0x05
	FrameTypeCrypto      FrameType = 0x06
	FrameTypeNewToken    FrameType = 0x07
	FrameTypeStream      FrameType = 0x08
	// FrameTypeStreamMax is the last STREAM type (OFF|LEN|FIN).
	FrameTypeStreamMax          FrameType = 0x0f
	FrameTypeMaxData            FrameType = 0x10
	FrameTypeMaxStreamData      FrameType = 0x11
	FrameTypeMaxStreamsBidi     FrameType = 0x12
	FrameTypeMaxStreamsUni      FrameType = 0x13
	FrameTypeDataBlocked        FrameType = 0x14
	FrameTypeStreamDataBlocked  FrameType = 0x15
	FrameTypeStreamsBlockedBidi FrameType = 0x16
	FrameTypeStreamsBlockedUni  FrameType = 0x17
	FrameTypeNewConnectionID    FrameType = 0x18
	FrameTypeRetireConnectionID FrameType = 0x19
	FrameTypePathChallenge      FrameType = 0x1a
	FrameTypePathResponse       FrameType = 0x1b
	FrameTypeConnectionClose    FrameType = 0x1c
	FrameTypeConnectionCloseApp FrameType = 0x1d
	FrameTypeHandshakeDone      FrameType = 0x1e
	FrameTypeDatagram           FrameType = 0x30
	FrameTypeDatagramWithLength FrameType = 0x31
)

// Encoding details shared by the frame codecs.
const (
	streamFlagFin          = 0x01
	streamFlagLen          = 0x02
	streamFlagOff          = 0x04
	maxStreamsLimit        = 1 << 60
	statelessResetTokenLen = 16
	pathDataLen            = 8
	frameTypeTableSize     = 0x20
)

// frameInfo describes one frame type: its name, the packet types it may be
// sent in (RFC 9000 Table 3) and whether it elicits an acknowledgement.
type frameInfo struct {
	name       string
	allowed    uint8 // bit per packet kind: pkInitial, pkHandshake, pk0RTT, pk1RTT
	ackElicits bool
	probing    bool
}

const (
	pkInitial = 1 << iota
	pkHandshake
	pk0RTT
	pk1RTT
	pkIH01 = pkInitial | pkHandshake | pk0RTT | pk1RTT
	pkIH1  = pkInitial | pkHandshake | pk1RTT
	pk01   = pk0RTT | pk1RTT
)

var frameInfos = [frameTypeTableSize]frameInfo{
	FrameTypePadding:            {"PADDING", pkIH01, false, true},
	FrameTypePing:               {"PING", pkIH01, true, false},
	FrameTypeAck:                {"ACK", pkIH1, false, false},
	FrameTypeAckECN:             {"ACK_ECN", pkIH1, false, false},
	FrameTypeResetStream:        {"RESET_STREAM", pk01, true, false},
	FrameTypeStopSending:        {"STOP_SENDING", pk01, true, false},
	FrameTypeCrypto:             {"CRYPTO", pkIH1, true, false},
	FrameTypeNewToken:           {"NEW_TOKEN", pk1RTT, true, false},
	0x08:                        {"STREAM", pk01, true, false},
	0x09:                        {"STREAM", pk01, true, false},
	0x0a:                        {"STREAM", pk01, true, false},
	0x0b:                        {"STREAM", pk01, true, false},
	0x0c:                        {"STREAM", pk01, true, false},
	0x0d:                        {"STREAM", pk01, true, false},
	0x0e:                        {"STREAM", pk01, true, false},
	0x0f:                        {"STREAM", pk01, true, false},
	FrameTypeMaxData:            {"MAX_DATA", pk01, true, false},
	FrameTypeMaxStreamData:      {"MAX_STREAM_DATA", pk01, true, false},
	FrameTypeMaxStreamsBidi:     {"MAX_STREAMS", pk01, true, false},
	FrameTypeMaxStreamsUni:      {"MAX_STREAMS", pk01, true, false},
	FrameTypeDataBlocked:        {"DATA_BLOCKED", pk01, true, false},
	FrameTypeStreamDataBlocked:  {"STREAM_DATA_BLOCKED", pk01, true, false},
	FrameTypeStreamsBlockedBidi: {"STREAMS_BLOCKED", pk01, true, false},
	FrameTypeStreamsBlockedUni:  {"STREAMS_BLOCKED", pk01, true, false},
	FrameTypeNewConnectionID:    {"NEW_CONNECTION_ID", pk01, true, true},
	FrameTypeRetireConnectionID: {"RETIRE_CONNECTION_ID", pk01, true, false},
	FrameTypePathChallenge:      {"PATH_CHALLENGE", pk01, true, true},
	FrameTypePathResponse:       {"PATH_RESPONSE", pk1RTT, true, true},
	// Table 3 marks the transport CONNECTION_CLOSE "ih01": in Initial and
	// Handshake packets it is the only form allowed (section 12.5).
	FrameTypeConnectionClose:    {"CONNECTION_CLOSE", pkIH01, false, false},
	FrameTypeConnectionCloseApp: {"CONNECTION_CLOSE", pk01, false, false},
	FrameTypeHandshakeDone:      {"HANDSHAKE_DONE", pk1RTT, true, false},
}

// datagramInfo covers 0x30 and 0x31 (RFC 9221 section 4 and 5).
var datagramInfo = frameInfo{"DATAGRAM", pk01, true, false}

// info returns the description of t and whether t is a known frame type.
func (t FrameType) info() (frameInfo, bool) {
	switch {
	case t < frameTypeTableSize && t != 0x1f:
		return frameInfos[t], true
	case t == FrameTypeDatagram || t == FrameTypeDatagramWithLength:
		return datagramInfo, true
	}
	return frameInfo{}, false
}

// String returns the RFC name of the frame type (STREAM for all eight STREAM
// types, with the type value for unknown types).
func (t FrameType) String() string {
	if fi, ok := t.info(); ok {
		return fi.name
	}
	return "FrameType(0x" + strconv.FormatUint(uint64(t), 16) + ")"
}

// IsKnown reports whether this package can parse frames of type t.
func (t FrameType) IsKnown() bool {
	_, ok := t.info()
	return ok
}

// IsStream reports whether t is one of the eight STREAM frame types.
func (t FrameType) IsStream() bool { return t >= FrameTypeStream && t <= FrameTypeStreamMax }

// IsAckEliciting reports whether a packet carrying a frame of type t must be
// acknowledged: every frame except ACK, PADDING and CONNECTION_CLOSE (RFC 9002
// section 2).
func (t FrameType) IsAckEliciting() bool {
	fi, ok := t.info()
	return ok && fi.ackElicits
}

// IsProbing reports whether t is a probing frame (PATH_CHALLENGE,
// PATH_RESPONSE, NEW_CONNECTION_ID, PADDING; RFC 9000 section 9.1).
func (t FrameType) IsProbing() bool {
	fi, ok := t.info()
	return ok && fi.probing
}

// AllowedIn reports whether a frame of type t may appear in a packet of type
// pt (RFC 9000 Table 3, RFC 9221 section 4). A frame received in a packet type
// where it is not allowed is a PROTOCOL_VIOLATION (RFC 9000 section 12.4).
func (t FrameType) AllowedIn(pt PacketType) bool {
	fi, ok := t.info()
	if !ok {
		return false
	}
	var bit uint8
	switch pt {
	case PacketInitial:
		bit = pkInitial
	case PacketHandshake:
		bit = pkHandshake
	case Packet0RTT:
		bit = pk0RTT
	case Packet1RTT:
		bit = pk1RTT
	}
	return fi.allowed&bit != 0
}

// ParseFrameType reads the frame type at the start of b. A type encoded on
// more bytes than necessary is a PROTOCOL_VIOLATION (RFC 9000 section 12.4);
// an unknown type is a FRAME_ENCODING_ERROR (section 19.21).
func ParseFrameType(b []byte) (FrameType, int, error) {
	if len(b) > 0 && b[0] < 0x40 {
		// Fast path: every known type fits in one byte.
		t := FrameType(b[0])
		if !t.IsKnown() {
			return 0, 0, frameError(FrameEncodingError, t, "unknown frame type")
		}
		return t, 1, nil
	}
	v, n := readVarint(b)
	if n == 0 {
		return 0, 0, frameError(FrameEncodingError, 0, "truncated frame type")
	}
	t := FrameType(v)
	if n != VarintLen(v) {
		return 0, 0, frameError(ProtocolViolation, t, "frame type not minimally encoded")
	}
	if !t.IsKnown() {
		return 0, 0, frameError(FrameEncodingError, t, "unknown frame type")
	}
	return t, n, nil
}

// expectType reads the frame type at the start of b and checks that it is in
// [lo, hi]: parsers serve a family of types (ACK and ACK_ECN, the eight STREAM
// types, both MAX_STREAMS types, ...).
func expectType(b []byte, lo, hi FrameType) (FrameType, int, error) {
	t, n, err := ParseFrameType(b)
	if err != nil {
		return 0, 0, err
	}
	if t < lo || t > hi {
		return 0, 0, frameError(InternalError, t, "parser called for the wrong frame type")
	}
	return t, n, nil
}

// truncated is the error for a frame whose body ends early.
func truncated(t FrameType) error {
	return frameError(FrameEncodingError, t, "frame truncated")
}
