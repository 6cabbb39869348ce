package http3

import "github.com/h3wasi/h3wasi/internal/quicwire"

// Setting identifiers (RFC 9114 section 7.2.4.1, RFC 9204 section 5, RFC 8441/9220
// ENABLE_CONNECT_PROTOCOL, RFC 9297 H3_DATAGRAM).
const (
	settingQPACKMaxTableCapacity = 0x01
	settingMaxFieldSectionSize   = 0x06
	settingQPACKBlockedStreams   = 0x07
	settingEnableConnectProtocol = 0x08
	settingH3Datagram            = 0x33
)

// isHTTP2Setting reports the HTTP/2 settings that HTTP/3 reserves; receiving one is
// H3_SETTINGS_ERROR (RFC 9114 section 7.2.4.1).
func isHTTP2Setting(id uint64) bool { return id >= 0x02 && id <= 0x05 }

// settings are the values one endpoint announces in its SETTINGS frame. The zero
// value is what a peer's settings mean before they arrive (RFC 9114 section 7.2.4.2:
// no dynamic table, no blocked streams, unlimited field sections).
type settings struct {
	qpackMaxTableCapacity uint64
	qpackBlockedStreams   uint64
	// maxFieldSectionSize is 0 when the setting was absent (unlimited).
	maxFieldSectionSize   uint64
	enableConnectProtocol bool
	datagrams             bool
}

// appendSettingsFrame appends a SETTINGS frame with s and one reserved setting, as
// RFC 9114 section 7.2.4.1 asks, so that peers keep ignoring unknown identifiers.
func appendSettingsFrame(b []byte, s settings, greaseSeed uint64) []byte {
	var p []byte
	add := func(id, v uint64) {
		p = quicwire.AppendVarint(p, id)
		p = quicwire.AppendVarint(p, v)
	}
	if s.qpackMaxTableCapacity > 0 {
		add(settingQPACKMaxTableCapacity, s.qpackMaxTableCapacity)
	}
	if s.qpackBlockedStreams > 0 {
		add(settingQPACKBlockedStreams, s.qpackBlockedStreams)
	}
	if s.maxFieldSectionSize > 0 {
		add(settingMaxFieldSectionSize, s.maxFieldSectionSize)
	}
	if s.enableConnectProtocol {
		add(settingEnableConnectProtocol, 1)
	}
	if s.datagrams {
		add(settingH3Datagram, 1)
	}
	add(greaseValue(greaseSeed), greaseSeed&0xff)
	return appendFrame(b, frameSettings, p)
}

// parseSettings parses a SETTINGS frame payload. A duplicate identifier, an HTTP/2
// setting or a boolean setting other than 0 or 1 is H3_SETTINGS_ERROR; a truncated
// payload is H3_FRAME_ERROR; unknown and reserved identifiers are ignored.
func parseSettings(p []byte) (settings, error) {
	var s settings
	seen := make(map[uint64]bool, 8)
	for len(p) > 0 {
		id, n, err := quicwire.ParseVarint(p)
		if err != nil {
			return s, connErrorf(ErrCodeFrameError, "malformed SETTINGS frame")
		}
		p = p[n:]
		v, n, err := quicwire.ParseVarint(p)
		if err != nil {
			return s, connErrorf(ErrCodeFrameError, "malformed SETTINGS frame")
		}
		p = p[n:]
		if seen[id] {
			return s, connErrorf(ErrCodeSettingsError, "setting 0x%x sent twice", id)
		}
		seen[id] = true
		if err := s.apply(id, v); err != nil {
			return s, err
		}
	}
	return s, nil
}

// apply records one setting.
func (s *settings) apply(id, v uint64) error {
	switch {
	case isHTTP2Setting(id):
		return connErrorf(ErrCodeSettingsError, "HTTP/2 setting 0x%x in HTTP/3 SETTINGS", id)
	case id == settingQPACKMaxTableCapacity:
		s.qpackMaxTableCapacity = v
	case id == settingQPACKBlockedStreams:
		s.qpackBlockedStreams = v
	case id == settingMaxFieldSectionSize:
		s.maxFieldSectionSize = v
	case id == settingEnableConnectProtocol, id == settingH3Datagram:
		if v > 1 {
			return connErrorf(ErrCodeSettingsError, "setting 0x%x must be 0 or 1, not %d", id, v)
		}
		if id == settingH3Datagram {
			s.datagrams = v == 1
		} else {
			s.enableConnectProtocol = v == 1
		}
	}
	return nil
}
