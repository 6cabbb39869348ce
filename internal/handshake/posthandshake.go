package handshake

// TLS handshake message types that matter after the handshake (RFC 8446
// section 4).
const (
	msgNewSessionTicket   = 4
	msgCertificateRequest = 13
	msgKeyUpdate          = 24
	alertUnexpectedMsg    = 10
)

// postHandshakeScanner checks the types of the TLS messages received at the
// 1-RTT level before crypto/tls sees them. crypto/tls rejects the forbidden
// ones too, but after the handshake it reports them as internal_error
// instead of the alert it chose, and RFC 9001 wants specific codes: a TLS
// KeyUpdate is CRYPTO_ERROR 0x10a (section 6) and a post-handshake
// CertificateRequest is PROTOCOL_VIOLATION (section 4.4).
type postHandshakeScanner struct {
	hdr    [4]byte // message header being collected
	hdrLen int
	body   int // bytes of the current message body still to skip
}

// scan walks the message headers in data, which continues the stream.
func (s *postHandshakeScanner) scan(data []byte, isClient bool) *Error {
	for len(data) > 0 {
		if s.body > 0 {
			n := min(s.body, len(data))
			s.body -= n
			data = data[n:]
			continue
		}
		n := copy(s.hdr[s.hdrLen:], data)
		s.hdrLen += n
		data = data[n:]
		if s.hdrLen < len(s.hdr) {
			return nil
		}
		s.hdrLen = 0
		s.body = int(s.hdr[1])<<16 | int(s.hdr[2])<<8 | int(s.hdr[3])
		switch typ := s.hdr[0]; {
		case typ == msgNewSessionTicket && isClient:
		case typ == msgKeyUpdate:
			return &Error{Code: CodeCryptoErrorBase + alertUnexpectedMsg, Reason: "TLS KeyUpdate message in QUIC"}
		case typ == msgCertificateRequest && isClient:
			return &Error{Code: CodeProtocolViolation, Reason: "post-handshake CertificateRequest"}
		default:
			return &Error{Code: CodeCryptoErrorBase + alertUnexpectedMsg, Reason: "unexpected post-handshake TLS message"}
		}
	}
	return nil
}
