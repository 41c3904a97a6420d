package task

// ring is a FIFO of values in a ring buffer that grows by doubling and
// never shrinks: push, pushFront and pop are O(1) and allocate nothing
// once it has grown to its peak; removeAt is O(n). The zero value is
// empty. Channels buffer their values in one.
type ring[T any] struct {
	buf        []T // len is a power of two, or 0
	head, size int
}

func (q *ring[T]) len() int { return q.size }

func (q *ring[T]) slot(i int) *T { return &q.buf[(q.head+i)&(len(q.buf)-1)] }

func (q *ring[T]) grow() {
	if q.size < len(q.buf) {
		return
	}
	grown := make([]T, max(2*len(q.buf), 4))
	for i := range q.size {
		grown[i] = *q.slot(i)
	}
	q.buf, q.head = grown, 0
}

// push adds v at the back.
func (q *ring[T]) push(v T) {
	q.grow()
	*q.slot(q.size) = v
	q.size++
}

// pushFront adds v at the front.
func (q *ring[T]) pushFront(v T) {
	q.grow()
	q.head = (q.head - 1) & (len(q.buf) - 1)
	q.buf[q.head] = v
	q.size++
}

// pop removes and returns the front value; the queue must not be empty.
func (q *ring[T]) pop() T {
	var zero T
	v := q.buf[q.head]
	q.buf[q.head] = zero // drop the reference for the collector
	q.head = (q.head + 1) & (len(q.buf) - 1)
	q.size--
	return v
}

// removeAt removes the i-th value, keeping the others' order.
func (q *ring[T]) removeAt(i int) {
	for ; i < q.size-1; i++ {
		*q.slot(i) = *q.slot(i + 1)
	}
	var zero T
	*q.slot(q.size - 1) = zero
	q.size--
}

// clear empties the queue, keeping its buffer.
func (q *ring[T]) clear() {
	clear(q.buf)
	q.head, q.size = 0, 0
}

// freeList is a stack of records for reuse (coroutines, wait records).
// The zero value is empty.
type freeList[T any] []T

// get pops a record, reporting false if there is none.
func (f *freeList[T]) get() (T, bool) {
	var zero T
	n := len(*f)
	if n == 0 {
		return zero, false
	}
	v := (*f)[n-1]
	(*f)[n-1] = zero
	*f = (*f)[:n-1]
	return v, true
}

func (f *freeList[T]) put(v T) { *f = append(*f, v) }
