package task

// A context.Context wrapped around a task ctx (context.WithTimeout,
// WithCancel, WithValue, ... at any depth) acts as an enclosing scope for
// everything made with it. A blocking call checks it directly (check,
// block); a scope or nursery opened on it gets a link scope in between: a
// hidden scope of kind kindLink that stands for the wrapper, with the
// wrapper's deadline on the loop's timers and its cancellation delivered
// onto the loop by context.AfterFunc. The link catches nothing, so the
// cancellation it causes passes through every user scope inside, as an
// enclosing scope's does, and the error it leaves unwraps to the
// wrapper's cause.

import (
	"context"
	"fmt"
	"time"
)

// foreignLink is what a link scope keeps of the context it stands for.
type foreignLink struct {
	ctx context.Context // immutable
	// cause is the wrapper's context.Cause, read on the loop when its
	// cancellation reached the scope; nil until then (and when the
	// wrapper's deadline fired on our own timer: see cancelError.Unwrap).
	cause   error
	stop    func() bool // context.AfterFunc's; nil if the wrapper cannot be cancelled
	release func()      // the wake source it holds while it can still fire, or nil
}

// openLink opens a link scope for ctx under the running task's innermost
// scope, if ctx is a foreign context wrapped around the task ctx c that
// adds a deadline or a cancellation of its own; it returns nil when ctx is
// c itself or adds nothing (context.WithValue). Close it with closeLink.
func (r *runner) openLink(t *Task, c *scopeCtx, ctx context.Context) *Scope {
	if ctx == context.Context(c) {
		return nil
	}
	inner := t.scope.ctx
	dl, hasDL := ctx.Deadline()
	innerDL, innerHasDL := inner.Deadline()
	ownDL := hasDL && (!innerHasDL || dl.Before(innerDL))
	done := ctx.Done()
	ownDone := done != nil && done != c.Done()
	if !ownDL && !ownDone {
		return nil
	}
	s := r.open(t, t.scope, ctx)
	s.enterTask(t)
	r.link(s, ctx, ownDL, ownDone, true)
	return s
}

// link makes s stand for ctx: ctx's deadline (if withDeadline) becomes
// s's, and ctx's end (if withDone) cancels s on the loop. A wake source
// (wake) means that while s waits for ctx, all tasks blocked is not a
// deadlock.
func (r *runner) link(s *Scope, ctx context.Context, withDeadline, withDone, wake bool) {
	l := &foreignLink{ctx: ctx}
	s.kind, s.link = kindLink, l
	why := reasonForeign
	if s == r.top {
		why = reasonParent
	}
	if withDeadline {
		dl, _ := ctx.Deadline()
		s.setDeadline(dl, time.Time{})
	}
	s.settle()
	if !withDone {
		return
	}
	if ctx.Err() != nil {
		l.cause = context.Cause(ctx)
		s.cancel(why, fmt.Sprint(l.cause))
		return
	}
	if wake {
		l.release = r.loop.Expect()
	}
	l.stop = context.AfterFunc(ctx, func() {
		// Fails only once the run has ended: nothing is left to cancel.
		_ = r.loop.CallSoonThreadsafe(func() {
			if s.state == scopeActive && !s.cancelCalled {
				l.cause = context.Cause(ctx)
				s.cancel(why, fmt.Sprint(l.cause))
			}
		})
	})
}

// closeLink closes a link scope once the scope opened on it has exited:
// the wrapper's callback is stopped, the wake source released, and its
// ctx ended. It catches nothing.
func (s *Scope) closeLink() {
	if s.state == scopeExited {
		return
	}
	s.leave()
	if l := s.link; l.stop != nil {
		l.stop()
	}
	if l := s.link; l.release != nil {
		l.release()
	}
	s.markEnded()
}

// linkCause is the cause a link scope's cancellation unwraps to: the
// wrapper's own, or context.DeadlineExceeded when its deadline fired on
// the loop's timer first.
func (s *Scope) linkCause() error {
	if s.why == reasonDeadline || s.link.cause == nil {
		return context.DeadlineExceeded
	}
	return s.link.cause
}

// foreignErr is the cancel check of a foreign context wrapped around a
// task ctx: it is done, or its deadline has passed on the loop's clock
// (which the wrapper's own timer, on the wall clock, may not know yet).
func (r *runner) foreignErr(ctx context.Context, op string) error {
	if ctx.Err() != nil {
		return &foreignCancelError{op: op, cause: context.Cause(ctx)}
	}
	if dl, ok := ctx.Deadline(); ok && !dl.After(r.loop.Now()) {
		return &foreignCancelError{op: op, cause: context.DeadlineExceeded}
	}
	return nil
}
