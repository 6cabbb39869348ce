package protect

// keyChoice names the read keys selected for a packet.
type keyChoice int

const (
	usePrev keyChoice = iota
	useCur
	useNext
)

// Open removes the protection of a 1-RTT packet in place like Keys.Open,
// selecting the previous, current or next read keys by the Key Phase bit and
// the packet number (RFC 9001 section 6.5), and follows a key update
// initiated by the peer. now is the current time, used to retire old keys.
//
// Errors: ErrPacketTooShort, ErrDecryptionFailed and ErrKeysUnavailable
// mean drop the packet; an *Error (KEY_UPDATE_ERROR, AEAD_LIMIT_REACHED)
// means close the connection.
func (k *OneRTTKeys) Open(pkt []byte, pnOffset int, largest int64, now int64) (pn uint64, payload []byte, err error) {
	k.HandleTimeout(now)
	pnLen, trunc, err := k.readHP.unprotectHeader(pkt, pnOffset)
	if err != nil {
		return 0, nil, err
	}
	pn = DecodePacketNumber(largest, trunc, pnLen)
	choice, key := k.selectKey(pkt[0]&keyPhaseBit != 0, int64(pn))
	if key == nil {
		return pn, nil, ErrKeysUnavailable
	}
	payload, err = key.open(pkt, pnOffset+pnLen, pn)
	if err != nil {
		k.authFailures++
		if k.authFailures >= k.integLimit {
			return pn, nil, &Error{Code: CodeAEADLimitReached, Reason: "integrity limit reached"}
		}
		return pn, nil, err
	}
	if err := k.accept(choice, int64(pn), now); err != nil {
		return pn, nil, err
	}
	return pn, payload, nil
}

// selectKey picks the read keys for a packet. A packet whose Key Phase
// differs from the current one is from the previous phase if its number is
// below the first one received in the current phase, otherwise it starts
// the next phase.
func (k *OneRTTKeys) selectKey(phaseBit bool, pn int64) (keyChoice, *packetKey) {
	if phaseBit == (k.phase&1 == 1) {
		return useCur, k.rcvCur
	}
	if k.firstRcvdCur < 0 || pn < k.firstRcvdCur {
		if k.rcvPrev != nil {
			return usePrev, k.rcvPrev
		}
		if k.phase > 0 {
			return usePrev, nil // the previous keys were already discarded
		}
	}
	return useNext, k.nextRead()
}

// accept updates the key phase state after a packet was authenticated and
// enforces the peer's obligations of RFC 9001 sections 6.2 and 6.4.
func (k *OneRTTKeys) accept(choice keyChoice, pn int64, now int64) error {
	switch choice {
	case usePrev:
		if pn > k.largestRcvdPr {
			k.largestRcvdPr = pn
		}
	case useCur:
		if pn < k.largestRcvdPr {
			return &Error{Code: CodeKeyUpdateError, Reason: "packet with newer keys has a lower number than one with older keys"}
		}
		if k.firstRcvdCur < 0 {
			// The peer has the current keys: retire the previous ones
			// after three PTOs (RFC 9001 section 6.5).
			k.firstRcvdCur = pn
			k.prevExpiry = now + 3*k.pto
		}
		if pn > k.largestRcvdCur {
			k.largestRcvdCur = pn
		}
	case useNext:
		if k.firstSentCur < 0 {
			return &Error{Code: CodeKeyUpdateError, Reason: "peer updated keys again before acknowledging the previous update"}
		}
		if pn < k.largestRcvdCur {
			return &Error{Code: CodeKeyUpdateError, Reason: "packet with newer keys has a lower number than one with older keys"}
		}
		k.rotate()
		k.firstRcvdCur = pn
		k.largestRcvdCur = pn
		k.prevExpiry = now + 3*k.pto
	}
	return nil
}
