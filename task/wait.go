package task

import (
	"context"

	"github.com/f04742a6/reactor/loop"
	"github.com/f04742a6/reactor/loop/ring"
)

// The wait protocol. A blocking operation parks the running task on a
// waiter; the loop resumes it once the waiter is completed (wake) or
// aborted by cancellation (abortWait). Exactly one of the two happens,
// whichever comes first: it sets done. Every task owns one waiter and
// reuses it for each of its waits (newWait), so waiting allocates nothing;
// its generation tells a late completion (an abandoned ToThread worker, a
// foreign context's AfterFunc) from one for the current wait.
//
// Each wait says how to undo it in one typed field, so aborting needs no
// closure: it sits in a queue (remove it), or on a timer (cancel it), or
// on an fd (stop watching), or, for the rare rest, an abort function.

// waiter is one parked wait.
type waiter struct {
	t   *Task
	gen uint64 // Invariant: changes each time the record is reused (newWait)
	// op is the public operation waiting (Sleep, Lock.Lock): errors and
	// Dump name it. A constant: no formatting per wait.
	op   string
	done bool // Invariant: set by the first of completion and abort, once per gen
	err  error

	// How to undo the wait: abort if set, else whichever of the others is.
	queue *waitQueue  // the queue it sits in: abort removes it
	timer loop.Handle // the timer that completes it: abort cancels it
	fd    fdKey       // with onFD, the raw fd direction it waits on: abort stops watching
	onFD  bool
	abort func() bool // anything else; false: cannot abort now

	// What the completion hands over (typed, so nothing is boxed per wait).
	item     any         // channels: the *item[T] handed over; SignalReceiver: the os.Signal (nil: closed)
	panicked *PanicError // ToThread, Start: a panic to re-raise in the waiting task
	leased   bool        // SendAndWait: a lease holds the value, which stays in flight
	owner    any         // the channel end or the limiter borrower the wait is for
	deadline int64       // Sleep, for Dump: ns since the run's epoch

	// The record's own timer callback (w.timerFired), made at its first
	// Sleep and kept while tasks reuse it: a sleep costs no closure.
	timerFn func()
}

// newWait readies t's waiter for a new wait and returns it. A task takes
// its record from the run's free list at its first wait and gives it back
// when it ends (tasks that never block cost nothing): O(1), and no
// allocation once the list holds the run's peak of waiting tasks.
func (t *Task) newWait(op string) *waiter {
	w := t.w
	if w == nil {
		w = t.r.getWaiter()
		t.w = w
	}
	*w = waiter{t: t, gen: w.gen + 1, op: op, timerFn: w.timerFn}
	return w
}

// getWaiter takes a record from the free list, or makes one.
func (r *runner) getWaiter() *waiter {
	if w, ok := r.waiters.Get(); ok {
		return w
	}
	return new(waiter)
}

// putWaiter returns an ended task's record. A late completion that still
// holds it (an abandoned worker) checks the generation, which the next
// newWait changes.
func (r *runner) putWaiter(w *waiter) {
	w.t, w.item, w.owner, w.err, w.abort, w.panicked, w.queue = nil, nil, nil, nil, nil, nil, nil
	r.waiters.Put(w)
}

// park blocks the running task on w until wake is called for it.
func (r *runner) park(t *Task, w *waiter) error {
	w.t = t
	t.wait = w
	t.transition(StateBlocked)
	t.yield()
	t.wait = nil
	return w.err
}

// wake completes a parked wait; it reports false if the wait had already
// been completed or aborted.
func (r *runner) wake(w *waiter, err error) bool {
	if w.done {
		return false
	}
	w.done, w.err = true, err
	r.schedule(w.t)
	return true
}

// abortWait tries to abort t's wait with err; it reports whether it did.
func (r *runner) abortWait(t *Task, err error) bool {
	w := t.wait
	if w == nil || w.done || t.state != StateBlocked {
		return false
	}
	if w.abort != nil {
		if !w.abort() {
			return false // cannot abort now: nothing was undone
		}
	} else {
		r.undo(w)
	}
	return r.wake(w, err)
}

// undo takes w out of whatever would complete it.
func (r *runner) undo(w *waiter) {
	switch {
	case w.queue != nil:
		w.queue.remove(w)
	case w.onFD:
		r.unwatchFD(w.fd)
	default:
		w.timer.Cancel() // a zero Handle cancels nothing
	}
}

// timerFired is the callback of a Sleep's timer (w.timerFn); an aborted
// sleep cancelled it, so it always completes the current wait.
func (w *waiter) timerFired() { w.t.r.wake(w, nil) }

// waitQueue is a FIFO of parked tasks with hand-off: a freed resource
// goes straight to the first waiter, so nobody can barge in (a "parking
// lot"). It is a ring: push and pop are O(1) and allocate nothing once it
// has grown to its peak; removing an aborted waiter is O(n) in the
// queue's length. The zero value is empty.
type waitQueue struct{ ring.Ring[*waiter] }

// first returns the waiter at the front, or nil.
func (q *waitQueue) first() *waiter {
	if q.Len() == 0 {
		return nil
	}
	return *q.At(0)
}

// pop removes and returns the waiter at the front, or nil.
func (q *waitQueue) pop() *waiter {
	if q.Len() == 0 {
		return nil
	}
	return q.Pop()
}

// remove takes w out of the queue, keeping the others' order.
func (q *waitQueue) remove(w *waiter) {
	for i := range q.Len() {
		if *q.At(i) == w {
			q.RemoveAt(i)
			return
		}
	}
}

// filter removes, in order, every waiter for which keep is false, calling
// gone for each one removed.
func (q *waitQueue) filter(keep func(*waiter) bool, gone func(*waiter)) {
	for range q.Len() {
		w := q.Pop()
		if keep(w) {
			q.Push(w)
		} else {
			gone(w)
		}
	}
}

// park blocks t at the back of the queue until handOff reaches it or the
// wait is aborted. No allocation once the queue has grown.
func (q *waitQueue) park(ctx context.Context, c *scopeCtx, t *Task, op string) error {
	w := t.newWait(op)
	w.queue = q
	q.Push(w)
	return t.r.block(ctx, c, t, w, op)
}

// handOff wakes the first waiter with err and returns it (nil if the
// queue was empty). O(1).
func (q *waitQueue) handOff(err error) *waiter {
	w := q.pop()
	if w != nil {
		w.t.r.wake(w, err)
	}
	return w
}
