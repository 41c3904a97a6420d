package task

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

type (
	valueKey struct{}
	innerKey struct{}
	outerKey struct{}
)

// runNow runs main on an autojumping mock clock that starts at the wall
// clock's now, so that a wrapper made with context.WithTimeout (which
// reads the wall clock) has its deadline where the test expects it on the
// mock clock.
func runNow(t *testing.T, main func(ctx context.Context) error, opts ...Option) error {
	t.Helper()
	clock := NewMockClock(time.Now())
	clock.SetAutojump(0)
	return Run(main, append([]Option{WithClock(clock), WithLogger(slog.New(slog.DiscardHandler))}, opts...)...)
}

var errMine = errors.New("my cause")

// A context.Context wrapped around a task ctx acts as an enclosing scope
// for everything made with it: a direct blocking call, and every scope and
// nursery opened on it. Its deadline and cancellation apply, its values
// are visible inside, and the error matches ErrCancelled and the
// wrapper's cause.
func TestForeignWrapperCountsEverywhere(t *testing.T) {
	wrappers := []struct {
		name string
		// wrap returns the wrapper and a function the blocked body calls
		// (from another goroutine) to end it, or nil if its deadline does.
		wrap  func(ctx context.Context) (context.Context, func())
		cause error
	}{
		{"WithTimeout", func(ctx context.Context) (context.Context, func()) {
			w, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			_ = cancel // the deadline ends it; the scope's end releases it
			return w, nil
		}, context.DeadlineExceeded},
		{"WithDeadline", func(ctx context.Context) (context.Context, func()) {
			w, cancel := context.WithDeadline(ctx, Now(ctx).Add(100*time.Millisecond))
			_ = cancel
			return w, nil
		}, context.DeadlineExceeded},
		{"WithCancel", func(ctx context.Context) (context.Context, func()) {
			return context.WithCancel(ctx)
		}, context.Canceled},
		{"WithCancelCause", func(ctx context.Context) (context.Context, func()) {
			w, cancel := context.WithCancelCause(ctx)
			return w, func() { cancel(errMine) }
		}, errMine},
		{"AfterFunc-cancelled", func(ctx context.Context) (context.Context, func()) {
			trigger, fire := context.WithCancel(context.Background())
			w, cancel := context.WithCancel(ctx)
			context.AfterFunc(trigger, cancel)
			return w, fire
		}, context.Canceled},
		{"WithValue over WithTimeout over WithValue", func(ctx context.Context) (context.Context, func()) {
			w, cancel := context.WithTimeout(context.WithValue(ctx, innerKey{}, 1), 100*time.Millisecond)
			_ = cancel
			return context.WithValue(w, outerKey{}, 2), nil
		}, context.DeadlineExceeded},
	}
	// openers run block (which blocks until cancelled) the way a user
	// would with the wrapper ctx.
	openers := []struct {
		name string
		open func(ctx context.Context, block func(ctx context.Context) error) error
	}{
		{"direct blocking call", func(ctx context.Context, block func(context.Context) error) error { return block(ctx) }},
		{"WithScope", func(ctx context.Context, block func(context.Context) error) error {
			return WithScope(ctx, func(ctx context.Context, _ *Scope) error { return block(ctx) })
		}},
		{"MoveOnAfter", func(ctx context.Context, block func(context.Context) error) error {
			timedOut, err := MoveOnAfter(ctx, time.Hour, block)
			if timedOut {
				return errors.New("MoveOnAfter reported its own timeout")
			}
			return err
		}},
		{"FailAfter", func(ctx context.Context, block func(context.Context) error) error {
			err := FailAfter(ctx, time.Hour, block)
			if errors.Is(err, ErrTimeout) {
				return errors.New("FailAfter reported its own timeout")
			}
			return err
		}},
		{"WithNursery child", func(ctx context.Context, block func(context.Context) error) error {
			return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
				n.Go(block)
				return nil
			})
		}},
		{"nested scopes", func(ctx context.Context, block func(context.Context) error) error {
			return WithScope(ctx, func(ctx context.Context, _ *Scope) error {
				_, err := MoveOnAfter(ctx, 2*time.Hour, block)
				return err
			})
		}},
	}
	for _, w := range wrappers {
		for _, o := range openers {
			t.Run(w.name+"/"+o.name, func(t *testing.T) {
				// A wrapper ended from another goroutine runs on the real
				// clock: under autojump, the hour-long timers of the
				// openers could fire while the wrapper's cancellation is
				// still on its way to the loop (a foreign wake-up does not
				// hold autojump back).
				runner := runNow
				if w.cause != context.DeadlineExceeded {
					runner = func(t *testing.T, main func(ctx context.Context) error, opts ...Option) error {
						return Run(main, WithLogger(slog.New(slog.DiscardHandler)))
					}
				}
				err := runner(t, func(ctx context.Context) error {
					ctx = context.WithValue(ctx, valueKey{}, "seen")
					wrapped, end := w.wrap(ctx)
					start := Now(ctx)
					err := o.open(wrapped, func(ctx context.Context) error {
						expect(t, ctx.Value(valueKey{}) == "seen", "the wrapper's values are not visible inside")
						if end != nil {
							// Ended from another goroutine, as foreign code does.
							if err := ToThread(ctx, func(context.Context) error { end(); return nil }); err != nil {
								return err
							}
						}
						var never Event
						return never.Wait(ctx) // no timer: only the wrapper can end it
					})
					expect(t, errors.Is(err, ErrCancelled), "error does not match ErrCancelled: %v", err)
					expect(t, errors.Is(err, w.cause), "error does not match the wrapper's cause %v: %v", w.cause, err)
					if end == nil {
						// At the wrapper's deadline on the mock clock, or
						// before it if the wrapper's own wall-clock timer
						// (context's) fired first on a slow machine; never
						// at the openers' hour.
						dl, _ := wrapped.Deadline()
						expect(t, !Now(ctx).After(dl), "ended %v after the wrapper's deadline (%v after the start)", Now(ctx).Sub(dl), Now(ctx).Sub(start))
					}
					return Checkpoint(ctx) // the task itself is not cancelled
				})
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
			})
		}
	}
}

// A shield opened on a wrapper keeps the wrapper's cancellation out, as it
// does an enclosing scope's.
func TestForeignWrapperStopsAtAShield(t *testing.T) {
	err := runNow(t, func(ctx context.Context) error {
		wrapped, cancel := context.WithCancel(ctx)
		cancel()
		return Shield(wrapped, func(ctx context.Context) error { return Sleep(ctx, time.Second) })
	})
	if err != nil {
		t.Fatalf("a shielded sleep under a cancelled wrapper: %v", err)
	}
}

// WithParent: the parent's end stops the run as a signal would; the error
// matches its cause; its values are visible to every task.
func TestWithParent(t *testing.T) {
	t.Run("cancelled from another goroutine", func(t *testing.T) {
		parent, cancel := context.WithCancelCause(context.WithValue(context.Background(), valueKey{}, "from the parent"))
		cleanedUp := false
		err := runNow(t, func(ctx context.Context) error {
			return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
				n.Go(func(ctx context.Context) error {
					expect(t, ctx.Value(valueKey{}) == "from the parent", "a child does not see the parent's values")
					defer func() { cleanedUp = true }()
					var never Event
					return never.Wait(ctx)
				})
				return ToThread(ctx, func(context.Context) error { cancel(errMine); return nil })
			})
		}, WithParent(parent))
		expect(t, errors.Is(err, errMine), "Run: %v, want the parent's cause", err)
		expect(t, cleanedUp, "the blocked child did not unwind")
	})
	t.Run("deadline", func(t *testing.T) {
		parent, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		var start time.Time
		var seen time.Time
		err := runNow(t, func(ctx context.Context) error {
			start = Now(ctx)
			seen, _ = ctx.Deadline()
			return Sleep(ctx, 2*time.Hour)
		}, WithParent(parent))
		expect(t, errors.Is(err, context.DeadlineExceeded), "Run: %v", err)
		want, _ := parent.Deadline()
		expect(t, seen.Equal(want), "a task's Deadline() = %v, want the parent's %v", seen, want)
		_ = start
	})
	t.Run("already done", func(t *testing.T) {
		parent, cancel := context.WithCancel(context.Background())
		cancel()
		ran := false
		err := runNow(t, func(ctx context.Context) error {
			ran = true
			return Checkpoint(ctx)
		}, WithParent(parent))
		expect(t, errors.Is(err, context.Canceled), "Run: %v", err)
		expect(t, ran, "main did not run")
	})
	t.Run("not done: Run returns main's result", func(t *testing.T) {
		parent, cancel := context.WithCancel(context.Background())
		defer cancel()
		err := runNow(t, func(ctx context.Context) error { return Sleep(ctx, time.Second) }, WithParent(parent))
		expect(t, err == nil, "Run: %v", err)
	})
}

// FailAfter keeps the interrupted operation's error, with the user's own
// wrapping, and turns it into a timeout.
func TestFailAfterKeepsTheOperation(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		err := FailAfter(ctx, time.Second, func(ctx context.Context) error {
			if err := Sleep(ctx, time.Hour); err != nil {
				return fmt.Errorf("waiting for the reply from db-1: %w", err)
			}
			return nil
		})
		expect(t, errors.Is(err, ErrTimeout), "does not match ErrTimeout: %v", err)
		expect(t, errors.Is(err, context.DeadlineExceeded), "does not match DeadlineExceeded: %v", err)
		expect(t, !errors.Is(err, ErrCancelled), "still matches ErrCancelled: %v", err)
		msg := fmt.Sprint(err)
		for _, want := range []string{"waiting for the reply from db-1", "Sleep", "FailAfter deadline"} {
			expect(t, strings.Contains(msg, want), "error %q does not say %q", msg, want)
		}
		// Inside a nursery, a timeout is a failure: it cancels the siblings.
		err = WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			n.Go(func(ctx context.Context) error {
				return FailAfter(ctx, time.Second, func(ctx context.Context) error { return Sleep(ctx, time.Hour) })
			})
			n.Go(func(ctx context.Context) error { return Sleep(ctx, time.Hour) })
			return nil
		})
		expect(t, errors.Is(err, ErrTimeout), "nursery: %v", err)
		expect(t, elapsed(ctx) < time.Hour, "the sibling was not cancelled: %v", elapsed(ctx))
		return nil
	})
}

// Token.RunContext: work run on the loop from another goroutine is bounded
// by that goroutine's ctx (the HTTP-handler pattern) and sees its values.
func TestTokenRunContext(t *testing.T) {
	err := runNow(t, func(ctx context.Context) error {
		tk := CurrentToken(ctx)
		defer tk.Close()
		return ToThread(ctx, func(context.Context) error { // plays the HTTP handler's goroutine
			req, cancel := context.WithCancelCause(context.WithValue(context.Background(), valueKey{}, "request"))
			err := tk.RunContext(req, func(ctx context.Context) error {
				expect(t, ctx.Value(valueKey{}) == "request", "the request's values are not visible")
				go cancel(errMine) // the client goes away
				var never Event
				return never.Wait(ctx)
			})
			expect(t, errors.Is(err, ErrCancelled) && errors.Is(err, errMine), "RunContext: %v", err)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}
