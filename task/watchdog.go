package task

import (
	"log/slog"
	"time"

	"github.com/f04742a6/reactor/internal/goroutines"
	"github.com/f04742a6/reactor/loop"
)

// The watchdogs. The loop's sampler times each task step as a callback
// (see loop's watchdog.go); this file turns its reports into ones about
// tasks: which task blocks the loop, on what line, for how long.

// reportSlow is the loop watchdog's report, made right after a slow
// callback returned (with the real clock, after the live reports of
// reportStall): a task step is reported by the task's name with its total
// time. The task ran that long without reaching a checkpoint and held up
// every other task and all I/O.
func (r *runner) reportSlow(cb loop.Callback, d time.Duration) {
	if t := r.lastStepped; t != nil && cb.Kind == loop.KindScheduled {
		r.cfg.logger.Warn("task: ran without reaching a checkpoint for too long",
			slog.String("task", t.Name()), slog.Duration("duration", d),
			slog.Duration("threshold", r.cfg.slowTask))
		return
	}
	r.cfg.logger.Warn("task: a loop callback blocked the loop",
		slog.String("callback", cb.Name()), slog.Duration("duration", d),
		slog.Duration("threshold", r.cfg.slowTask))
}

// reportStall is the live report of a step (or a loop callback) that is
// still running past the threshold. It runs on the sampler's goroutine,
// while the loop is stuck: it reads only what is safe from there (the
// coroutine table, a coroutine's job, a task's immutable name). The stuck
// goroutine is the one of this run's goroutines that is not parked in a
// coroutine switch: while a task runs, the loop's goroutine and every
// other coroutine wait in one.
func (r *runner) reportStall(st loop.Stall) {
	mine := map[uint64]*coro{}
	coroutines.Range(func(k, v any) bool {
		if c := v.(*coro); c.r == r {
			mine[k.(uint64)] = c
		}
		return true
	})
	for _, tr := range goroutines.All(4 << 20) {
		if tr.State == "coroutine" {
			continue
		}
		if c, ok := mine[tr.ID]; ok {
			name := "a finished task"
			if t := c.job.Load(); t != nil {
				name = t.Name()
			}
			r.cfg.logger.Warn("task: blocking the loop: running without reaching a checkpoint",
				slog.String("task", name), slog.Duration("running", st.Running),
				slog.Duration("threshold", r.cfg.slowTask), slog.String("stack", string(tr.Text)))
			return
		}
		if tr.ID == st.LoopGoroutine {
			r.cfg.logger.Warn("task: a loop callback is blocking the loop",
				slog.Duration("running", st.Running), slog.Duration("threshold", r.cfg.slowTask),
				slog.String("stack", string(tr.Text)))
			return
		}
	}
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
