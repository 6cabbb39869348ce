package quicwire

import "encoding/binary"

// QUIC versions this package knows the long-header layout of.
const (
	// Version1 is QUIC version 1 (RFC 9000).
	Version1 uint32 = 0x00000001
	// Version2 is QUIC version 2 (RFC 9369).
	Version2 uint32 = 0x6b3343cf
)

// MaxConnIDLen is the longest connection ID QUIC versions 1 and 2 allow
// (RFC 9000 section 17.2). Version-independent packets (RFC 8999) allow 255.
const MaxConnIDLen = 20

// PacketType identifies the kind of a QUIC packet, independently of the
// version-specific bits that encode it.
type PacketType uint8

// Packet types. PacketUnknownVersion is a long-header packet of a version this
// package cannot parse beyond the RFC 8999 invariants: the endpoint answers it
// with Version Negotiation.
const (
	PacketUnknownVersion PacketType = iota
	PacketInitial
	Packet0RTT
	PacketHandshake
	PacketRetry
	PacketVersionNegotiation
	Packet1RTT
)

var packetTypeNames = [...]string{"UnknownVersion", "Initial", "0-RTT", "Handshake", "Retry", "VersionNegotiation", "1-RTT"}

// String returns the packet type's name.
func (t PacketType) String() string {
	if int(t) < len(packetTypeNames) {
		return packetTypeNames[t]
	}
	return "PacketType(?)"
}

// IsSupportedVersion reports whether v is a version whose long headers this
// package parses (QUIC v1 and v2).
func IsSupportedVersion(v uint32) bool { return v == Version1 || v == Version2 }

// IsLongHeader reports whether a packet whose first byte is b has a long
// header (RFC 8999 section 5.1).
func IsLongHeader(b byte) bool { return b&0x80 != 0 }

// Header is a parsed packet header. Byte slices alias the input; nothing is
// copied. The packet number and the low bits of the first byte are still under
// header protection when a header is parsed, so they are not decoded here.
type Header struct {
	// Type is the packet type.
	Type PacketType
	// FirstByte is the (still protected) first byte.
	FirstByte byte
	// Version is the long-header version (0 for Version Negotiation and for
	// short headers).
	Version uint32
	// DstConnID and SrcConnID are the connection IDs (SrcConnID is empty for
	// short headers).
	DstConnID, SrcConnID []byte
	// Token is the Initial token or the Retry token.
	Token []byte
	// RetryIntegrityTag is the 16-byte Retry Integrity Tag (Retry only).
	RetryIntegrityTag []byte
	// SupportedVersions holds the Version Negotiation version list, 4 bytes
	// per version in network byte order (see VersionAt).
	SupportedVersions []byte
	// Length is the Length field of Initial, 0-RTT and Handshake packets:
	// packet number plus protected payload.
	Length uint64
	// PNOffset is the offset of the protected packet number field (0 for
	// Retry and Version Negotiation).
	PNOffset int
	// End is the offset just past this packet. For packets with a Length field
	// it is PNOffset+Length, and a further coalesced packet may start there;
	// for the other types it is the length of the input.
	End int
}

// NumVersions returns the number of versions in a Version Negotiation packet.
func (h *Header) NumVersions() int { return len(h.SupportedVersions) / 4 }

// VersionAt returns the i-th version of a Version Negotiation packet.
func (h *Header) VersionAt(i int) uint32 {
	return binary.BigEndian.Uint32(h.SupportedVersions[4*i:])
}

// Header errors are PROTOCOL_VIOLATIONs, although RFC 9000 has a malformed
// packet dropped rather than the connection closed. They are shared values:
// junk from the network should not cost an allocation. Callers must not
// modify them.
var (
	errHeaderShort     = &TransportError{Code: ProtocolViolation, Reason: "packet header truncated"}
	errHeaderForm      = &TransportError{Code: ProtocolViolation, Reason: "wrong header form"}
	errConnIDTooLong   = &TransportError{Code: ProtocolViolation, Reason: "connection ID longer than 20 bytes"}
	errLengthTooLong   = &TransportError{Code: ProtocolViolation, Reason: "packet Length exceeds datagram"}
	errVersionListBad  = &TransportError{Code: ProtocolViolation, Reason: "malformed Version Negotiation version list"}
	errRetryShort      = &TransportError{Code: ProtocolViolation, Reason: "Retry packet too short"}
	errShortConnIDSize = &TransportError{Code: InternalError, Reason: "invalid short header connection ID length"}
)

// longTypeBits maps a packet type to the two type bits of a long header for
// the given version (RFC 9000 section 17.2, RFC 9369 section 3.2).
func longTypeBits(version uint32, t PacketType) byte {
	var bits byte
	switch t {
	case PacketInitial:
		bits = 0
	case Packet0RTT:
		bits = 1
	case PacketHandshake:
		bits = 2
	case PacketRetry:
		bits = 3
	default:
		panic("quicwire: not a long-header packet type")
	}
	if version == Version2 {
		bits = (bits + 1) & 3
	}
	return bits
}

// longPacketType is the inverse of longTypeBits.
func longPacketType(version uint32, first byte) PacketType {
	bits := (first >> 4) & 3
	if version == Version2 {
		bits = (bits + 3) & 3
	}
	return PacketInitial + PacketType(bits)
}

// ParseHeader parses the header of the first packet in b. shortConnIDLen is
// the length of the connection IDs this endpoint issues, needed because short
// headers do not encode it.
func ParseHeader(b []byte, shortConnIDLen int) (Header, error) {
	if len(b) > 0 && IsLongHeader(b[0]) {
		return ParseLongHeader(b)
	}
	return ParseShortHeader(b, shortConnIDLen)
}

// ParseLongHeader parses a long header: Initial (with token), 0-RTT, Handshake,
// Retry and Version Negotiation for QUIC v1 and v2. For other versions it
// parses only the RFC 8999 invariants (version and connection IDs of up to 255
// bytes) and returns Type PacketUnknownVersion, so the caller can answer with
// Version Negotiation.
func ParseLongHeader(b []byte) (Header, error) {
	var h Header
	if len(b) < 7 {
		return h, errHeaderShort
	}
	if !IsLongHeader(b[0]) {
		return h, errHeaderForm
	}
	h.FirstByte = b[0]
	h.Version = binary.BigEndian.Uint32(b[1:5])
	known := IsSupportedVersion(h.Version)
	off := 5
	for i := 0; i < 2; i++ {
		if off >= len(b) {
			return Header{}, errHeaderShort
		}
		l := int(b[off])
		off++
		if known && l > MaxConnIDLen {
			return Header{}, errConnIDTooLong
		}
		if len(b)-off < l {
			return Header{}, errHeaderShort
		}
		cid := b[off : off+l : off+l]
		off += l
		if i == 0 {
			h.DstConnID = cid
		} else {
			h.SrcConnID = cid
		}
	}
	h.End = len(b)
	switch {
	case h.Version == 0:
		rest := b[off:]
		if len(rest) == 0 || len(rest)%4 != 0 {
			return Header{}, errVersionListBad
		}
		h.Type = PacketVersionNegotiation
		h.SupportedVersions = rest
		return h, nil
	case !known:
		h.Type = PacketUnknownVersion
		return h, nil
	}
	h.Type = longPacketType(h.Version, h.FirstByte)
	if h.Type == PacketRetry {
		if len(b)-off < 16 {
			return Header{}, errRetryShort
		}
		h.Token = b[off : len(b)-16 : len(b)-16]
		h.RetryIntegrityTag = b[len(b)-16:]
		return h, nil
	}
	var err error
	h.Token, h.Length, h.PNOffset, err = parseLengthFields(b, off, h.Type == PacketInitial)
	if err != nil {
		return Header{}, err
	}
	h.End = h.PNOffset + int(h.Length)
	return h, nil
}

// parseLengthFields reads the Initial token (when hasToken) and the Length
// field of Initial, 0-RTT and Handshake packets, starting at off. It returns
// plain values rather than a Header, which is too large to copy around.
func parseLengthFields(b []byte, off int, hasToken bool) (token []byte, length uint64, pnOff int, err error) {
	if hasToken {
		tl, n := readVarint(b[off:])
		if n == 0 {
			return nil, 0, 0, errHeaderShort
		}
		off += n
		if tl > uint64(len(b)-off) {
			return nil, 0, 0, errHeaderShort
		}
		token = b[off : off+int(tl) : off+int(tl)]
		off += int(tl)
	}
	l, n := readVarint(b[off:])
	if n == 0 {
		return nil, 0, 0, errHeaderShort
	}
	off += n
	if l > uint64(len(b)-off) {
		return nil, 0, 0, errLengthTooLong
	}
	return token, l, off, nil
}

// ParseShortHeader parses a 1-RTT short header whose Destination Connection ID
// is connIDLen bytes long. It requires at least one byte after the connection
// ID (the packet number is 1 to 4 bytes).
func ParseShortHeader(b []byte, connIDLen int) (Header, error) {
	if connIDLen < 0 || connIDLen > MaxConnIDLen {
		return Header{}, errShortConnIDSize
	}
	if len(b) < 2+connIDLen {
		return Header{}, errHeaderShort
	}
	if IsLongHeader(b[0]) {
		return Header{}, errHeaderForm
	}
	return Header{
		Type:      Packet1RTT,
		FirstByte: b[0],
		DstConnID: b[1 : 1+connIDLen : 1+connIDLen],
		PNOffset:  1 + connIDLen,
		End:       len(b),
	}, nil
}

// PeekDstConnID returns the Destination Connection ID of the packet in b
// without parsing the rest, for demultiplexing datagrams to connections. For
// long headers the length comes from the header (up to 255 bytes, per RFC 8999,
// so unknown versions can be answered); short headers need shortConnIDLen.
func PeekDstConnID(b []byte, shortConnIDLen int) ([]byte, error) {
	if len(b) == 0 {
		return nil, errHeaderShort
	}
	if !IsLongHeader(b[0]) {
		if shortConnIDLen < 0 || len(b) < 1+shortConnIDLen {
			return nil, errHeaderShort
		}
		return b[1 : 1+shortConnIDLen : 1+shortConnIDLen], nil
	}
	if len(b) < 6 {
		return nil, errHeaderShort
	}
	l := int(b[5])
	if len(b) < 6+l {
		return nil, errHeaderShort
	}
	return b[6 : 6+l : 6+l], nil
}
