package quicproto

// EventKind says what happened on a connection.
type EventKind uint8

// Event kinds reported by Conn.NextEvent.
const (
	// EventHandshakeDone: the handshake completed; streams may carry 1-RTT data.
	EventHandshakeDone EventKind = iota + 1
	// EventStreamOpened: the peer opened Stream; the driver hands it to an Accept call.
	EventStreamOpened
	// EventStreamReadable: Stream has data, a FIN or a reset to read.
	EventStreamReadable
	// EventStreamWritable: Stream's send buffer has room again, or it was stopped by the peer.
	EventStreamWritable
	// EventStreamsAvailable: the peer raised a stream limit; blocked opens may retry.
	EventStreamsAvailable
	// EventNewToken: the server sent an address validation token (in Token) for future
	// connections to it.
	EventNewToken
	// Event0RTTRejected: the server refused our 0-RTT data. Every stream opened so far is
	// gone (RFC 9001 section 4.6.2: its *Stream values are dead); the application opens
	// new ones and writes again.
	Event0RTTRejected
	// EventDatagram: a DATAGRAM frame arrived; Data holds a copy of its payload.
	EventDatagram
	// EventClosed: the connection is closed (Err says why) and its state can be dropped
	// once Done reports true.
	EventClosed
)

// Event is something a driver must act on: wake a blocked reader, accept a stream...
type Event struct {
	Kind   EventKind
	Stream StreamID
	// Token is the NEW_TOKEN token (EventNewToken); it is a fresh copy the driver may keep.
	Token []byte
	// Data is the payload of a DATAGRAM frame (EventDatagram), a copy the driver may keep.
	Data []byte
	// Err is why the connection closed (EventClosed): *TransportError, *ApplicationError,
	// ErrIdleTimeout, ErrStatelessReset...
	Err error
}

// eventQueue is a FIFO of events that reuses its storage.
type eventQueue struct {
	q    []Event
	head int
}

func (e *eventQueue) push(ev Event) { e.q = append(e.q, ev) }

func (e *eventQueue) pop() (Event, bool) {
	if e.head >= len(e.q) {
		return Event{}, false
	}
	ev := e.q[e.head]
	e.q[e.head] = Event{}
	e.head++
	if e.head == len(e.q) {
		e.q, e.head = e.q[:0], 0
	}
	return ev, true
}
