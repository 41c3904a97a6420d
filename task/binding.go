package task

import (
	"context"
	"fmt"
	"sync/atomic"
)

// Binding ties an object to the loop of the tasks that use it: the one
// way this package and the layers above it reach an object's loop from
// code that has no ctx, or runs on another goroutine.
//
// It ties an object in one of two ways. Package task's channels and
// synchronisation objects are tied only while they are in use there
// (held, or waited on): an idle one belongs to no loop, so a
// package-level Lock or Event serves one Run after another. An object of
// a layer above (a memory stream) calls Bind in every operation that has
// a ctx, which ties it to the caller's loop for good (until that Run
// ends), and Do in its Close, which runs the close on that loop from
// whatever goroutine Close is called: a PollFD is tied the same way when
// it is registered, and its Close is such a Do.
//
// Tasks of one loop never race, so the object's own fields need no
// locking; what a Binding adds is the way in from elsewhere, and the
// check that no other loop (another Run, on another thread) and no
// foreign goroutine touches an object in use. It costs an atomic load
// per operation, and a store when the object is tied or untied.
//
// The zero Binding is tied to no loop. A Binding must not be copied
// after first use.
type Binding struct {
	// Invariant: r is the loop the object is tied to, nil while none. It
	// is stored before that loop can block with the object in use, so a
	// goroutine that loads it non-nil and sees that loop blocked in its
	// poller knows it is foreign (checkedLoop) without touching anything
	// else. A loop whose run has ended counts as none.
	r atomic.Pointer[runner]
}

// Bind ties the object to the calling task's loop, unless it is tied to a
// loop already whose run has not ended. Call it in each operation that
// has a ctx (an atomic load when already tied), so that Do can reach the
// loop.
func (b *Binding) Bind(ctx context.Context) {
	t, _ := current(ctx, "Binding.Bind")
	if cur := b.r.Load(); cur != t.r && (cur == nil || cur.ended.Load()) {
		b.r.Store(t.r)
	}
}

// bindTo ties the object to r for good (RegisterFD).
func (b *Binding) bindTo(r *runner) { b.r.Store(r) }

// Do runs fn on the object's loop, and reports whether it ran before Do
// returned. It runs fn at once if the caller is a task of that loop, or
// if the object is tied to no loop, or its run has ended (no task is
// left to race with fn). Otherwise it hands fn to the loop (see
// LoopRef.Post), which runs it as a callback on its next turn, or, if the
// run ends first, when Run returns. fn runs exactly once either way, and
// must not block. Safe from any goroutine: the way a Close without a ctx
// reaches the loop. Finding out whether the caller is a task of the loop
// costs about 2 µs, unless the loop is blocked in its poller (then the
// caller is plainly not).
func (b *Binding) Do(fn func()) (ran bool) {
	r := b.r.Load()
	if r == nil || r.ended.Load() || (!r.loop.Polling() && (LoopRef{r}).InTask()) {
		fn()
		return true
	}
	if err := (LoopRef{r}).Post(fn); err != nil {
		fn() // the run ended meanwhile
		return true
	}
	return false
}

// use panics if the object is in use on a loop other than r. Call it
// first in every operation that has a ctx, on an object tied while in
// use.
func (b *Binding) use(r *runner, obj string) {
	if cur := b.r.Load(); cur != nil && cur != r && !cur.ended.Load() {
		panic(otherLoopMisuse(obj))
	}
}

// settle records whether the object is in use on r after an operation
// changed it.
func (b *Binding) settle(r *runner, inUse bool) {
	switch cur := b.r.Load(); {
	case !inUse && cur != nil:
		b.r.Store(nil)
	case inUse && cur != r:
		b.r.Store(r)
	}
}

// park parks t in q, an object's only wait queue, with the object in use
// on t's loop while it waits (see waitQueue.park).
func (b *Binding) park(ctx context.Context, c *scopeCtx, t *Task, q *waitQueue, op string) error {
	b.settle(t.r, true)
	err := q.park(ctx, c, t, op)
	b.settle(t.r, q.Len() > 0)
	return err
}

// checkedLoop is the check for methods without a ctx (Set, Unlock,
// Release): it returns the loop the object is in use on (nil if idle),
// panicking if the caller is plainly not on it: that loop is blocked in
// its poller, so the caller is another goroutine. (A foreign call racing
// with running tasks is left to the race detector, as in package loop.)
func (b *Binding) checkedLoop(op, obj string) *runner {
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
