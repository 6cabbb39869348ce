package handshake

import "github.com/h3wasi/h3wasi/internal/quicwire"

// zeroRTTCompatible reports whether a server whose current transport
// parameters are cur may accept 0-RTT from a client that remembers stored,
// the parameters of the connection that issued the ticket.
//
// Byte equality is useless: every connection has its own connection IDs and
// stateless reset token. RFC 9000 section 7.4.1 names what the client
// remembers and the server must not reduce (the flow control and stream
// limits and active_connection_id_limit); RFC 9221 section 3 adds
// max_datagram_frame_size. A server must also not start forbidding
// migration the client was told it may use. Everything else may change.
func zeroRTTCompatible(stored, cur []byte) bool {
	old, err := quicwire.ParseTransportParameters(stored, true)
	if err != nil {
		return false
	}
	now, err := quicwire.ParseTransportParameters(cur, true)
	if err != nil {
		return false
	}
	limits := [...][2]uint64{
		{old.InitialMaxData, now.InitialMaxData},
		{old.InitialMaxStreamDataBidiLocal, now.InitialMaxStreamDataBidiLocal},
		{old.InitialMaxStreamDataBidiRemote, now.InitialMaxStreamDataBidiRemote},
		{old.InitialMaxStreamDataUni, now.InitialMaxStreamDataUni},
		{old.InitialMaxStreamsBidi, now.InitialMaxStreamsBidi},
		{old.InitialMaxStreamsUni, now.InitialMaxStreamsUni},
		{old.ActiveConnectionIDLimit, now.ActiveConnectionIDLimit},
		{old.MaxDatagramFrameSize, now.MaxDatagramFrameSize},
	}
	for _, l := range limits {
		if l[1] < l[0] {
			return false
		}
	}
	return !now.DisableActiveMigration || old.DisableActiveMigration
}
