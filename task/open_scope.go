package task

// The functions that open a cancel scope around a closure: WithScope, MoveOnAfter/At, FailAfter/At and Shield.

import (
	"context"
	"time"
)

// WithScope runs fn inside a new cancel scope, which fn can cancel, shield
// or give a deadline. When fn returns, the scope catches the cancellation
// it caused itself (its error becomes nil); any other error, including a
// cancellation caused by an enclosing scope, passes through.
func WithScope(ctx context.Context, fn func(ctx context.Context, s *Scope) error) error {
	_, err := runScope(ctx, "WithScope", nil, fn)
	return err
}

// runScope opens a scope in the running task, lets setup configure it,
// runs fn and closes the scope, also when fn panics.
func runScope(ctx context.Context, op string, setup func(*Scope), fn func(context.Context, *Scope) error) (s *Scope, err error) {
	t, c := current(ctx, op)
	link := t.r.openLink(t, c, ctx) // nil unless ctx is a foreign wrapper that can end
	s = t.r.open(t, t.scope, ctx)
	s.enterTask(t)
	if setup != nil {
		setup(s)
	}
	s.settle()
	exited := false
	defer func() {
		if !exited {
			s.exit(nil) // fn panicked: leave the scope tree consistent
		}
		if link != nil {
			link.closeLink()
		}
	}()
	err = fn(s.ctx, s)
	exited = true
	return s, s.exit(err)
}

// MoveOnAfter runs fn with a deadline d from now; see MoveOnAt. A negative
// d is a deadline already past, as with context.WithTimeout.
func MoveOnAfter(ctx context.Context, d time.Duration, fn func(ctx context.Context) error) (timedOut bool, err error) {
	now := Now(ctx)
	return moveOnAt(ctx, "MoveOnAfter", now.Add(d), now, fn)
}

// MoveOnAt runs fn in a scope with deadline t. When the deadline passes,
// fn's blocking calls fail with cancellation, and MoveOnAt returns
// timedOut true and fn's other errors (nil if it had none).
func MoveOnAt(ctx context.Context, t time.Time, fn func(ctx context.Context) error) (timedOut bool, err error) {
	return moveOnAt(ctx, "MoveOnAt", t, time.Time{}, fn)
}

// moveOnAt is MoveOnAt; now, if not zero, is the clock's reading the
// caller already made (a clock read costs as much as the rest of a scope).
func moveOnAt(ctx context.Context, op string, t, now time.Time, fn func(ctx context.Context) error) (bool, error) {
	s, err := runScope(ctx, op, func(s *Scope) { s.setDeadline(t, now) },
		func(ctx context.Context, _ *Scope) error { return fn(ctx) })
	return s.outcome == OutcomeDeadline, err
}

// FailAfter runs fn with a deadline d from now; see FailAt.
func FailAfter(ctx context.Context, d time.Duration, fn func(ctx context.Context) error) error {
	now := Now(ctx)
	return failAt(ctx, "FailAfter", now.Add(d), now, fn)
}

// FailAt runs fn in a scope with deadline t. If the deadline passes, it
// returns an error matching ErrTimeout and context.DeadlineExceeded (not
// ErrCancelled: a timeout is a failure), joined with fn's other errors.
//
// The cancellation the deadline caused is not dropped: the error of the
// operation it interrupted comes back as fn returned it (its operation,
// its resource, and whatever fn wrapped around it), turned into a
// timeout: it matches ErrTimeout and context.DeadlineExceeded and no
// longer ErrCancelled.
func FailAt(ctx context.Context, t time.Time, fn func(ctx context.Context) error) error {
	return failAt(ctx, "FailAt", t, time.Time{}, fn)
}

func failAt(ctx context.Context, op string, t, now time.Time, fn func(ctx context.Context) error) error {
	kind := kindFailAt
	if op == "FailAfter" {
		kind = kindFailAfter
	}
	_, err := runScope(ctx, op, func(s *Scope) { s.kind = kind; s.setDeadline(t, now) },
		func(ctx context.Context, _ *Scope) error { return fn(ctx) })
	return err
}

// Shield runs fn in a shielded scope: cancellation of enclosing scopes
// does not reach it (its own deadline, e.g. from a MoveOnAfter inside,
// still does). It is the way to do graceful cleanup in a cancelled task.
func Shield(ctx context.Context, fn func(ctx context.Context) error) error {
	_, err := runScope(ctx, "Shield", func(s *Scope) { s.shield = true },
		func(ctx context.Context, _ *Scope) error { return fn(ctx) })
	return err
}
