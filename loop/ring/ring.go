// Package ring holds the two containers the loop and the layers on it
// build their queues from: Ring, a FIFO in a ring buffer, and FreeList, a
// stack of records kept for reuse. The loop's callback queue and call
// records, and package task's run queue, wait queues, channel buffers,
// coroutines and wait records are these, so that a steady load allocates
// nothing once they have grown to its peak.
//
// Neither is safe for concurrent use: each belongs to one loop's
// goroutine.
package ring

import "math/rand/v2"

// Ring is a FIFO of values in a ring buffer that grows by doubling and
// never shrinks: Push, PushFront and Pop are O(1) and allocate nothing
// once it has grown to its peak; RemoveAt is O(n). The zero value is
// empty.
type Ring[T any] struct {
	// Invariant: len(buf) is 0 or a power of two; the values are
	// buf[(head+i) & (len(buf)-1)] for i in [0, size); every other slot
	// holds the zero value (nothing is kept alive for the collector).
	buf        []T
	head, size int
}

// Len returns how many values the ring holds.
func (q *Ring[T]) Len() int { return q.size }

// At returns the i-th value from the front, 0 <= i < Len(), in place.
func (q *Ring[T]) At(i int) *T { return &q.buf[(q.head+i)&(len(q.buf)-1)] }

func (q *Ring[T]) grow() {
	if q.size < len(q.buf) {
		return
	}
	grown := make([]T, max(2*len(q.buf), 8))
	for i := range q.size {
		grown[i] = *q.At(i)
	}
	q.buf, q.head = grown, 0
}

// Push adds v at the back.
func (q *Ring[T]) Push(v T) {
	q.grow()
	*q.At(q.size) = v
	q.size++
}

// PushFront adds v at the front.
func (q *Ring[T]) PushFront(v T) {
	q.grow()
	q.head = (q.head - 1) & (len(q.buf) - 1)
	q.buf[q.head] = v
	q.size++
}

// Pop removes and returns the front value; the ring must not be empty.
func (q *Ring[T]) Pop() T {
	var zero T
	v := q.buf[q.head]
	q.buf[q.head] = zero
	q.head = (q.head + 1) & (len(q.buf) - 1)
	q.size--
	return v
}

// RemoveAt removes the i-th value, keeping the others' order.
func (q *Ring[T]) RemoveAt(i int) {
	for ; i < q.size-1; i++ {
		*q.At(i) = *q.At(i + 1)
	}
	var zero T
	*q.At(q.size - 1) = zero
	q.size--
}

// Clear empties the ring, keeping its buffer.
func (q *Ring[T]) Clear() {
	clear(q.buf)
	q.head, q.size = 0, 0
}

// Shuffle reorders the first n values with rng: how a seeded loop runs a
// batch (its first n values) in an order that one seed replays. It draws
// nothing for n < 2.
func (q *Ring[T]) Shuffle(n int, rng *rand.Rand) {
	rng.Shuffle(n, func(i, j int) {
		a, b := q.At(i), q.At(j)
		*a, *b = *b, *a
	})
}

// FreeList is a stack of records kept for reuse. The zero value is empty.
type FreeList[T any] []T

// Get pops a record, reporting false if there is none.
func (f *FreeList[T]) Get() (T, bool) {
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

// Put pushes a record for a later Get.
func (f *FreeList[T]) Put(v T) { *f = append(*f, v) }
