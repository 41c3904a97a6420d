package task

import (
	"context"
	"fmt"
)

// Slot is where one task at a time waits until another task of its loop
// (or a loop callback) wakes it: the parking spot that streams build their
// reader and writer waits on (a PollFD has one per direction, a memory
// stream one per end). A wait costs no allocation after a Slot's first.
//
// The zero value is ready. A Slot belongs to the loop of the task that
// first waits on it; Wake must be called on that loop (from a task, or
// from a callback handed over with LoopRef.Post).
type Slot struct {
	// w is the parked waiter. Invariant: nil, or blocked on this Slot only.
	w *waiter
	// abortFn undoes a wait; made at the first wait, reused after.
	abortFn func() bool
}

// Wait parks the calling task until Wake. It is the wait half of a
// checkpoint: it fails at once if the task is cancelled, and a
// cancellation while it waits aborts it with the cancellation error. A
// second task waiting while one waits gets an error matching
// ErrBusyResource at once. op names the caller's operation in errors.
func (s *Slot) Wait(ctx context.Context, op string) error {
	t, c := current(ctx, op)
	if err := t.check(ctx, c, op); err != nil {
		return err
	}
	return s.park(ctx, c, t, op)
}

// park is Wait after the cancel check.
func (s *Slot) park(ctx context.Context, c *scopeCtx, t *Task, op string) error {
	if s.w != nil {
		return fmt.Errorf("task: %s: %w: task %q is already waiting", op, ErrBusyResource, s.w.t.Name())
	}
	if s.abortFn == nil {
		s.abortFn = func() bool { s.w = nil; return true }
	}
	w := t.newWait(op)
	w.abort = s.abortFn
	s.w = w
	return t.r.block(ctx, c, t, w, op)
}

// Waiting reports whether a task waits on the Slot.
func (s *Slot) Waiting() bool { return s.w != nil }

// Wake makes the waiting task runnable, its Wait returning err (nil: the
// awaited thing happened), and reports whether a task was waiting. O(1).
func (s *Slot) Wake(err error) bool {
	w := s.w
	if w == nil {
		return false
	}
	s.w = nil
	return w.t.r.wake(w, err)
}
