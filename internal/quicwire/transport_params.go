package quicwire

import (
	"encoding/binary"
	"net/netip"
)

// Transport parameter identifiers (RFC 9000 section 18.2, RFC 9368 section 5,
// RFC 9221 section 3, RFC 9287 section 3).
const (
	tpOriginalDestinationConnectionID = 0x00
	tpMaxIdleTimeout                  = 0x01
	tpStatelessResetToken             = 0x02
	tpMaxUDPPayloadSize               = 0x03
	tpInitialMaxData                  = 0x04
	tpInitialMaxStreamDataBidiLocal   = 0x05
	tpInitialMaxStreamDataBidiRemote  = 0x06
	tpInitialMaxStreamDataUni         = 0x07
	tpInitialMaxStreamsBidi           = 0x08
	tpInitialMaxStreamsUni            = 0x09
	tpAckDelayExponent                = 0x0a
	tpMaxAckDelay                     = 0x0b
	tpDisableActiveMigration          = 0x0c
	tpPreferredAddress                = 0x0d
	tpActiveConnectionIDLimit         = 0x0e
	tpInitialSourceConnectionID       = 0x0f
	tpRetrySourceConnectionID         = 0x10
	tpVersionInformation              = 0x11
	tpMaxDatagramFrameSize            = 0x20
	tpGreaseQUICBit                   = 0x2ab2
)

// Defaults and limits of RFC 9000 section 18.2.
const (
	DefaultMaxUDPPayloadSize       = 65527
	MinMaxUDPPayloadSize           = 1200
	DefaultAckDelayExponent        = 3
	MaxAckDelayExponent            = 20
	DefaultMaxAckDelay             = 25 // milliseconds
	MaxMaxAckDelay                 = 1<<14 - 1
	DefaultActiveConnectionIDLimit = 2
)

// PreferredAddress is the server's preferred_address transport parameter.
// An unspecified family is sent as the all-zero address and port.
type PreferredAddress struct {
	IPv4 netip.AddrPort
	IPv6 netip.AddrPort
	// ConnID aliases the parsed input; 1 to 20 bytes.
	ConnID              []byte
	StatelessResetToken [16]byte
}

// TransportParameters are the QUIC transport parameters one endpoint sends
// (RFC 9000 section 18.2). Byte slices alias the parsed input. Integer fields
// hold the raw encoded values: durations are in milliseconds.
type TransportParameters struct {
	OriginalDestinationConnectionID []byte
	// HasOriginalDestinationConnectionID says the parameter is present
	// (presence matters for connection ID authentication, section 7.3).
	HasOriginalDestinationConnectionID bool
	MaxIdleTimeout                     uint64 // milliseconds, 0 = none
	StatelessResetToken                [16]byte
	HasStatelessResetToken             bool
	MaxUDPPayloadSize                  uint64
	InitialMaxData                     uint64
	InitialMaxStreamDataBidiLocal      uint64
	InitialMaxStreamDataBidiRemote     uint64
	InitialMaxStreamDataUni            uint64
	InitialMaxStreamsBidi              uint64
	InitialMaxStreamsUni               uint64
	AckDelayExponent                   uint64
	MaxAckDelay                        uint64 // milliseconds
	DisableActiveMigration             bool
	PreferredAddress                   PreferredAddress
	HasPreferredAddress                bool
	ActiveConnectionIDLimit            uint64
	InitialSourceConnectionID          []byte
	HasInitialSourceConnectionID       bool
	RetrySourceConnectionID            []byte
	HasRetrySourceConnectionID         bool
	// MaxDatagramFrameSize enables DATAGRAM frames when non-zero (RFC 9221).
	MaxDatagramFrameSize uint64
	// ChosenVersion and AvailableVersions form the version_information
	// parameter (RFC 9368); AvailableVersions holds 4 bytes per version.
	ChosenVersion         uint32
	AvailableVersions     []byte
	HasVersionInformation bool
	// GreaseQUICBit announces that the peer may clear the fixed bit (RFC 9287).
	GreaseQUICBit bool
}

// DefaultTransportParameters returns the values that apply to parameters
// that are absent (RFC 9000 section 18.2).
func DefaultTransportParameters() TransportParameters {
	return TransportParameters{
		MaxUDPPayloadSize:       DefaultMaxUDPPayloadSize,
		AckDelayExponent:        DefaultAckDelayExponent,
		MaxAckDelay:             DefaultMaxAckDelay,
		ActiveConnectionIDLimit: DefaultActiveConnectionIDLimit,
	}
}

// Append appends the encoded parameters. Integer parameters equal to their
// default are omitted; connection IDs and tokens are written when their Has
// flag is set.
func (p TransportParameters) Append(b []byte) []byte {
	if p.HasOriginalDestinationConnectionID {
		b = appendBytesParam(b, tpOriginalDestinationConnectionID, p.OriginalDestinationConnectionID)
	}
	b = appendIntParam(b, tpMaxIdleTimeout, p.MaxIdleTimeout, 0)
	if p.HasStatelessResetToken {
		b = appendBytesParam(b, tpStatelessResetToken, p.StatelessResetToken[:])
	}
	b = appendIntParam(b, tpMaxUDPPayloadSize, p.MaxUDPPayloadSize, DefaultMaxUDPPayloadSize)
	b = appendIntParam(b, tpInitialMaxData, p.InitialMaxData, 0)
	b = appendIntParam(b, tpInitialMaxStreamDataBidiLocal, p.InitialMaxStreamDataBidiLocal, 0)
	b = appendIntParam(b, tpInitialMaxStreamDataBidiRemote, p.InitialMaxStreamDataBidiRemote, 0)
	b = appendIntParam(b, tpInitialMaxStreamDataUni, p.InitialMaxStreamDataUni, 0)
	b = appendIntParam(b, tpInitialMaxStreamsBidi, p.InitialMaxStreamsBidi, 0)
	b = appendIntParam(b, tpInitialMaxStreamsUni, p.InitialMaxStreamsUni, 0)
	b = appendIntParam(b, tpAckDelayExponent, p.AckDelayExponent, DefaultAckDelayExponent)
	b = appendIntParam(b, tpMaxAckDelay, p.MaxAckDelay, DefaultMaxAckDelay)
	if p.DisableActiveMigration {
		b = appendBytesParam(b, tpDisableActiveMigration, nil)
	}
	if p.HasPreferredAddress {
		b = p.PreferredAddress.appendParam(b)
	}
	b = appendIntParam(b, tpActiveConnectionIDLimit, p.ActiveConnectionIDLimit, DefaultActiveConnectionIDLimit)
	if p.HasInitialSourceConnectionID {
		b = appendBytesParam(b, tpInitialSourceConnectionID, p.InitialSourceConnectionID)
	}
	if p.HasRetrySourceConnectionID {
		b = appendBytesParam(b, tpRetrySourceConnectionID, p.RetrySourceConnectionID)
	}
	if p.HasVersionInformation {
		b = AppendVarint(b, tpVersionInformation)
		b = AppendVarint(b, uint64(4+len(p.AvailableVersions)))
		b = binary.BigEndian.AppendUint32(b, p.ChosenVersion)
		b = append(b, p.AvailableVersions...)
	}
	b = appendIntParam(b, tpMaxDatagramFrameSize, p.MaxDatagramFrameSize, 0)
	if p.GreaseQUICBit {
		b = appendBytesParam(b, tpGreaseQUICBit, nil)
	}
	return b
}

func appendIntParam(b []byte, id, v, def uint64) []byte {
	if v == def {
		return b
	}
	b = AppendVarint(b, id)
	b = AppendVarint(b, uint64(VarintLen(v)))
	return AppendVarint(b, v)
}

func appendBytesParam(b []byte, id uint64, v []byte) []byte {
	b = AppendVarint(b, id)
	b = AppendVarint(b, uint64(len(v)))
	return append(b, v...)
}

// appendParam appends the preferred_address parameter.
func (a *PreferredAddress) appendParam(b []byte) []byte {
	b = AppendVarint(b, tpPreferredAddress)
	b = AppendVarint(b, uint64(4+2+16+2+1+len(a.ConnID)+16))
	v4 := [4]byte{}
	if a.IPv4.Addr().Is4() {
		v4 = a.IPv4.Addr().As4()
	}
	b = append(b, v4[:]...)
	b = binary.BigEndian.AppendUint16(b, a.IPv4.Port())
	v6 := [16]byte{}
	if a.IPv6.Addr().Is6() {
		v6 = a.IPv6.Addr().As16()
	}
	b = append(b, v6[:]...)
	b = binary.BigEndian.AppendUint16(b, a.IPv6.Port())
	b = append(b, byte(len(a.ConnID)))
	b = append(b, a.ConnID...)
	return append(b, a.StatelessResetToken[:]...)
}

// tpError builds a TRANSPORT_PARAMETER_ERROR.
func tpError(reason string) error {
	return &TransportError{Code: TransportParameterError, Reason: reason}
}

// ParseTransportParameters parses the peer's transport parameters.
// sentByServer says which side sent them: parameters only a server may send
// are rejected from a client. Unknown and reserved (GREASE) parameters are
// ignored. Every violation of section 18.2 is a TRANSPORT_PARAMETER_ERROR.
func ParseTransportParameters(b []byte, sentByServer bool) (TransportParameters, error) {
	p := DefaultTransportParameters()
	var seen uint64 // bit per known parameter, indexed by paramBit
	c := cursor{b: b}
	for c.n < len(b) {
		id := c.varint()
		val := c.bytes(c.varint())
		if c.bad {
			return TransportParameters{}, tpError("truncated transport parameter")
		}
		bit := paramBit(id)
		if bit == 0 {
			continue // unknown or GREASE: ignored (section 7.4.2)
		}
		if seen&bit != 0 {
			return TransportParameters{}, tpError("duplicate transport parameter")
		}
		seen |= bit
		if err := p.setParam(id, val, sentByServer); err != nil {
			return TransportParameters{}, err
		}
	}
	return p, nil
}

// paramBit maps known parameter IDs to a bit for duplicate detection; 0 for
// unknown IDs.
func paramBit(id uint64) uint64 {
	switch {
	case id <= tpVersionInformation:
		return 1 << id
	case id == tpMaxDatagramFrameSize:
		return 1 << 62
	case id == tpGreaseQUICBit:
		return 1 << 63
	}
	return 0
}

// setParam validates and stores one known parameter.
func (p *TransportParameters) setParam(id uint64, val []byte, sentByServer bool) error {
	switch id {
	case tpOriginalDestinationConnectionID, tpStatelessResetToken, tpPreferredAddress, tpRetrySourceConnectionID:
		if !sentByServer {
			return tpError("server-only transport parameter sent by client")
		}
	}
	switch id {
	case tpOriginalDestinationConnectionID:
		return setConnIDParam(&p.OriginalDestinationConnectionID, &p.HasOriginalDestinationConnectionID, val)
	case tpInitialSourceConnectionID:
		return setConnIDParam(&p.InitialSourceConnectionID, &p.HasInitialSourceConnectionID, val)
	case tpRetrySourceConnectionID:
		return setConnIDParam(&p.RetrySourceConnectionID, &p.HasRetrySourceConnectionID, val)
	case tpStatelessResetToken:
		if len(val) != statelessResetTokenLen {
			return tpError("stateless_reset_token is not 16 bytes")
		}
		copy(p.StatelessResetToken[:], val)
		p.HasStatelessResetToken = true
	case tpDisableActiveMigration, tpGreaseQUICBit:
		if len(val) != 0 {
			return tpError("flag transport parameter with a value")
		}
		if id == tpGreaseQUICBit {
			p.GreaseQUICBit = true
		} else {
			p.DisableActiveMigration = true
		}
	case tpPreferredAddress:
		return p.setPreferredAddress(val)
	case tpVersionInformation:
		return p.setVersionInformation(val)
	default:
		return p.setIntParam(id, val)
	}
	return nil
}

func setConnIDParam(dst *[]byte, has *bool, val []byte) error {
	if len(val) > MaxConnIDLen {
		return tpError("connection ID parameter longer than 20 bytes")
	}
	*dst, *has = val, true
	return nil
}

// setIntParam stores an integer parameter after checking its encoding and
// range.
func (p *TransportParameters) setIntParam(id uint64, val []byte) error {
	v, n := readVarint(val)
	if n == 0 || n != len(val) {
		return tpError("malformed integer transport parameter")
	}
	switch id {
	case tpMaxIdleTimeout:
		p.MaxIdleTimeout = v
	case tpMaxUDPPayloadSize:
		if v < MinMaxUDPPayloadSize {
			return tpError("max_udp_payload_size below 1200")
		}
		p.MaxUDPPayloadSize = v
	case tpInitialMaxData:
		p.InitialMaxData = v
	case tpInitialMaxStreamDataBidiLocal:
		p.InitialMaxStreamDataBidiLocal = v
	case tpInitialMaxStreamDataBidiRemote:
		p.InitialMaxStreamDataBidiRemote = v
	case tpInitialMaxStreamDataUni:
		p.InitialMaxStreamDataUni = v
	case tpInitialMaxStreamsBidi, tpInitialMaxStreamsUni:
		if v > maxStreamsLimit {
			return tpError("initial_max_streams above 2^60")
		}
		if id == tpInitialMaxStreamsBidi {
			p.InitialMaxStreamsBidi = v
		} else {
			p.InitialMaxStreamsUni = v
		}
	case tpAckDelayExponent:
		if v > MaxAckDelayExponent {
			return tpError("ack_delay_exponent above 20")
		}
		p.AckDelayExponent = v
	case tpMaxAckDelay:
		if v > MaxMaxAckDelay {
			return tpError("max_ack_delay of 2^14 or more")
		}
		p.MaxAckDelay = v
	case tpActiveConnectionIDLimit:
		if v < 2 {
			return tpError("active_connection_id_limit below 2")
		}
		p.ActiveConnectionIDLimit = v
	case tpMaxDatagramFrameSize:
		p.MaxDatagramFrameSize = v
	}
	return nil
}

// setPreferredAddress parses the preferred_address value.
func (p *TransportParameters) setPreferredAddress(val []byte) error {
	const fixed = 4 + 2 + 16 + 2 + 1
	if len(val) < fixed+16 {
		return tpError("preferred_address too short")
	}
	l := int(val[fixed-1])
	if l == 0 || l > MaxConnIDLen {
		return tpError("preferred_address connection ID length not in 1..20")
	}
	if len(val) != fixed+l+16 {
		return tpError("preferred_address length mismatch")
	}
	a := &p.PreferredAddress
	a.IPv4 = netip.AddrPortFrom(netip.AddrFrom4([4]byte(val[0:4])), binary.BigEndian.Uint16(val[4:6]))
	a.IPv6 = netip.AddrPortFrom(netip.AddrFrom16([16]byte(val[6:22])), binary.BigEndian.Uint16(val[22:24]))
	a.ConnID = val[fixed : fixed+l : fixed+l]
	copy(a.StatelessResetToken[:], val[fixed+l:])
	p.HasPreferredAddress = true
	return nil
}

// setVersionInformation parses version_information (RFC 9368 section 5): a
// zero chosen or available version, or a length that is not a multiple of 4,
// is malformed.
func (p *TransportParameters) setVersionInformation(val []byte) error {
	if len(val) < 4 || len(val)%4 != 0 {
		return tpError("malformed version_information")
	}
	for i := 0; i < len(val); i += 4 {
		if binary.BigEndian.Uint32(val[i:]) == 0 {
			return tpError("version_information contains version 0")
		}
	}
	p.ChosenVersion = binary.BigEndian.Uint32(val)
	p.AvailableVersions = val[4:len(val):len(val)]
	p.HasVersionInformation = true
	return nil
}
