package quicproto

import (
	"errors"

	"github.com/h3wasi/h3wasi/internal/protect"
)

// keyUpdater owns the 1-RTT keys (protect.OneRTTKeys, which runs RFC 9001 section 6) and
// decides when we initiate a key update: after Config.KeyUpdateInterval packets in one
// phase, or when the AEAD confidentiality limit approaches.
type keyUpdater struct {
	suite                   uint16
	version                 uint32
	readSecret, writeSecret []byte
	keys                    *protect.OneRTTKeys
	interval                uint64
	sentInPhase             uint64
	// updates counts key updates we initiated (for tests and stats).
	updates int
}

func (k *keyUpdater) setReadSecret(suite uint16, s []byte, version uint32) {
	k.suite, k.version = suite, version
	k.readSecret = append([]byte(nil), s...)
}

func (k *keyUpdater) setWriteSecret(suite uint16, s []byte, version uint32) {
	k.suite, k.version = suite, version
	k.writeSecret = append([]byte(nil), s...)
}

// ready builds the 1-RTT keys once both secrets are known.
func (k *keyUpdater) ready() bool {
	if k.keys != nil {
		return true
	}
	if k.readSecret == nil || k.writeSecret == nil {
		return false
	}
	keys, err := protect.NewOneRTTKeys(k.suite, k.version, k.readSecret, k.writeSecret)
	if err != nil {
		return false
	}
	k.keys = keys
	clear(k.readSecret)
	clear(k.writeSecret)
	return true
}

// open removes the protection of a 1-RTT packet. Errors that must close the connection are
// returned as *TransportError; the others mean "drop the packet".
func (k *keyUpdater) open(now int64, sp *pnSpace, pkt []byte, pnOff int) (uint64, []byte, error) {
	pn, payload, err := k.keys.Open(pkt, pnOff, sp.largestRecv, now)
	if err != nil {
		var pe *protect.Error
		if errors.As(err, &pe) {
			return pn, nil, &TransportError{Code: ErrorCode(pe.Code), Reason: pe.Reason}
		}
	}
	return pn, payload, err
}

// seal protects a 1-RTT packet, first initiating a key update when one is due and allowed.
func (k *keyUpdater) seal(now int64, pkt []byte, pnOff, pnLen int, pn uint64) ([]byte, error) {
	if (k.interval > 0 && k.sentInPhase >= k.interval) || k.keys.ShouldUpdate() {
		if k.keys.CanUpdate(now) {
			if err := k.keys.Update(now); err == nil {
				k.sentInPhase = 0
				k.updates++
			}
		}
	}
	out, err := k.keys.Seal(pkt, pnOff, pnLen, pn)
	if err != nil {
		var pe *protect.Error
		if errors.As(err, &pe) {
			return out, &TransportError{Code: ErrorCode(pe.Code), Reason: pe.Reason}
		}
		return out, err
	}
	k.sentInPhase++
	return out, nil
}

// canOpen reports whether packets of level l can be decrypted now.
func (c *Conn) canOpen(l level) bool {
	if l == levelApp {
		return c.keyUpd.ready()
	}
	return c.spaces[l].open != nil
}

// canSeal reports whether packets of level l can be sent now.
func (c *Conn) canSeal(l level) bool {
	if c.spaces[l].discarded {
		return false
	}
	if l == levelApp {
		return c.keyUpd.ready() || c.zeroRTTSeal != nil
	}
	return c.spaces[l].seal != nil
}
