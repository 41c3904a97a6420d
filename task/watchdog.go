package task

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/f04742a6/reactor/internal/goroutines"
	"github.com/f04742a6/reactor/loop"
)

// The watchdogs. The loop's sampler times each task step as a callback
// (see loop's watchdog.go); this file turns its reports into ones about
// tasks: which task blocks the loop, on what line, for how long.

// WithFailOnBlock makes blocking the loop an error, for tests: when the
// watchdog reports a task that ran past the threshold (WithSlowTask)
// without reaching a checkpoint, the run fails. As soon as that task
// yields, every task is cancelled, so they unwind, and Run returns an
// error matching ErrBlockedLoop that names the task, how long it ran and
// the line it was stuck on (the line is known with the real clock, whose
// watchdog sees the task while it blocks; under a MockClock a slow task is
// found when it yields). The first such task fails the run; later ones
// are only logged. Leave the threshold room for the machine's own pauses
// (a loaded CI runner, the race detector): 50 ms or more.
func WithFailOnBlock() Option { return func(cfg *config) { cfg.failOnBlock = true } }

// ErrBlockedLoop: under WithFailOnBlock, a task blocked the loop: it ran
// past the watchdog's threshold without reaching a checkpoint.
var ErrBlockedLoop = errors.New("blocked the loop")

// reportSlow is the loop watchdog's report, made right after a slow
// callback returned (with the real clock, after the live reports of
// reportStall): a task step is reported by the task's name with its total
// time. The task ran that long without reaching a checkpoint and held up
// every other task and all I/O. Under WithFailOnBlock, it fails the run.
func (r *runner) reportSlow(cb loop.Callback, d time.Duration) {
	if t := r.lastStepped; t != nil && cb.Kind == loop.KindScheduled {
		r.cfg.logger.Warn("task: ran without reaching a checkpoint for too long",
			slog.String("task", t.Name()), slog.Duration("duration", d),
			slog.Duration("threshold", r.cfg.slowTask))
		if r.cfg.failOnBlock {
			r.failBlocked(t, d)
		}
		return
	}
	r.cfg.logger.Warn("task: a loop callback blocked the loop",
		slog.String("callback", cb.Name()), slog.Duration("duration", d),
		slog.Duration("threshold", r.cfg.slowTask))
}

// failBlocked fails the run because t blocked the loop for d, and cancels
// every task (t has just yielded: the loop goes on). It runs on the loop,
// between task steps.
func (r *runner) failBlocked(t *Task, d time.Duration) {
	var at string
	if n := r.stall.Swap(nil); n != nil && n.task == t {
		at = n.at
	}
	if r.failure != nil { // an interrupt, a deadlock or an earlier block said it first
		return
	}
	msg := fmt.Sprintf("task %q ran %v without reaching a checkpoint (threshold %v)",
		t.Name(), d.Round(time.Millisecond), r.cfg.slowTask)
	if at != "" {
		msg += ", at " + at
	}
	r.failure = fmt.Errorf("task: %w: %s", ErrBlockedLoop, msg)
	r.top.cancel(reasonBlockedLoop, fmt.Sprintf("task %q", t.Name()))
}

// stallNote is where the watchdog saw a task stuck while it blocked the
// loop, kept for failBlocked (WithFailOnBlock): by the time the task
// yields, its stack no longer shows the line.
type stallNote struct {
	task *Task
	at   string // file:line
}

// forgetStall drops the run's stallNote, if the step it was about ended
// without a report (it ended just as the watchdog looked).
func (r *runner) forgetStall() { r.stall.Store(nil) }

// reportStall is the live report of a step (or a loop callback) that is
// still running past the threshold. It runs on the sampler's goroutine,
// while the loop is stuck: see blockage for what it reads.
func (r *runner) reportStall(st loop.Stall) {
	b, ok := r.blockage(st.LoopGoroutine)
	if !ok {
		return
	}
	attrs := []any{slog.Duration("running", st.Running), slog.Duration("threshold", r.cfg.slowTask)}
	if b.name == "" {
		r.cfg.logger.Warn("task: a loop callback is blocking the loop", append(attrs, b.where.Attrs()...)...)
		return
	}
	if r.cfg.failOnBlock && b.task != nil {
		r.stall.Store(&stallNote{task: b.task, at: b.where.At()})
	}
	attrs = append([]any{slog.String("task", b.name)}, attrs...)
	r.cfg.logger.Warn("task: blocking the loop: running without reaching a checkpoint", append(attrs, b.where.Attrs()...)...)
}

// blockage is what holds up the loop, as another goroutine sees it.
type blockage struct {
	task  *Task  // the task whose step blocks the loop; nil: a loop callback, or a finished task
	name  string // the task's name; "": a loop callback
	where goroutines.Stuck
}

// blockage finds what keeps the loop (whose goroutine is loopID) from
// going on. It runs on any goroutine, while the loop may be stuck, and
// reads only what is safe from there: the coroutine table, a coroutine's
// job and a task's name, which does not change. The stuck goroutine is
// the one of this run's goroutines that is not parked in a coroutine
// switch: while a task runs, the loop's goroutine and every other
// coroutine wait in one. It reports false if none is found (the loop has
// moved on).
func (r *runner) blockage(loopID uint64) (blockage, bool) {
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
			b := blockage{name: "a finished task", where: tr.Stuck()}
			if t := c.job.Load(); t != nil {
				b.task, b.name = t, t.Name()
			}
			return b, true
		}
		if tr.ID == loopID {
			return blockage{where: tr.Stuck()}, true
		}
	}
	return blockage{}, false
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
