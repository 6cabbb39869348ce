package quicproto

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"io"
	"net/netip"

	"github.com/h3wasi/h3wasi/internal/protect"
	"github.com/h3wasi/h3wasi/internal/quicwire"
)

// EndpointConfig configures an Endpoint.
type EndpointConfig struct {
	// Conn configures every connection of the endpoint (its Rand also serves the
	// endpoint). A server's TLS config carries the certificates.
	Conn *Config
	// Server makes the endpoint accept connections.
	Server bool
	// MaxConns caps the server connections alive at once; clients beyond it are refused
	// with CONNECTION_REFUSED. Default 10,000.
	MaxConns int
	// RequireRetry makes the server validate every new client's address with a Retry
	// round trip (RFC 9000 section 8.1.2) unless it presents a valid token.
	RequireRetry bool
	// TokenKey seals address validation tokens; ResetKey derives stateless reset tokens.
	// Zero keys are replaced by random ones (tokens and resets then do not survive a
	// restart of the endpoint).
	TokenKey, ResetKey [32]byte
	// StatelessResetRate limits the stateless resets sent per second. Default 100;
	// negative disables them.
	StatelessResetRate int
	// RetryTokenLifetime bounds the age of Retry tokens (default 10 s); NEW_TOKEN tokens
	// live NewTokenLifetime (default 24 h). Times come from the now values given to
	// Receive, so a driver that wants tokens to survive restarts passes wall-clock time.
	RetryTokenLifetime, NewTokenLifetime int64
}

// Endpoint demultiplexes the datagrams of one UDP socket to connections by connection ID,
// creates server connections, and answers what belongs to no connection: Version
// Negotiation for unknown versions, Retry for address validation, and stateless resets for
// unknown short-header packets. Like Conn it is sans-IO and not safe for concurrent use.
type Endpoint struct {
	cfg     EndpointConfig
	connCfg *Config
	routes  map[string]*Conn
	// resets maps the peer reset tokens of our connections to them.
	resets   map[ResetToken]*Conn
	conns    map[*Conn]struct{}
	list     []*Conn // the same connections, for round-robin sending
	rr       int
	accepted []*Conn
	tokens   *tokenSealer
	out      []statelessDatagram
	// resetBudget and resetTime implement the stateless reset token bucket.
	resetBudget float64
	resetTime   int64
}

// statelessDatagram is a datagram the endpoint sends on its own.
type statelessDatagram struct {
	to   netip.AddrPort
	data []byte
}

// Defaults of an Endpoint.
const (
	defaultMaxConns      = 10000
	defaultResetRate     = 100
	defaultRetryLifetime = int64(10e9)
	defaultTokenLifetime = int64(24 * 3600e9)
	maxStatelessQueue    = 64
)

// NewEndpoint returns an endpoint with no connections.
func NewEndpoint(cfg EndpointConfig) (*Endpoint, error) {
	cc, err := cfg.Conn.withDefaults()
	if err != nil {
		return nil, err
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = defaultMaxConns
	}
	if cfg.StatelessResetRate == 0 {
		cfg.StatelessResetRate = defaultResetRate
	}
	if cfg.RetryTokenLifetime <= 0 {
		cfg.RetryTokenLifetime = defaultRetryLifetime
	}
	if cfg.NewTokenLifetime <= 0 {
		cfg.NewTokenLifetime = defaultTokenLifetime
	}
	var zero [32]byte
	for _, k := range []*[32]byte{&cfg.TokenKey, &cfg.ResetKey} {
		if *k == zero {
			if _, err := io.ReadFull(cc.Rand, k[:]); err != nil {
				return nil, err
			}
		}
	}
	ts, err := newTokenSealer(cfg.TokenKey, cc.Rand)
	if err != nil {
		return nil, err
	}
	return &Endpoint{cfg: cfg, connCfg: cc, routes: make(map[string]*Conn), resets: make(map[ResetToken]*Conn), conns: make(map[*Conn]struct{}),
		tokens: ts, resetBudget: float64(max(cfg.StatelessResetRate, 0))}, nil
}

// addConnID routes datagrams for id to c.
func (e *Endpoint) addConnID(id []byte, c *Conn) { e.routes[string(id)] = c }

// removeConnID removes the route of id if it leads to c.
func (e *Endpoint) removeConnID(id []byte, c *Conn) {
	if e.routes[string(id)] == c {
		delete(e.routes, string(id))
	}
}

func (e *Endpoint) addResetToken(t ResetToken, c *Conn) { e.resets[t] = c }

func (e *Endpoint) removeResetToken(t ResetToken, c *Conn) {
	if e.resets[t] == c {
		delete(e.resets, t)
	}
}

// newToken seals a NEW_TOKEN token for addr.
func (e *Endpoint) newToken(now int64, addr netip.AddrPort) []byte {
	t, err := e.tokens.appendToken(nil, tokenKindNewToken, now, addr, nil, nil)
	if err != nil {
		return nil
	}
	return t
}

// resetToken derives the stateless reset token of one of our connection IDs.
func (e *Endpoint) resetToken(id []byte) ResetToken {
	m := hmac.New(sha256.New, e.cfg.ResetKey[:])
	m.Write(id)
	var t ResetToken
	copy(t[:], m.Sum(nil))
	return t
}

// Dial starts a client connection to peer through this endpoint.
func (e *Endpoint) Dial(now int64, peer netip.AddrPort) (*Conn, error) {
	c := newConn(e.connCfg, false, now, peer)
	c.hook = e
	if err := c.initClient(); err != nil {
		return nil, err
	}
	e.track(c)
	return c, nil
}

// track adds a connection to the endpoint's sets.
func (e *Endpoint) track(c *Conn) {
	e.conns[c] = struct{}{}
	e.list = append(e.list, c)
}

// Accept returns the next server connection created since the last call.
func (e *Endpoint) Accept() (*Conn, bool) {
	if len(e.accepted) == 0 {
		return nil, false
	}
	c := e.accepted[0]
	e.accepted = e.accepted[1:]
	return c, true
}

// Forget removes a connection (normally once Done reports true) and its routes.
func (e *Endpoint) Forget(c *Conn) {
	c.releaseConnIDs()
	if _, ok := e.conns[c]; !ok {
		return
	}
	delete(e.conns, c)
	for i, x := range e.list {
		if x == c {
			e.list = append(e.list[:i], e.list[i+1:]...)
			break
		}
	}
}

// Len returns the number of connections.
func (e *Endpoint) Len() int { return len(e.conns) }

// Conns calls f for every connection.
func (e *Endpoint) Conns(f func(*Conn)) {
	for c := range e.conns {
		f(c)
	}
}

// SendStateless writes the next datagram the endpoint itself must send (Version
// Negotiation, Retry, stateless reset) into buf.
func (e *Endpoint) SendStateless(buf []byte) (n int, to netip.AddrPort, ok bool) {
	if len(e.out) == 0 {
		return 0, to, false
	}
	d := e.out[0]
	e.out = e.out[1:]
	return copy(buf, d.data), d.to, true
}

// queue adds a stateless datagram, dropping it when too many wait.
func (e *Endpoint) queue(to netip.AddrPort, b []byte) {
	if len(e.out) < maxStatelessQueue {
		e.out = append(e.out, statelessDatagram{to: to, data: b})
	}
}

// Receive routes one datagram like Route, for drivers that run the endpoint as a whole.
func (e *Endpoint) Receive(now int64, from netip.AddrPort, datagram []byte) {
	e.Route(now, from, datagram)
}

// Route routes one datagram. It returns the connection that processed it (nil if none):
// the driver then calls that connection's Send. New server connections are also queued
// for Accept.
func (e *Endpoint) Route(now int64, from netip.AddrPort, datagram []byte) *Conn {
	if len(datagram) == 0 {
		return nil
	}
	dcid, err := quicwire.PeekDstConnID(datagram, e.connCfg.ConnIDLen)
	if err != nil {
		return nil
	}
	if quicwire.IsLongHeader(datagram[0]) && len(datagram) >= 5 {
		v := uint32(datagram[1])<<24 | uint32(datagram[2])<<16 | uint32(datagram[3])<<8 | uint32(datagram[4])
		if v != 0 && !quicwire.IsSupportedVersion(v) {
			e.versionNegotiation(from, datagram)
			return nil
		}
	}
	if c := e.routes[string(dcid)]; c != nil {
		c.Receive(now, from, datagram)
		return c
	}
	if !quicwire.IsLongHeader(datagram[0]) {
		if len(datagram) >= 21 {
			if c := e.resets[ResetToken(datagram[len(datagram)-16:])]; c != nil {
				c.Receive(now, from, datagram) // a stateless reset from c's peer
				return c
			}
		}
		e.statelessReset(now, from, dcid, len(datagram))
		return nil
	}
	if !e.cfg.Server {
		return nil
	}
	return e.acceptInitial(now, from, datagram)
}

// versionNegotiation answers a long-header packet of an unknown version (RFC 9000 6.1).
func (e *Endpoint) versionNegotiation(from netip.AddrPort, d []byte) {
	if !e.cfg.Server || len(d) < minInitialDatagram {
		return // only a datagram big enough for an Initial deserves an answer
	}
	h, err := quicwire.ParseLongHeader(d)
	if err != nil {
		return
	}
	var unused [1]byte
	_, _ = io.ReadFull(e.connCfg.Rand, unused[:])
	vn := quicwire.AppendVersionNegotiation(nil, h.SrcConnID, h.DstConnID,
		[]uint32{Version1, Version2}, unused[0]&0x7f)
	e.queue(from, vn)
}

// statelessReset answers a short-header packet for an unknown connection ID
// (RFC 9000 section 10.3), at most StatelessResetRate per second.
func (e *Endpoint) statelessReset(now int64, from netip.AddrPort, dcid []byte, size int) {
	if e.cfg.StatelessResetRate < 0 || len(dcid) == 0 || size <= 21 {
		return // a reset no larger than what triggered it could loop
	}
	rate := float64(e.cfg.StatelessResetRate)
	e.resetBudget = min(rate, e.resetBudget+rate*float64(now-e.resetTime)/1e9)
	e.resetTime = now
	if e.resetBudget < 1 {
		return
	}
	e.resetBudget--
	n := min(size-1, 43)
	b := make([]byte, n)
	if _, err := io.ReadFull(e.connCfg.Rand, b[:n-16]); err != nil {
		return
	}
	b[0] = 0x40 | b[0]&0x3f
	tok := e.resetToken(dcid)
	copy(b[n-16:], tok[:])
	e.queue(from, b)
}

// acceptInitial handles an Initial packet for no known connection: it creates a server
// connection, or asks for address validation with a Retry.
func (e *Endpoint) acceptInitial(now int64, from netip.AddrPort, d []byte) *Conn {
	h, err := quicwire.ParseLongHeader(d)
	if err != nil || h.Type != quicwire.PacketInitial || len(d) < minInitialDatagram {
		return nil // RFC 9000 section 14.1: Initial datagrams below 1200 bytes are dropped
	}
	if len(h.DstConnID) < 8 {
		return nil
	}
	if len(e.conns) >= e.cfg.MaxConns {
		e.refuse(from, &h)
		return nil
	}
	odcid, rscid := MakeConnID(h.DstConnID), ConnID{}
	validated, retried, badRetry := false, false, false
	if len(h.Token) > 0 {
		t, err := e.tokens.openToken(h.Token, from)
		switch {
		case err != nil:
			// Not one of ours (perhaps another server's NEW_TOKEN): as if absent.
		case t.kind == tokenKindRetry && now-t.issued <= e.cfg.RetryTokenLifetime && t.rscid.Equal(h.DstConnID):
			odcid, rscid, validated, retried = t.odcid, t.rscid, true, true
		case t.kind == tokenKindRetry:
			badRetry = true // expired, or replayed with another connection ID
		case t.kind == tokenKindNewToken && now-t.issued <= e.cfg.NewTokenLifetime:
			validated = true
		}
	}
	if badRetry {
		// RFC 9000 section 8.1.3: close with INVALID_TOKEN rather than loop on Retries.
		if c, err := e.newServerConn(now, from, &h, odcid, rscid, false, false); err == nil {
			c.bytesRecv += uint64(len(d)) // amplification credit for the CONNECTION_CLOSE
			c.closeOnError(now, &TransportError{Code: InvalidToken, Reason: "invalid Retry token"})
			return c
		}
		return nil
	}
	if e.cfg.RequireRetry && !validated {
		e.sendRetry(now, from, &h)
		return nil
	}
	c, err := e.newServerConn(now, from, &h, odcid, rscid, retried, validated)
	if err != nil {
		return nil
	}
	c.Receive(now, from, d)
	e.accepted = append(e.accepted, c)
	return c
}

// refuse answers an Initial with CONNECTION_CLOSE(CONNECTION_REFUSED) without creating
// any connection state (RFC 9000 section 5.2.2): a small Initial packet protected with the
// keys derived from the client's Destination Connection ID.
func (e *Endpoint) refuse(from netip.AddrPort, h *quicwire.Header) {
	seal, _, err := protect.NewInitialKeys(h.Version, h.DstConnID, false)
	if err != nil {
		return
	}
	var scid [8]byte
	if _, err := io.ReadFull(e.connCfg.Rand, scid[:]); err != nil {
		return
	}
	b, lenOff, pnOff := quicwire.AppendLongHeader(nil, quicwire.PacketInitial, h.Version, h.SrcConnID, scid[:], nil, 0, 1)
	b = quicwire.ConnectionCloseFrame{ErrorCode: uint64(ConnectionRefused), FrameType: uint64(quicwire.FrameTypeCrypto),
		Reason: []byte("server busy")}.Append(b)
	quicwire.PatchLength(b, lenOff, len(b)+protect.TagLen-pnOff)
	if b, err = seal.Seal(b, pnOff, 1, 0); err == nil {
		e.queue(from, b)
	}
}

// sendRetry queues a Retry carrying a token that binds the client's address and original
// Destination Connection ID (RFC 9000 section 17.2.5).
func (e *Endpoint) sendRetry(now int64, from netip.AddrPort, h *quicwire.Header) {
	var scid [MaxConnIDLen]byte
	id := scid[:max(e.connCfg.ConnIDLen, 8)]
	if _, err := io.ReadFull(e.connCfg.Rand, id); err != nil {
		return
	}
	tok, err := e.tokens.appendToken(nil, tokenKindRetry, now, from, h.DstConnID, id)
	if err != nil {
		return
	}
	b := quicwire.AppendRetry(nil, h.Version, h.SrcConnID, id, tok, 0)
	b, err = protect.AppendRetryIntegrityTag(h.Version, h.DstConnID, b)
	if err != nil {
		return
	}
	e.queue(from, b)
}

// newServerConn creates the server side of a connection from the client's first Initial.
func (e *Endpoint) newServerConn(now int64, from netip.AddrPort, h *quicwire.Header, odcid, rscid ConnID, retried, validated bool) (*Conn, error) {
	cfg := e.connCfg
	if cfg.ConnIDLen == 0 {
		return nil, errors.New("quicproto: a server needs non-empty connection IDs")
	}
	if h.Version != cfg.Version {
		c2 := *cfg
		c2.Version = h.Version
		cfg = &c2
	}
	c := newConn(cfg, true, now, from)
	c.hook = e
	c.origDCID = odcid
	c.clientDCID = MakeConnID(h.DstConnID)
	c.retried, c.retrySCID = retried, rscid
	c.addrValidated = validated
	c.peer.setInitial(MakeConnID(h.SrcConnID))
	if err := c.issueFirstCID(); err != nil {
		return nil, err
	}
	e.addConnID(h.DstConnID, c)
	if err := c.installInitialKeys(h.DstConnID); err != nil {
		return nil, err
	}
	if err := c.startTLS(); err != nil {
		return nil, err
	}
	e.track(c)
	return c, nil
}
