package task

import (
	"context"
)

// fairnessBudget is how many blocking operations that complete at once a
// task may make in a row before one of them yields anyway: no task can
// keep the loop for more than this many immediate completions.
const fairnessBudget = 64

// check is the cancel half of a checkpoint: it fails if the task is
// effectively cancelled, or if a foreign context wrapped around ours is
// done. Its common case, inlined: the task's own ctx, in a scope that has
// no deadline on its chain and was never cancelled.
func (t *Task) check(ctx context.Context, c *scopeCtx, op string) error {
	if sc, same := ctx.(*scopeCtx); same && sc == c && t.scope.untouched() && c.s.state == scopeActive {
		t.cancelledCalls = 0
		return nil
	}
	return t.checkSlow(ctx, c, op)
}

// checkSlow is check when a deadline, a cancellation or a foreign
// context may be involved.
func (t *Task) checkSlow(ctx context.Context, c *scopeCtx, op string) error {
	if err := t.cancelErr(op); err != nil {
		t.noteCancelled(op)
		return err
	}
	if c.s.state == scopeExited {
		t.noteCancelled(op)
		return &endedError{op: op, scope: c.s}
	}
	if sc, same := ctx.(*scopeCtx); !same || sc != c { // a foreign context wrapped around ours
		if err := t.r.foreignErr(ctx, op); err != nil {
			t.noteCancelled(op)
			return err
		}
	}
	t.cancelledCalls = 0
	return nil
}

// checkpoint is the full checkpoint of an operation that completed at
// once: the cancel check, and a yield when the fairness budget is spent.
func (r *runner) checkpoint(ctx context.Context, c *scopeCtx, t *Task, op string) error {
	if err := t.check(ctx, c, op); err != nil {
		return err
	}
	r.spend(t)
	return nil
}

// spend is the yield half of a checkpoint, for an operation that checked
// for cancellation before it completed at once: a second check there
// could fail after the operation took effect (a deadline passing between
// two clock reads), and a Send would then report an error for a value it
// delivered.
func (r *runner) spend(t *Task) {
	if t.budget--; t.budget <= 0 {
		r.scheduleOnly(t)
	}
}

// scheduleOnly yields to the scheduler without a cancel check: the task
// runs again in the next batch.
func (r *runner) scheduleOnly(t *Task) {
	t.budget = fairnessBudget
	r.schedule(t)
	t.yield()
}

// block parks the running task on w, honouring a foreign context wrapped
// around ours: for the time of the wait, a link scope stands for it (see
// foreignLink), so its deadline runs on the loop's timers and its
// cancellation aborts the wait from the loop, as an enclosing scope's
// would. The caller has checked it (check) first.
func (r *runner) block(ctx context.Context, c *scopeCtx, t *Task, w *waiter, op string) error {
	t.budget = fairnessBudget
	w.op = op
	if ctx != context.Context(c) {
		if link := r.openLink(t, c, ctx); link != nil {
			defer link.closeLink()
		}
	}
	return r.park(t, w)
}

// Checkpoint checks for cancellation and yields to the other tasks. It
// always yields, even when nothing else is runnable.
func Checkpoint(ctx context.Context) error { return checkpointAs(ctx, "Checkpoint") }

// checkpointAs is Checkpoint on behalf of op (Sleep(0) is a checkpoint
// whose errors say Sleep).
func checkpointAs(ctx context.Context, op string) error {
	t, c := current(ctx, op)
	if err := t.check(ctx, c, op); err != nil {
		return err
	}
	t.r.scheduleOnly(t)
	// A deadline may have passed while the task waited for its turn.
	return t.check(ctx, c, op)
}

// CheckCancelled is the cancel half of a checkpoint, for an operation
// built above this package (a stream's Read): it returns the error a
// checkpoint would (the task is effectively cancelled, or a foreign
// context wrapped around ctx is done), without yielding. op names the
// operation in the error. Pair it with Progress when the operation then
// completes without waiting.
func CheckCancelled(ctx context.Context, op string) error {
	t, c := current(ctx, op)
	return t.check(ctx, c, op)
}

// Progress is the yield half of a checkpoint, for an operation that
// checked for cancellation (CheckCancelled) and then completed without
// waiting: it lets the task go on, except that every 64th such operation
// in a row yields to the other tasks, so a task that always finds data
// waiting cannot keep the loop. It never fails: the operation took
// effect, and a second cancel check could report an error for it.
func Progress(ctx context.Context) {
	t, _ := current(ctx, "Progress")
	t.r.spend(t)
}
