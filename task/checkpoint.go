package task

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// fairnessBudget is how many blocking operations that complete at once a
// task may make in a row before one of them yields anyway: no task can
// keep the loop for more than this many immediate completions.
const fairnessBudget = 64

// check is the cancel half of a checkpoint: it fails if the task is
// effectively cancelled, or if a foreign context wrapped around ours is
// done.
func (t *Task) check(ctx context.Context, c *scopeCtx, op string) error {
	if err := t.cancelErr(op); err != nil {
		t.noteCancelled(op)
		return err
	}
	if ctx != context.Context(c) {
		if err := ctx.Err(); err != nil {
			t.noteCancelled(op)
			return fmt.Errorf("task: %s: %w", op, context.Cause(ctx))
		}
	}
	t.cancelledCalls = 0
	return nil
}

// noteCancelled reports a task that keeps calling blocking operations
// after they failed with cancellation: an ignored error in a loop.
func (t *Task) noteCancelled(op string) {
	t.cancelledCalls++
	if t.cancelledCalls == 1000 {
		t.r.cfg.logger.Warn("task: keeps calling blocking operations after they returned ErrCancelled; check the error and return",
			slog.String("task", t.Name()), slog.String("operation", op), slog.Int("calls", t.cancelledCalls))
	}
}

// checkpoint is the full checkpoint of an operation that completed at
// once: the cancel check, and a yield when the fairness budget is spent.
func (r *runner) checkpoint(ctx context.Context, c *scopeCtx, t *Task, op string) error {
	if err := t.check(ctx, c, op); err != nil {
		return err
	}
	if t.budget--; t.budget <= 0 {
		r.scheduleOnly(t)
	}
	return nil
}

// scheduleOnly yields to the scheduler without a cancel check: the task
// runs again in the next batch.
func (r *runner) scheduleOnly(t *Task) {
	t.budget = fairnessBudget
	r.schedule(t)
	t.yield()
}

// block parks the running task on w, honouring a foreign context wrapped
// around ours: its cancellation aborts the wait from the loop.
func (r *runner) block(ctx context.Context, c *scopeCtx, t *Task, w *waiter, op string) error {
	t.budget = fairnessBudget
	if ctx != context.Context(c) && ctx.Done() != nil {
		release := r.wakeSource() // a foreign context can wake us: no deadlock
		stop := context.AfterFunc(ctx, func() {
			r.loop.CallSoonThreadsafe(func() {
				if t.wait == w {
					r.abortWait(t, fmt.Errorf("task: %s: %w", op, context.Cause(ctx)))
				}
			})
		})
		defer func() { stop(); release() }()
	}
	return r.park(t, w)
}

// Checkpoint checks for cancellation and yields to the other tasks. It
// always yields, even when nothing else is runnable.
func Checkpoint(ctx context.Context) error {
	t, c := current(ctx, "Checkpoint")
	if err := t.check(ctx, c, "Checkpoint"); err != nil {
		return err
	}
	t.r.scheduleOnly(t)
	// A deadline may have passed while the task waited for its turn.
	return t.check(ctx, c, "Checkpoint")
}

// Now returns the current time on the loop's clock.
func Now(ctx context.Context) time.Time {
	c, _ := ctx.Value(ctxKey{}).(*scopeCtx)
	if c == nil {
		panic("task: Now needs a ctx from task.Run, a nursery or a scope")
	}
	return c.t.r.loop.Now()
}

// Sleep blocks for d on the loop's clock; d <= 0 is one checkpoint.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return Checkpoint(ctx)
	}
	return SleepUntil(ctx, Now(ctx).Add(d))
}

// SleepUntil blocks until the loop's clock reaches deadline; a deadline in
// the past is one checkpoint.
func SleepUntil(ctx context.Context, deadline time.Time) error {
	t, c := current(ctx, "SleepUntil")
	if err := t.check(ctx, c, "Sleep"); err != nil {
		return err
	}
	r := t.r
	if !deadline.After(r.loop.Now()) {
		return Checkpoint(ctx)
	}
	w := &waiter{what: "sleep until " + deadline.Format(time.RFC3339Nano)}
	h := r.loop.CallAt(deadline, func() { r.wake(w, nil) })
	w.abort = func() bool { h.Cancel(); return true }
	return r.block(ctx, c, t, w, "Sleep")
}

type fdKey struct {
	fd    uintptr
	write bool
}

// WaitReadable blocks until fd is readable (or hung up, or in error: a
// read will tell). It works for any pollable fd or socket: pipes, netlink,
// raw sockets. It is level-triggered: it returns at once when data is
// already waiting. One task at a time may wait on each direction of an
// fd; a second gets ErrBusyResource.
func WaitReadable(ctx context.Context, fd uintptr) error { return waitFD(ctx, fd, false) }

// WaitWritable blocks until fd is writable; see WaitReadable.
func WaitWritable(ctx context.Context, fd uintptr) error { return waitFD(ctx, fd, true) }

func waitFD(ctx context.Context, fd uintptr, write bool) error {
	op := "WaitReadable"
	if write {
		op = "WaitWritable"
	}
	t, c := current(ctx, op)
	if err := t.check(ctx, c, op); err != nil {
		return err
	}
	r := t.r
	key := fdKey{fd, write}
	if r.fdWait[key] != nil {
		return fmt.Errorf("task: %s fd %d: %w: another task is waiting on it", op, fd, ErrBusyResource)
	}
	add, remove := r.loop.AddReader, r.loop.RemoveReader
	if write {
		add, remove = r.loop.AddWriter, r.loop.RemoveWriter
	}
	w := &waiter{what: fmt.Sprintf("%s fd %d", op, fd)}
	done := func() {
		remove(fd)
		delete(r.fdWait, key)
	}
	if err := add(fd, func() { done(); r.wake(w, nil) }); err != nil {
		return fmt.Errorf("task: %s: %w", op, err)
	}
	if r.fdWait == nil {
		r.fdWait = make(map[fdKey]*waiter)
	}
	r.fdWait[key] = w
	w.abort = func() bool { done(); return true }
	return r.block(ctx, c, t, w, op)
}

// WaitAllTasksBlocked blocks until every other task is blocked and the
// loop has nothing to do: no callback ready, no I/O ready, no thread
// worker busy. Tasks sleeping on timers count as blocked. It runs before
// an autojumping clock jumps. For tests.
func WaitAllTasksBlocked(ctx context.Context) error {
	t, c := current(ctx, "WaitAllTasksBlocked")
	if err := t.check(ctx, c, "WaitAllTasksBlocked"); err != nil {
		return err
	}
	r := t.r
	w := &waiter{what: "WaitAllTasksBlocked"}
	w.abort = func() bool {
		for i, x := range r.idleWait {
			if x == w {
				r.idleWait = append(r.idleWait[:i], r.idleWait[i+1:]...)
			}
		}
		return true
	}
	r.idleWait = append(r.idleWait, w)
	return r.block(ctx, c, t, w, "WaitAllTasksBlocked")
}
