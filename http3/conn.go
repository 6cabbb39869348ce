package http3

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/h3wasi/h3wasi/internal/quicwire"
	"github.com/h3wasi/h3wasi/qpack"
	"github.com/h3wasi/h3wasi/quic"
)

// Defaults of the QPACK and field-section settings we announce.
const (
	// DefaultQPACKMaxTableCapacity is the dynamic table the peer's encoder may use
	// for the fields it sends us (SETTINGS_QPACK_MAX_TABLE_CAPACITY).
	DefaultQPACKMaxTableCapacity = 16 << 10
	// DefaultQPACKBlockedStreams is how many of our streams the peer's encoder may
	// leave blocked on inserts not yet received (SETTINGS_QPACK_BLOCKED_STREAMS).
	DefaultQPACKBlockedStreams = 100
	// DefaultMaxHeaderBytes bounds a received field section (MAX_FIELD_SECTION_SIZE),
	// as net/http's DefaultMaxHeaderBytes does for HTTP/1.
	DefaultMaxHeaderBytes = 1 << 20
)

// maxControlFrame bounds the frames we accept on the control stream; SETTINGS is
// the largest, and a few dozen settings fit.
const maxControlFrame = 16 << 10

// greaseSeed varies the reserved values we send from one connection to the next.
var greaseSeed atomic.Uint64

// connConfig is what a Server or Transport decides for its connections.
type connConfig struct {
	qpackMaxTableCapacity uint64 // 0: no dynamic table for the peer's encoder
	qpackBlockedStreams   uint64
	maxFieldSectionSize   uint64 // what we accept
	enableConnectProtocol bool
	datagrams             bool
	logger                *slog.Logger
}

// newConnConfig applies the documented defaults to the fields a Server or a
// Transport shares: zero means the default, a negative QPACK value none.
func newConnConfig(tableCap, blocked int, maxHeader int64, connect, datagrams bool, logger *slog.Logger) connConfig {
	c := connConfig{
		qpackMaxTableCapacity: DefaultQPACKMaxTableCapacity,
		qpackBlockedStreams:   DefaultQPACKBlockedStreams,
		maxFieldSectionSize:   DefaultMaxHeaderBytes,
		enableConnectProtocol: connect,
		datagrams:             datagrams,
		logger:                logger,
	}
	if tableCap != 0 {
		c.qpackMaxTableCapacity = uint64(max(tableCap, 0))
	}
	if blocked != 0 {
		c.qpackBlockedStreams = uint64(max(blocked, 0))
	}
	if maxHeader > 0 {
		c.maxFieldSectionSize = uint64(maxHeader)
	}
	return c
}

// conn is the HTTP/3 state of one QUIC connection shared by the server and the
// client sides: our control and QPACK streams, the peer's, the QPACK encoder and
// decoder, SETTINGS and GOAWAY. Request streams are handled by the Server and the
// Transport on top of it.
type conn struct {
	qc       *quic.Conn
	isServer bool
	cfg      connConfig
	logger   *slog.Logger

	ctrl *quic.SendStream // our control stream

	// encMu serialises encoding and the encoder stream, so that the peer receives
	// inserts in the order the sections that use them were encoded.
	encMu     sync.Mutex
	enc       *qpack.Encoder
	encStream *quic.SendStream
	encBuf    []byte

	// decMu guards the decoder and the streams blocked on it.
	decMu     sync.Mutex
	dec       *qpack.Decoder
	decStream *quic.SendStream
	decBuf    []byte
	blocked   map[uint64]chan struct{}
	ready     []uint64

	// Peer state, guarded by mu.
	mu               sync.Mutex
	peerSettings     settings
	settingsReceived bool
	settingsCh       chan struct{} // closed when the peer's SETTINGS arrive
	peerUni          [4]bool       // which critical stream types the peer opened
	peerGoaway       uint64        // lowest GOAWAY ID received (valid if goawayReceived)
	goawayReceived   bool
	goawayCh         chan struct{} // closed when the first GOAWAY arrives
	maxPushID        uint64        // server: the client's MAX_PUSH_ID
	maxPushIDSet     bool
	goawaySent       uint64
	goawaySentSet    bool
	priorityHook     func(streamID uint64, p priority) // server: applies PRIORITY_UPDATE
	goawayHook       func(id uint64)                   // client: fails the rejected requests

	// HTTP datagram queues by request stream ID, made on first use.
	dgMu     sync.Mutex
	dgQueues map[uint64]*datagramQueue

	closed atomic.Bool
}

func newConn(qc *quic.Conn, isServer bool, cfg connConfig) *conn {
	c := &conn{
		qc: qc, isServer: isServer, cfg: cfg, logger: cfg.logger,
		enc: qpack.NewEncoder(qpack.EncoderConfig{}),
		dec: qpack.NewDecoder(qpack.DecoderConfig{
			MaxTableCapacity:    cfg.qpackMaxTableCapacity,
			MaxBlockedStreams:   cfg.qpackBlockedStreams,
			MaxFieldSectionSize: cfg.maxFieldSectionSize,
		}),
		settingsCh: make(chan struct{}),
		goawayCh:   make(chan struct{}),
	}
	return c
}

// start opens our control and QPACK streams and starts reading the peer's
// unidirectional streams.
func (c *conn) start() error {
	s := settings{
		qpackMaxTableCapacity: c.cfg.qpackMaxTableCapacity,
		qpackBlockedStreams:   c.cfg.qpackBlockedStreams,
		maxFieldSectionSize:   c.cfg.maxFieldSectionSize,
		enableConnectProtocol: c.cfg.enableConnectProtocol,
		datagrams:             c.cfg.datagrams,
	}
	seed := greaseSeed.Add(1)
	b := quicwire.AppendVarint(nil, streamControl)
	b = appendSettingsFrame(b, s, seed)
	b = appendGreaseFrame(b, seed)
	var err error
	if c.ctrl, err = c.openUni(b); err != nil {
		return err
	}
	if c.encStream, err = c.openUni([]byte{streamQPACKEncoder}); err != nil {
		return err
	}
	if c.decStream, err = c.openUni([]byte{streamQPACKDecoder}); err != nil {
		return err
	}
	c.sendGreaseStream(seed)
	go c.acceptUniStreams()
	return nil
}

// sendGreaseStream opens a unidirectional stream of a reserved type with a few
// bytes, which the peer must ignore (RFC 9114 section 6.2.3), so that peers keep
// tolerating unknown stream types. It is skipped when the peer's stream limit
// leaves no room beyond the three streams HTTP/3 needs.
func (c *conn) sendGreaseStream(seed uint64) {
	s, err := c.qc.OpenUniStream()
	if err != nil {
		return
	}
	b := quicwire.AppendVarint(nil, greaseValue(seed+1))
	s.WriteAndClose(append(b, "h3wasi"...))
}

// openUni opens a unidirectional stream and writes its first bytes.
func (c *conn) openUni(first []byte) (*quic.SendStream, error) {
	s, err := c.qc.OpenUniStreamSync(c.qc.Context())
	if err != nil {
		return nil, err
	}
	// The control and QPACK streams go before any request data: a request whose
	// header section waits for encoder-stream inserts stuck behind response
	// bodies would never be decoded, its body never read, and the connection's
	// flow-control credit never returned (RFC 9204 section 2.1.3 warns of it).
	s.SetPriority(0, false)
	if _, err := s.Write(first); err != nil {
		return nil, err
	}
	return s, nil
}

// closeWithError closes the connection for a connection error; only the first
// error counts.
func (c *conn) closeWithError(e *Error) {
	if c.closed.Swap(true) {
		return
	}
	if c.logger != nil {
		c.logger.Debug("http3: closing connection", slog.String("code", e.Code.String()),
			slog.String("reason", e.Reason))
	}
	c.qc.CloseWithError(uint64(e.Code), e.Reason)
}

// fail handles an error met on a stream: a connection error closes the connection;
// anything else is left to the caller.
func (c *conn) fail(err error) bool {
	var e *Error
	if errors.As(err, &e) && e.conn && !e.Remote {
		c.closeWithError(e)
		return true
	}
	return false
}

// acceptUniStreams reads the type of each unidirectional stream the peer opens and
// hands it to its reader.
func (c *conn) acceptUniStreams() {
	for {
		s, err := c.qc.AcceptUniStream(context.Background())
		if err != nil {
			return
		}
		go c.handleUniStream(s)
	}
}

func (c *conn) handleUniStream(s *quic.ReceiveStream) {
	// A small buffer of its own: these streams live as long as the connection,
	// and their frames are small (readPayload grows it for a larger one).
	fr := &frameReader{r: s, buf: make([]byte, 256)}
	typ, err := fr.varint(true)
	if err != nil {
		return // reset or closed before its type: nothing to do (RFC 9114 section 6.2)
	}
	switch typ {
	case streamControl, streamQPACKEncoder, streamQPACKDecoder:
		if !c.claimUni(typ) {
			c.closeWithError(connErrorf(ErrCodeStreamCreationError, "second %s stream", uniStreamName(typ)))
			return
		}
	case streamPush:
		if c.isServer {
			c.closeWithError(connErrorf(ErrCodeStreamCreationError, "push stream opened by a client"))
		} else {
			// We never send MAX_PUSH_ID, so every push ID is beyond it (section 4.6).
			c.closeWithError(connErrorf(ErrCodeIDError, "push stream without MAX_PUSH_ID"))
		}
		return
	default:
		// Unknown and reserved stream types are abandoned (section 6.2).
		s.CancelRead(uint64(ErrCodeStreamCreationError))
		return
	}
	switch typ {
	case streamControl:
		err = c.readControlStream(fr)
	case streamQPACKEncoder:
		err = c.readEncoderStream(fr)
	case streamQPACKDecoder:
		err = c.readDecoderStream(fr)
	}
	if c.fail(err) {
		return
	}
	if c.qc.Context().Err() == nil {
		// Section 6.2.1: closing a critical stream is a connection error.
		c.closeWithError(connErrorf(ErrCodeClosedCriticalStream, "peer closed its %s stream", uniStreamName(typ)))
	}
}

func uniStreamName(typ uint64) string {
	switch typ {
	case streamControl:
		return "control"
	case streamQPACKEncoder:
		return "QPACK encoder"
	case streamQPACKDecoder:
		return "QPACK decoder"
	}
	return "push"
}

// claimUni records the peer's critical stream of type typ; false if it has one.
func (c *conn) claimUni(typ uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.peerUni[typ] {
		return false
	}
	c.peerUni[typ] = true
	return true
}

// readEncoderStream feeds the peer's encoder stream to our decoder and wakes the
// request streams it unblocks.
func (c *conn) readEncoderStream(fr *frameReader) error {
	buf := make([]byte, 1024)
	for {
		n, err := c.readRaw(fr, buf)
		if n > 0 {
			if err := c.onEncoderStream(buf[:n]); err != nil {
				return err
			}
		}
		if err != nil {
			return nil
		}
	}
}

// readRaw reads stream bytes past the stream type, first from what fr read ahead.
func (c *conn) readRaw(fr *frameReader, p []byte) (int, error) {
	if fr.buffered() > 0 {
		n := copy(p, fr.buf[fr.start:fr.end])
		fr.start += n
		return n, nil
	}
	if fr.err != nil {
		return 0, fr.err
	}
	return fr.r.Read(p)
}

func (c *conn) onEncoderStream(p []byte) error {
	c.decMu.Lock()
	if err := c.dec.WriteEncoderStream(p); err != nil {
		c.decMu.Unlock()
		return fromQPACK(err)
	}
	c.ready = c.dec.ReadyStreams(c.ready[:0])
	for _, id := range c.ready {
		if ch, ok := c.blocked[id]; ok {
			close(ch)
			delete(c.blocked, id)
		}
	}
	c.decMu.Unlock()
	c.flushDecoderStream()
	return nil
}

// flushDecoderStream writes the decoder's pending acknowledgements.
func (c *conn) flushDecoderStream() {
	c.decMu.Lock()
	c.decBuf = c.dec.AppendDecoderStream(c.decBuf[:0])
	if len(c.decBuf) == 0 || c.decStream == nil {
		c.decMu.Unlock()
		return
	}
	// Written under decMu so that acknowledgements leave in order.
	// Deferred: acknowledgements ride with the next packet (a response, an ACK)
	// rather than taking one of their own; RFC 9204 sets no deadline for them.
	c.decStream.WriteDeferred(c.decBuf)
	c.decMu.Unlock()
}

// readDecoderStream feeds the peer's decoder stream to our encoder.
func (c *conn) readDecoderStream(fr *frameReader) error {
	buf := make([]byte, 256)
	for {
		n, err := c.readRaw(fr, buf)
		if n > 0 {
			c.encMu.Lock()
			derr := c.enc.WriteDecoderStream(buf[:n])
			c.encMu.Unlock()
			if derr != nil {
				return fromQPACK(derr)
			}
		}
		if err != nil {
			return nil
		}
	}
}

// decodeFieldSection decodes a HEADERS payload of a request stream, waiting for
// the encoder stream when the section is blocked (RFC 9204 section 2.1.2).
func (c *conn) decodeFieldSection(ctx context.Context, streamID uint64, p []byte) ([]qpack.HeaderField, error) {
	c.decMu.Lock()
	fields, blocked, err := c.dec.DecodeFieldSection(nil, streamID, p)
	if err != nil || !blocked {
		c.decMu.Unlock()
		if err != nil {
			return nil, c.qpackErr(err)
		}
		c.flushDecoderStreamIfDynamic(p)
		return fields, nil
	}
	ch := make(chan struct{})
	if c.blocked == nil {
		c.blocked = make(map[uint64]chan struct{})
	}
	c.blocked[streamID] = ch
	c.decMu.Unlock()
	select {
	case <-ch:
	case <-ctx.Done():
		c.cancelBlocked(streamID)
		return nil, context.Cause(ctx)
	case <-c.qc.Context().Done():
		return nil, context.Cause(c.qc.Context())
	}
	c.decMu.Lock()
	fields, err = c.dec.ResumeFieldSection(nil, streamID)
	c.decMu.Unlock()
	if err != nil {
		return nil, c.qpackErr(err)
	}
	c.flushDecoderStream()
	return fields, nil
}

// flushDecoderStreamIfDynamic acknowledges a section that referred to the dynamic
// table: its first byte, the encoded Required Insert Count, is then non-zero.
func (c *conn) flushDecoderStreamIfDynamic(section []byte) {
	if len(section) > 0 && section[0] != 0 {
		c.flushDecoderStream()
	}
}

// qpackErr maps a decoding error: an oversized section is a stream-level error the
// caller answers, anything else a QPACK connection error.
func (c *conn) qpackErr(err error) error {
	if errors.Is(err, qpack.ErrFieldSectionTooLarge) {
		return errHeaderTooLarge
	}
	return fromQPACK(err)
}

// errHeaderTooLarge: a field section over the limit we announced.
var errHeaderTooLarge = streamErrorf(ErrCodeExcessiveLoad, "field section larger than MAX_FIELD_SECTION_SIZE")

// cancelBlocked abandons a stream's blocked section (Stream Cancellation, RFC 9204
// section 4.4.2).
func (c *conn) cancelBlocked(streamID uint64) {
	c.decMu.Lock()
	delete(c.blocked, streamID)
	c.dec.CancelStream(streamID)
	c.decMu.Unlock()
	c.flushDecoderStream()
}

// cancelStreamDecoding tells the peer's encoder that a stream's sections will not be
// acknowledged, when the stream is reset or abandoned before its end.
func (c *conn) cancelStreamDecoding(streamID uint64) {
	c.decMu.Lock()
	_, wasBlocked := c.blocked[streamID]
	delete(c.blocked, streamID)
	c.dec.CancelStream(streamID)
	c.decMu.Unlock()
	_ = wasBlocked
	c.flushDecoderStream()
}

// checkPeerFieldLimit refuses to send a header section over the peer's
// SETTINGS_MAX_FIELD_SECTION_SIZE (RFC 9114 section 4.2.2), which it would reject.
func (c *conn) checkPeerFieldLimit(fields []qpack.HeaderField) error {
	p, _ := c.peer()
	if p.maxFieldSectionSize == 0 {
		return nil
	}
	var size uint64
	for _, f := range fields {
		size += f.Size()
	}
	if size > p.maxFieldSectionSize {
		return fmt.Errorf("http3: header section of %d bytes exceeds the peer's limit of %d", size, p.maxFieldSectionSize)
	}
	return nil
}

// encodeHeaders appends a HEADERS frame for fields to b, writing any new dynamic
// table inserts on the encoder stream first.
func (c *conn) encodeHeaders(b []byte, streamID uint64, fields []qpack.HeaderField) ([]byte, error) {
	c.encMu.Lock()
	defer c.encMu.Unlock()
	start := len(b)
	// Reserve the largest frame header, encode, then move the section up to fit.
	var hdrBuf [9]byte
	b = append(b, hdrBuf[:]...)
	b = c.enc.EncodeFieldSection(b, streamID, fields)
	section := len(b) - start - 9
	hdr := appendFrameHeader(hdrBuf[:0], frameHeaders, uint64(section))
	copy(b[start+len(hdr):], b[start+9:])
	copy(b[start:], hdr)
	b = b[:start+len(hdr)+section]
	c.encBuf = c.enc.AppendEncoderStream(c.encBuf[:0])
	if len(c.encBuf) > 0 {
		// The HEADERS frame that uses the inserts follows at once and carries them
		// along in the same packet.
		if _, err := c.encStream.WriteDeferred(c.encBuf); err != nil {
			return b, err
		}
	}
	return b, nil
}

// readControlStream reads the peer's control stream: SETTINGS first, then GOAWAY,
// MAX_PUSH_ID, CANCEL_PUSH and PRIORITY_UPDATE (RFC 9114 section 6.2.1).
func (c *conn) readControlStream(fr *frameReader) error {
	first := true
	for {
		typ, _, err := fr.next()
		if err != nil {
			if errors.Is(err, errTruncatedFrame) {
				return err
			}
			return nil // closed or reset: the caller reports the closed critical stream
		}
		if first && typ != frameSettings {
			return connErrorf(ErrCodeMissingSettings, "first control frame is 0x%x, not SETTINGS", typ)
		}
		if err := c.handleControlFrame(fr, typ, first); err != nil {
			return err
		}
		first = false
	}
}

// handleControlFrame processes one frame of the peer's control stream.
func (c *conn) handleControlFrame(fr *frameReader, typ uint64, first bool) error {
	switch typ {
	case frameSettings:
		if !first {
			return connErrorf(ErrCodeFrameUnexpected, "second SETTINGS frame")
		}
		p, err := fr.readPayload(maxControlFrame, errFrameTooLarge)
		if err != nil {
			return err
		}
		s, err := parseSettings(p)
		if err != nil {
			return err
		}
		return c.onSettings(s)
	case frameGoaway, frameMaxPushID, frameCancelPush:
		p, err := fr.readPayload(8, connErrorf(ErrCodeFrameError, "oversized frame 0x%x", typ))
		if err != nil {
			return err
		}
		v, err := parseVarintPayload(p, frameName(typ))
		if err != nil {
			return err
		}
		if err := c.onControlID(typ, v); err != nil {
			return err
		}
		if typ == frameGoaway && c.goawayHook != nil {
			c.goawayHook(v)
		}
		return nil
	case framePriorityUpdate, framePriorityUpdatePush:
		if !c.isServer {
			return connErrorf(ErrCodeFrameUnexpected, "PRIORITY_UPDATE sent by a server")
		}
		p, err := fr.readPayload(maxControlFrame, errFrameTooLarge)
		if err != nil {
			return err
		}
		return c.onPriorityUpdate(typ, p)
	case frameData, frameHeaders, framePushPromise:
		return connErrorf(ErrCodeFrameUnexpected, "%s frame on the control stream", frameName(typ))
	}
	if isHTTP2Frame(typ) {
		return connErrorf(ErrCodeFrameUnexpected, "HTTP/2 frame type 0x%x", typ)
	}
	return nil // unknown or reserved: ignored (section 9)
}

func frameName(typ uint64) string {
	switch typ {
	case frameData:
		return "DATA"
	case frameHeaders:
		return "HEADERS"
	case frameCancelPush:
		return "CANCEL_PUSH"
	case frameSettings:
		return "SETTINGS"
	case framePushPromise:
		return "PUSH_PROMISE"
	case frameGoaway:
		return "GOAWAY"
	case frameMaxPushID:
		return "MAX_PUSH_ID"
	case framePriorityUpdate, framePriorityUpdatePush:
		return "PRIORITY_UPDATE"
	}
	return "0x" + ErrCode(typ).String()
}

// onSettings applies the peer's SETTINGS to our encoder.
func (c *conn) onSettings(s settings) error {
	if s.datagrams && c.cfg.datagrams && !c.qc.ConnectionState().SupportsDatagrams {
		// RFC 9297 section 2.1.1: H3_DATAGRAM without QUIC datagram support.
		return connErrorf(ErrCodeSettingsError, "SETTINGS_H3_DATAGRAM without the max_datagram_frame_size transport parameter")
	}
	c.encMu.Lock()
	err := c.enc.SetPeerSettings(qpack.EncoderConfig{
		MaxTableCapacity:  s.qpackMaxTableCapacity,
		MaxBlockedStreams: s.qpackBlockedStreams,
	})
	c.encMu.Unlock()
	if err != nil {
		return connErrorf(ErrCodeInternalError, "applying the peer's QPACK settings: %v", err)
	}
	c.mu.Lock()
	c.peerSettings = s
	c.settingsReceived = true
	c.mu.Unlock()
	close(c.settingsCh)
	return nil
}

// onControlID handles GOAWAY, MAX_PUSH_ID and CANCEL_PUSH (sections 5.2, 7.2.3,
// 7.2.7): their IDs must be of the right kind and never move the wrong way.
func (c *conn) onControlID(typ, v uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch typ {
	case frameGoaway:
		// From a server, a client-initiated bidirectional stream ID; from a client,
		// a push ID. Either way it may only shrink.
		if !c.isServer && v%4 != 0 {
			return connErrorf(ErrCodeIDError, "GOAWAY with stream ID %d, not a client-initiated bidirectional stream", v)
		}
		if c.goawayReceived && v > c.peerGoaway {
			return connErrorf(ErrCodeIDError, "GOAWAY ID grew from %d to %d", c.peerGoaway, v)
		}
		first := !c.goawayReceived
		c.peerGoaway, c.goawayReceived = v, true
		if first {
			close(c.goawayCh)
		}
	case frameMaxPushID:
		if !c.isServer {
			return connErrorf(ErrCodeFrameUnexpected, "MAX_PUSH_ID sent by a server")
		}
		if c.maxPushIDSet && v < c.maxPushID {
			return connErrorf(ErrCodeIDError, "MAX_PUSH_ID fell from %d to %d", c.maxPushID, v)
		}
		c.maxPushID, c.maxPushIDSet = v, true
	case frameCancelPush:
		// We never promise pushes (server) and never allow them (client): any push
		// ID is one that was never promised or is beyond our MAX_PUSH_ID.
		return connErrorf(ErrCodeIDError, "CANCEL_PUSH for push %d, which was never promised", v)
	}
	return nil
}

// goaway returns the peer's GOAWAY ID, if it sent one.
func (c *conn) goaway() (uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.peerGoaway, c.goawayReceived
}

// sendGoaway sends GOAWAY with id, unless one with a lower or equal ID was sent.
func (c *conn) sendGoaway(id uint64) error {
	c.mu.Lock()
	if c.goawaySentSet && id >= c.goawaySent {
		c.mu.Unlock()
		return nil
	}
	c.goawaySent, c.goawaySentSet = id, true
	c.mu.Unlock()
	_, err := c.ctrl.Write(appendVarintFrame(nil, frameGoaway, id))
	return err
}

// goawayAndClose ends a client connection as RFC 9114 section 5.2 describes: a
// GOAWAY first (with push ID 0, since we allow no pushes), then the close.
func (c *conn) goawayAndClose() {
	if !c.isServer && c.ctrl != nil {
		c.sendGoaway(0)
	}
	c.closeWithError(&Error{Code: ErrCodeNoError, conn: true})
}

// peer returns the peer's settings and whether they have arrived.
func (c *conn) peer() (settings, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.peerSettings, c.settingsReceived
}

// onPriorityUpdate parses a PRIORITY_UPDATE frame (RFC 9218 section 7.2) and
// applies it to the stream it names.
func (c *conn) onPriorityUpdate(typ uint64, p []byte) error {
	id, n, err := quicwire.ParseVarint(p)
	if err != nil {
		return connErrorf(ErrCodeFrameError, "malformed PRIORITY_UPDATE frame")
	}
	if typ == framePriorityUpdatePush {
		return connErrorf(ErrCodeIDError, "PRIORITY_UPDATE for push %d, which was never promised", id)
	}
	if id%4 != 0 {
		return connErrorf(ErrCodeIDError, "PRIORITY_UPDATE for stream %d, not a request stream", id)
	}
	prio, ok := parsePriority(string(p[n:]))
	if !ok {
		return nil // section 4: an unparsable value is ignored
	}
	c.onStreamPriority(id, prio)
	return nil
}

// onStreamPriority is set by the server to apply priorities to request streams.
func (c *conn) onStreamPriority(id uint64, p priority) {
	c.mu.Lock()
	f := c.priorityHook
	c.mu.Unlock()
	if f != nil {
		f(id, p)
	}
}
