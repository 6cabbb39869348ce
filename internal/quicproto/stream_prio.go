package quicproto

import "slices"

// Stream priorities (RFC 9218, Extensible Prioritization Scheme for HTTP): each stream
// has an urgency, 0 (most urgent) to 7, and an incremental flag. The send scheduler
// serves the lowest urgency with data first. Within one urgency, non-incremental
// streams go one after another in stream ID order, each sending all it has before the
// next one starts (a client can use a response only once it has all of it), and then
// incremental streams share the bandwidth, taking turns chunk by chunk (a client uses
// their data as it arrives). A stream that flow control blocks lets the next one go.

// DefaultUrgency is the urgency of a stream whose priority was not set (RFC 9218
// section 4.1); its default is also non-incremental.
const DefaultUrgency = 3

// MaxUrgency is the least urgent urgency.
const MaxUrgency = 7

// sendLevel holds the queued streams of one urgency.
type sendLevel struct {
	seq []*Stream           // non-incremental streams, by ascending stream ID
	rr  streamFIFO[*Stream] // incremental streams, round-robin
}

// sendSched queues the streams that have data to send by priority. Its slices grow
// to the largest number of streams queued at once and are then reused, so steady-state
// scheduling allocates nothing.
type sendSched struct {
	levels [MaxUrgency + 1]sendLevel
}

// add queues s under its priority; s must not be queued.
func (q *sendSched) add(s *Stream) {
	s.inSendQ = true
	l := &q.levels[s.urgency]
	if s.incremental {
		l.rr.push(s)
		return
	}
	i := l.seqIndex(s.id)
	l.seq = slices.Insert(l.seq, i, s)
}

// remove takes a queued s out of its queue.
func (q *sendSched) remove(s *Stream) {
	s.inSendQ = false
	l := &q.levels[s.urgency]
	if s.incremental {
		l.rr.remove(func(o *Stream) bool { return o == s })
		return
	}
	if i := l.seqIndex(s.id); i < len(l.seq) && l.seq[i] == s {
		l.removeSeq(i)
	}
}

// seqIndex returns where stream id is or would be in seq.
func (l *sendLevel) seqIndex(id StreamID) int {
	i, _ := slices.BinarySearchFunc(l.seq, id, func(s *Stream, id StreamID) int {
		switch {
		case s.id < id:
			return -1
		case s.id > id:
			return 1
		}
		return 0
	})
	return i
}

// removeSeq drops seq[i].
func (l *sendLevel) removeSeq(i int) { l.seq = slices.Delete(l.seq, i, i+1) }

// SetPriority sets the stream's send priority: urgency 0 (most urgent) to MaxUrgency
// (larger values count as MaxUrgency) and whether it is incremental (see stream_prio.go).
// Streams start at DefaultUrgency, non-incremental.
func (s *Stream) SetPriority(urgency uint8, incremental bool) {
	urgency = min(urgency, MaxUrgency)
	if s.urgency == urgency && s.incremental == incremental {
		return
	}
	queued := s.inSendQ
	if queued {
		s.m.sched.remove(s)
	}
	s.urgency, s.incremental = urgency, incremental
	if queued {
		s.m.sched.add(s)
	}
}

// Priority returns the stream's urgency and incremental flag.
func (s *Stream) Priority() (urgency uint8, incremental bool) { return s.urgency, s.incremental }
