package task

import "context"

// waitQueue is a FIFO of parked tasks with hand-off: a freed resource
// goes straight to the first waiter, so nobody can barge in (a "parking
// lot"). The zero value is empty. Aborting a wait (cancellation) removes
// the waiter through waiter.queue.
type waitQueue struct{ waiters []*waiter }

// park blocks t at the back of the queue until handOff reaches it or the
// wait is aborted. Cost: an allocation for the waiter.
func (q *waitQueue) park(ctx context.Context, c *scopeCtx, t *Task, what, op string) error {
	w := &waiter{what: what, queue: &q.waiters}
	q.waiters = append(q.waiters, w)
	return t.r.block(ctx, c, t, w, op)
}

// first returns the waiter handOff would wake next, or nil.
func (q *waitQueue) first() *waiter {
	if len(q.waiters) == 0 {
		return nil
	}
	return q.waiters[0]
}

// handOff wakes the first waiter with err and returns it (nil if the
// queue was empty). O(1).
func (q *waitQueue) handOff(err error) *waiter {
	if len(q.waiters) == 0 {
		return nil
	}
	w := q.waiters[0]
	q.waiters[0] = nil
	q.waiters = q.waiters[1:]
	w.t.r.wake(w, err)
	return w
}

func (q *waitQueue) len() int { return len(q.waiters) }
