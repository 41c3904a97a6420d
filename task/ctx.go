package task

import (
	"context"
	"fmt"
	"time"
)

// ctxKey finds the innermost scopeCtx in a context chain.
type ctxKey struct{}

// scopeCtx is the context.Context a scope hands its body: Done closes and
// Err turns non-nil when the scope becomes effectively cancelled, Deadline
// is the effective deadline, and values come from the parent.
type scopeCtx struct {
	parent context.Context
	s      *Scope
	t      *Task // the only task that may block with this ctx
}

func (c *scopeCtx) Deadline() (time.Time, bool) {
	var d time.Time
	ok := false
	for x := c.s; x != nil; x = x.parent {
		if x.hasDeadline && (!ok || x.deadline.Before(d)) {
			d, ok = x.deadline, true
		}
		if x.shield {
			break
		}
	}
	return d, ok
}

func (c *scopeCtx) Done() <-chan struct{} {
	if c.s.done == nil {
		c.s.done = make(chan struct{})
		if c.s.origin() != nil {
			c.s.closeDone()
		}
	}
	return c.s.done
}

func (c *scopeCtx) Err() error {
	o := c.s.origin()
	switch {
	case o == nil:
		return nil
	case o.why == reasonDeadline:
		return context.DeadlineExceeded
	default:
		return context.Canceled
	}
}

func (c *scopeCtx) Value(key any) any {
	if key == (ctxKey{}) {
		return c
	}
	return c.parent.Value(key)
}

func (c *scopeCtx) String() string { return fmt.Sprintf("task.ctx(%s)", c.t.name) }

// current returns the running task that owns ctx, panicking with advice
// when ctx is not a task ctx or belongs to another task.
func current(ctx context.Context, op string) (*Task, *scopeCtx) {
	c, _ := ctx.Value(ctxKey{}).(*scopeCtx)
	if c == nil {
		panic(fmt.Sprintf("task: %s needs a ctx from task.Run, a nursery or a scope; this one comes from elsewhere", op))
	}
	t := c.t
	if t.r.current != t {
		switch {
		case t.r.current == nil:
			panic(fmt.Sprintf("task: %s called with task %q's ctx from outside any task (a loop callback or another goroutine); use FromThread or a Token to run code on the loop", op, t.name))
		default:
			panic(fmt.Sprintf("task: %s called with task %q's ctx from task %q; a ctx belongs to one task, use the ctx your task body received", op, t.name, t.r.current.name))
		}
	}
	return t, c
}

// cancelErr returns the cancellation error for a blocking call op, or nil
// if the task is not effectively cancelled.
func (t *Task) cancelErr(op string) error {
	t.scope.expireDeadlines()
	if o := t.scope.origin(); o != nil {
		return &cancelError{origin: o, op: op}
	}
	return nil
}

// expireDeadlines cancels every scope on the unshielded chain whose
// deadline has passed, even if its timer has not fired yet: a deadline
// is checked before a task resumes, not after the callbacks already
// queued (Trio checks deadlines on every scheduler pass).
func (s *Scope) expireDeadlines() {
	var now time.Time
	for x := s; x != nil; x = x.parent {
		if x.hasDeadline && !x.cancelCalled {
			if now.IsZero() {
				now = s.r.loop.Now()
			}
			if !x.deadline.After(now) {
				x.cancel(reasonDeadline, "")
			}
		}
		if x.shield {
			break
		}
	}
}
