// Package recovery implements QUIC loss detection and congestion control
// (RFC 9002) and the receiver's acknowledgment state (RFC 9000 section 13.2)
// as sans-IO building blocks: no clock reads, no goroutines, no randomness.
// Time is an int64 count of nanoseconds of a monotonic clock that the caller
// passes to every method.
//
// # Sending side: Recovery
//
// A connection owns one Recovery (one per path) and drives it so:
//
//   - Before building a packet, it asks CanSend / Available (congestion
//     window) and NextSendTime (pacer); probes bypass both.
//   - After sending a packet, it calls OnPacketSent with the packet number,
//     size, whether it is ack-eliciting and in flight, and a list of Frame
//     records describing what the packet carried. The records are copied
//     into reused storage, so steady state allocates nothing.
//   - On an ACK frame, it calls OnAck with the frame's ranges and scaled ack
//     delay. Recovery calls the Handler's OnPacketAcked for every newly
//     acknowledged packet and OnPacketLost for every packet declared lost
//     (packet threshold 3, raised up to 16 by ACKs of packets declared lost
//     that were only reordered; time threshold 9/8 RTT), so that the connection
//     releases or requeues the frames; it updates the RTT estimate and the
//     CongestionController.
//   - It keeps a timer at Deadline and calls OnTimeout when it passes: this
//     declares time-threshold losses or, on a probe timeout, asks for
//     ProbesPending ack-eliciting probe packets in a space, which the
//     connection sends at once (new data, a retransmission, or PING).
//   - On key events it calls DiscardSpace (Initial and Handshake keys
//     dropped), OnRetry (client, after a Retry: the Initial packets are
//     forgotten, the 0-RTT ones handed back as lost), SetHandshakeKeys
//     (client), SetHandshakeConfirmed, and
//     SetAmplificationBlocked (server), which steer the PTO of RFC 9002
//     section 6.2.
//
// # Receiving side: AckTracker
//
// The connection owns one AckTracker per packet number space. For every
// authenticated packet it calls OnPacketReceived (which also reports
// duplicates to drop); when AckDue (or before Deadline) it sends an ACK
// frame built from AppendRanges and AckDelay and calls OnAckSent. When the
// peer acknowledges a packet that carried an ACK frame (an OnPacketAcked
// callback whose Frames include it), it calls OnAckAcked so that later ACKs
// leave out what the peer already knows.
//
// # Congestion control
//
// CongestionController is the interface between Recovery and an algorithm.
// NewReno (RFC 9002 section 7 and Appendix B, the default) and Cubic (RFC
// 9438) are provided, both with optional HyStart++ (RFC 9406); Pacer
// implements the pacing of section 7.7 and is built into Recovery
// (NextSendTime).
package recovery
