package quicproto

import "time"

// ConnStats are counters and estimates of a connection, for logs, qlog and benchmarks.
type ConnStats struct {
	SmoothedRTT, MinRTT, LatestRTT time.Duration
	CongestionWindow               int
	BytesInFlight                  int
	BytesSent, BytesReceived       uint64 // UDP payload bytes
	PacketsSent, PacketsReceived   uint64 // QUIC packets (coalesced packets count apart)
	PacketsLost                    uint64 // packets recovery declared lost
	KeyUpdates                     int    // key updates we initiated
	PeerAddressChanges             int    // times the peer's address changed
}

// connCounters are the counters behind ConnStats.
type connCounters struct {
	packetsSent, packetsRecv, packetsLost uint64
}

// Stats returns a snapshot of the connection's counters and estimates.
func (c *Conn) Stats() ConnStats {
	rtt := c.lr.RTT()
	return ConnStats{
		SmoothedRTT:        time.Duration(rtt.Smoothed()),
		MinRTT:             time.Duration(rtt.Min()),
		LatestRTT:          time.Duration(rtt.Latest()),
		CongestionWindow:   c.lr.Congestion().Window(),
		BytesInFlight:      c.lr.BytesInFlight(),
		BytesSent:          c.bytesSent,
		BytesReceived:      c.bytesRecv,
		PacketsSent:        c.counters.packetsSent,
		PacketsReceived:    c.counters.packetsRecv,
		PacketsLost:        c.counters.packetsLost,
		KeyUpdates:         c.keyUpd.updates,
		PeerAddressChanges: c.path.migrations,
	}
}
