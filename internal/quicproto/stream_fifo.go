package quicproto

// streamFIFO is a queue on a ring of slots that grows by doubling and then
// reuses its storage, so steady-state scheduling never allocates.
type streamFIFO[T any] struct {
	buf  []T
	head int
	n    int
}

func (q *streamFIFO[T]) len() int { return q.n }

func (q *streamFIFO[T]) push(v T) {
	if q.n == len(q.buf) {
		buf := make([]T, max(8, 2*len(q.buf)))
		for i := 0; i < q.n; i++ {
			buf[i] = q.buf[(q.head+i)%len(q.buf)]
		}
		q.buf, q.head = buf, 0
	}
	q.buf[(q.head+q.n)%len(q.buf)] = v
	q.n++
}

// front returns the oldest element; the queue must not be empty.
func (q *streamFIFO[T]) front() T { return q.buf[q.head] }

func (q *streamFIFO[T]) pop() T {
	var zero T
	v := q.buf[q.head]
	q.buf[q.head] = zero // let the garbage collector reclaim retired streams
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	return v
}

// at returns the i-th oldest element.
func (q *streamFIFO[T]) at(i int) T { return q.buf[(q.head+i)%len(q.buf)] }

// remove drops the elements for which drop is true, keeping the others in
// order: O(n), for rare changes such as a new stream priority.
func (q *streamFIFO[T]) remove(drop func(T) bool) {
	var zero T
	n := 0
	for i := 0; i < q.n; i++ {
		v := q.at(i)
		if !drop(v) {
			q.buf[(q.head+n)%len(q.buf)] = v
			n++
		}
	}
	for i := n; i < q.n; i++ {
		q.buf[(q.head+i)%len(q.buf)] = zero
	}
	q.n = n
}
