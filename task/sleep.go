package task

import (
	"context"
	"time"
)

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
		return checkpointAs(ctx, "Sleep")
	}
	t, c := current(ctx, "Sleep")
	now := t.r.loop.Now()
	return t.sleepUntil(ctx, c, now.Add(d), now, "Sleep")
}

// SleepUntil blocks until the loop's clock reaches deadline; a deadline in
// the past is one checkpoint.
func SleepUntil(ctx context.Context, deadline time.Time) error {
	t, c := current(ctx, "SleepUntil")
	return t.sleepUntil(ctx, c, deadline, t.r.loop.Now(), "SleepUntil")
}

// sleepUntil is Sleep and SleepUntil, with the clock read once (now); op
// names the one called in errors.
func (t *Task) sleepUntil(ctx context.Context, c *scopeCtx, deadline, now time.Time, op string) error {
	if err := t.check(ctx, c, op); err != nil {
		return err
	}
	if !deadline.After(now) {
		return checkpointAs(ctx, op)
	}
	r := t.r
	w := t.newWait("Sleep")
	if w.timerFn == nil {
		w.timerFn = w.timerFired // made once per record, which tasks reuse
	}
	w.deadline = int64(deadline.Sub(r.epoch))
	w.timer = r.loop.CallAt(deadline, w.timerFn)
	return r.block(ctx, c, t, w, op)
}
