package protect

import "errors"

// ErrKeyUpdateNotAllowed is returned by OneRTTKeys.Update when RFC 9001
// section 6 forbids initiating a key update now (see CanUpdate).
var ErrKeyUpdateNotAllowed = errors.New("quic protect: key update not allowed yet")

// keyPhaseBit is the Key Phase bit of the short header first byte.
const keyPhaseBit = 0x04

// OneRTTKeys protects 1-RTT packets and runs the key update protocol of
// RFC 9001 section 6 on both directions. It keeps up to three sets of read
// keys (previous, current, next) and one set of write keys.
//
// Only the next phase's secrets are derived when a phase starts; its AEADs
// (an AES-GCM key schedule is about a kilobyte) are built when first needed:
// the next read key when a packet with the other Key Phase bit arrives, the
// next write key at the update. Idle connections, which rarely update keys,
// so keep two AEADs instead of four. RFC 9001 section 6.3 suggests deriving
// in advance to hide the timing of key updates; the one-time derivation
// here reveals no more than the packet's arrival already does.
//
// Times are int64 nanoseconds of the caller's monotonic clock. The caller
// reports the current PTO (SetPTO), handshake confirmation
// (SetHandshakeConfirmed) and acknowledged 1-RTT packet numbers (OnAcked).
type OneRTTKeys struct {
	suite  *suiteParams
	labels labels

	readHP, writeHP *headerKey

	phase                         uint64 // key updates so far; the current Key Phase bit is phase&1
	readSecret, writeSecret       []byte // secrets of the next phase
	rcvPrev, rcvCur, rcvNext      *packetKey
	sndCur                        *packetKey
	firstSentCur, firstRcvdCur    int64 // lowest packet number sent/received in the current phase, -1 if none
	largestRcvdCur, largestRcvdPr int64 // largest packet number opened in the current/previous phase
	largestAcked                  int64
	prevExpiry                    int64 // when rcvPrev is discarded; valid once firstRcvdCur >= 0
	pto                           int64
	confirmed                     bool
	sentCur                       uint64 // packets sealed with sndCur, for the confidentiality limit
	authFailures                  uint64 // packets that failed authentication, for the integrity limit
	confLimit, integLimit         uint64
}

// NewOneRTTKeys builds the 1-RTT keys of an endpoint from the TLS
// application traffic secrets it reads and writes with.
func NewOneRTTKeys(suite uint16, version uint32, readSecret, writeSecret []byte) (*OneRTTKeys, error) {
	s, err := lookupSuite(suite)
	if err != nil {
		return nil, err
	}
	l, err := versionLabels(version)
	if err != nil {
		return nil, err
	}
	if len(readSecret) != s.hashLen || len(writeSecret) != s.hashLen {
		return nil, ErrBadSecret
	}
	k := &OneRTTKeys{
		suite:          s,
		labels:         l,
		readHP:         newHeaderKey(s, s.expandLabel(readSecret, l.hp, s.keyLen)),
		writeHP:        newHeaderKey(s, s.expandLabel(writeSecret, l.hp, s.keyLen)),
		rcvCur:         derivePacketKey(s, l, readSecret),
		sndCur:         derivePacketKey(s, l, writeSecret),
		readSecret:     readSecret,
		writeSecret:    writeSecret,
		firstSentCur:   -1,
		firstRcvdCur:   -1,
		largestRcvdCur: -1,
		largestRcvdPr:  -1,
		largestAcked:   -1,
		confLimit:      s.confLimit,
		integLimit:     s.integLimit,
	}
	k.deriveNext()
	return k, nil
}

// deriveNext computes the next phase's secrets (RFC 9001 section 6.1); the
// next phase's keys are built from them on demand (nextRead, rotate).
func (k *OneRTTKeys) deriveNext() {
	s, l := k.suite, k.labels
	k.readSecret = s.expandLabel(k.readSecret, l.ku, s.hashLen)
	k.writeSecret = s.expandLabel(k.writeSecret, l.ku, s.hashLen)
	k.rcvNext = nil
}

// nextRead returns the next phase's read key, building it on first use.
func (k *OneRTTKeys) nextRead() *packetKey {
	if k.rcvNext == nil {
		k.rcvNext = derivePacketKey(k.suite, k.labels, k.readSecret)
	}
	return k.rcvNext
}

// rotate moves both directions to the next key phase.
func (k *OneRTTKeys) rotate() {
	k.phase++
	k.rcvPrev, k.rcvCur = k.rcvCur, k.nextRead()
	k.sndCur = derivePacketKey(k.suite, k.labels, k.writeSecret)
	k.largestRcvdPr = k.largestRcvdCur
	k.largestRcvdCur = -1
	k.firstRcvdCur = -1
	k.firstSentCur = -1
	k.sentCur = 0
	k.deriveNext()
}

// Suite returns the TLS cipher suite of the keys.
func (k *OneRTTKeys) Suite() uint16 { return k.suite.id }

// Phase returns the number of key updates so far; its low bit is the Key
// Phase bit of the packets sent now.
func (k *OneRTTKeys) Phase() uint64 { return k.phase }

// SetPTO records the current probe timeout in nanoseconds; old read keys are
// kept for three PTOs after the first packet of a new phase arrives.
func (k *OneRTTKeys) SetPTO(pto int64) { k.pto = pto }

// SetHandshakeConfirmed allows initiating key updates (RFC 9001 6.1).
func (k *OneRTTKeys) SetHandshakeConfirmed() { k.confirmed = true }

// OnAcked records that the peer acknowledged 1-RTT packets up to largest.
func (k *OneRTTKeys) OnAcked(largest int64) {
	if largest > k.largestAcked {
		k.largestAcked = largest
	}
}

// AuthFailures returns the number of 1-RTT packets that failed
// authentication so far.
func (k *OneRTTKeys) AuthFailures() uint64 { return k.authFailures }

// CanUpdate reports whether RFC 9001 section 6 allows initiating a key update
// now: the handshake is confirmed, a packet sent in the current phase was
// acknowledged, the peer has sent in the current phase, and the previous
// phase's read keys were discarded (three PTOs after the last update).
func (k *OneRTTKeys) CanUpdate(now int64) bool {
	k.HandleTimeout(now)
	return k.confirmed && k.firstSentCur >= 0 && k.largestAcked >= k.firstSentCur &&
		k.firstRcvdCur >= 0 && k.rcvPrev == nil
}

// ShouldUpdate reports whether the packets sealed with the current key are
// approaching the AEAD confidentiality limit (RFC 9001 section 6.6): the
// caller should initiate a key update as soon as CanUpdate allows it.
func (k *OneRTTKeys) ShouldUpdate() bool {
	return k.confLimit != 0 && k.sentCur >= k.confLimit-k.confLimit/8
}

// Update initiates a key update: subsequent packets are sealed with the
// next keys and the other Key Phase value.
func (k *OneRTTKeys) Update(now int64) error {
	if !k.CanUpdate(now) {
		return ErrKeyUpdateNotAllowed
	}
	k.rotate()
	return nil
}

// Deadline returns when the previous read keys are to be discarded, if that
// is scheduled.
func (k *OneRTTKeys) Deadline() (int64, bool) {
	if k.rcvPrev == nil || k.firstRcvdCur < 0 {
		return 0, false
	}
	return k.prevExpiry, true
}

// HandleTimeout discards the previous read keys once their time is up.
func (k *OneRTTKeys) HandleTimeout(now int64) {
	if t, ok := k.Deadline(); ok && now >= t {
		k.rcvPrev = nil
	}
}

// Seal protects a 1-RTT packet in place like Keys.Seal, and sets the Key
// Phase bit of the first byte to the current phase. It returns an
// AEAD_LIMIT_REACHED Error when the current key reached its confidentiality
// limit without a key update.
func (k *OneRTTKeys) Seal(pkt []byte, pnOffset, pnLen int, pn uint64) ([]byte, error) {
	if k.confLimit != 0 && k.sentCur >= k.confLimit {
		return pkt, &Error{Code: CodeAEADLimitReached, Reason: "confidentiality limit reached without key update"}
	}
	if len(pkt) > 0 {
		pkt[0] = pkt[0]&^keyPhaseBit | byte(k.phase&1)<<2
	}
	out, err := seal(k.sndCur, k.writeHP, pkt, pnOffset, pnLen, pn)
	if err != nil {
		return out, err
	}
	k.sentCur++
	if k.firstSentCur < 0 {
		k.firstSentCur = int64(pn)
	}
	return out, nil
}
