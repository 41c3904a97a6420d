package task

import (
	"context"
	"fmt"
)

// Semaphore counts permits. Acquire takes one, waiting FIFO; Release
// returns one, straight to the first waiter if there is one. A fresh
// Semaphore is ready for every method; it is tied to a loop only while
// tasks wait on it.
type Semaphore struct {
	b     Binding
	value int
	q     waitQueue // Invariant: empty unless value == 0 (Release hands over)
}

// NewSemaphore returns a semaphore with n permits; n < 0 panics.
func NewSemaphore(n int) *Semaphore {
	if n < 0 {
		panic(fmt.Sprintf("task: NewSemaphore(%d): the value must be 0 or more", n))
	}
	return &Semaphore{value: n}
}

// Acquire takes a permit. A cancelled Acquire takes nothing.
func (s *Semaphore) Acquire(ctx context.Context) error {
	t, c := current(ctx, "Semaphore.Acquire")
	s.b.use(t.r, "Semaphore")
	if err := t.check(ctx, c, "Semaphore.Acquire"); err != nil {
		return err
	}
	if s.value > 0 {
		s.value--
		t.r.spend(t)
		return nil
	}
	return s.b.park(ctx, c, t, &s.q, "Semaphore.Acquire")
}

// TryAcquire takes a permit if one is free. It is not a checkpoint.
func (s *Semaphore) TryAcquire() bool {
	s.b.checkedLoop("Semaphore.TryAcquire", "Semaphore")
	if s.value > 0 {
		s.value--
		return true
	}
	return false
}

// Release returns a permit. Not a checkpoint.
func (s *Semaphore) Release() {
	r := s.b.checkedLoop("Semaphore.Release", "Semaphore")
	if s.q.handOff(nil) == nil {
		s.value++
	}
	s.b.settle(r, s.q.Len() > 0)
}

// Value returns the number of free permits.
func (s *Semaphore) Value() int { return s.value }
