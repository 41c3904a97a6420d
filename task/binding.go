package task

import (
	"context"
	"fmt"
	"sync/atomic"
)

// binding ties a channel or synchronisation object to the loop whose
// tasks are using it, and only while they are: an idle object belongs to
// no loop, so a package-level Lock or Event serves one Run after another.
//
// Tasks of one loop never race, so the object's own fields need no
// locking; what binding adds is the check that no other loop (another
// Run, on another thread) and no foreign goroutine touches an object in
// use. It costs an atomic load per operation and a store when the object
// goes from idle to in use or back.
//
// The zero binding is idle.
type binding struct {
	// Invariant: r is the loop whose tasks hold the object or wait on it,
	// and nil while none does. It is published (stored) before the loop
	// can block with the object in use, so a goroutine that loads it
	// non-nil and sees that loop blocked in its poller knows it is foreign
	// (see onLoop) without touching anything else.
	r atomic.Pointer[runner]
}

// use panics if the object is in use on a loop other than r. Call it
// first in every operation that has a ctx.
func (b *binding) use(r *runner, obj string) {
	if cur := b.r.Load(); cur != nil && cur != r && !cur.ended.Load() {
		panic(otherLoopMisuse(obj))
	}
}

// settle records whether the object is in use on r after an operation
// changed it.
func (b *binding) settle(r *runner, inUse bool) {
	switch cur := b.r.Load(); {
	case !inUse && cur != nil:
		b.r.Store(nil)
	case inUse && cur != r:
		b.r.Store(r)
	}
}

// park parks t in q, an object's only wait queue, with the object in use
// on t's loop while it waits (see waitQueue.park).
func (b *binding) park(ctx context.Context, c *scopeCtx, t *Task, q *waitQueue, op string) error {
	b.settle(t.r, true)
	err := q.park(ctx, c, t, op)
	b.settle(t.r, q.Len() > 0)
	return err
}

// onLoop is the check for methods without a ctx (Set, Unlock, Release):
// it returns the loop the object is in use on (nil if idle), panicking if
// the caller is plainly not on it: that loop is blocked in its poller, so
// the caller is another goroutine. (A foreign call racing with running
// tasks is left to the race detector, as in package loop.)
func (b *binding) onLoop(op, obj string) *runner {
	r := b.r.Load()
	if r != nil && r.ended.Load() {
		return nil // left bound by a run that ended deadlocked: idle now
	}
	if r != nil && r.loop.Polling() {
		panic(foreignMisuse(op, obj))
	}
	return r
}

func otherLoopMisuse(obj string) string {
	return fmt.Sprintf("task: a %s in use on one loop was used from another (a second task.Run); an object is tied to a loop while it is held or waited on: between loops, hand work over with a Token (CurrentToken) or ToThread", obj)
}

func foreignMisuse(op, obj string) string {
	return fmt.Sprintf("task: %s called from a goroutine outside the loop the %s is in use on; run it on the loop instead: a Token's Run (CurrentToken) from any goroutine, FromThread from a ToThread worker", op, obj)
}

// callerOn returns the running task of r, or, if the object is idle (r is
// nil), the task whose coroutine is calling, found by goroutine id
// (microseconds: only for the first use of an idle object). It panics
// with op's name if the caller is not a task.
func callerOn(r *runner, op string) *Task {
	var t *Task
	if r != nil {
		t = r.current
	} else {
		t = callerTask()
	}
	if t == nil {
		panic(fmt.Sprintf("task: %s called outside any task (a loop callback or another goroutine); call it from a task, or run it as one with a Token (CurrentToken) or FromThread", op))
	}
	return t
}
