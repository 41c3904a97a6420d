package task

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A ctx ends with what it belongs to: a goroutine blocked on <-ctx.Done()
// (the `go worker(ctx)` habit) is released once the scope's closure has
// returned, the task has ended, or Run has returned. goleak in TestMain
// fails the package if one is left behind.
func TestCtxEndsWithItsOwner(t *testing.T) {
	cases := []struct {
		name string
		// keep runs inside main and returns a ctx that must be Done once
		// it has returned.
		keep func(ctx context.Context) (context.Context, error)
	}{
		{"WithScope", func(ctx context.Context) (kept context.Context, err error) {
			err = WithScope(ctx, func(ctx context.Context, _ *Scope) error { kept = ctx; return nil })
			return
		}},
		{"MoveOnAfter", func(ctx context.Context) (kept context.Context, err error) {
			_, err = MoveOnAfter(ctx, time.Hour, func(ctx context.Context) error { kept = ctx; return nil })
			return
		}},
		{"FailAfter", func(ctx context.Context) (kept context.Context, err error) {
			err = FailAfter(ctx, time.Hour, func(ctx context.Context) error { kept = ctx; return nil })
			return
		}},
		{"Shield", func(ctx context.Context) (kept context.Context, err error) {
			err = Shield(ctx, func(ctx context.Context) error { kept = ctx; return nil })
			return
		}},
		{"nursery body", func(ctx context.Context) (kept context.Context, err error) {
			err = WithNursery(ctx, func(ctx context.Context, _ *Nursery) error { kept = ctx; return nil })
			return
		}},
		{"a task's ctx once the task has ended", func(ctx context.Context) (kept context.Context, err error) {
			err = WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
				n.Go(func(ctx context.Context) error { kept = ctx; return nil })
				return nil
			})
			return
		}},
		{"a scope ctx wrapped by WithCancel", func(ctx context.Context) (kept context.Context, err error) {
			err = WithScope(ctx, func(ctx context.Context, _ *Scope) error {
				child, cancel := context.WithCancel(ctx)
				_ = cancel // never called: the scope's end must release it anyway
				kept = child
				return nil
			})
			return
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mustRun(t, func(ctx context.Context) error {
				kept, err := tc.keep(ctx)
				if err != nil {
					return err
				}
				got, ok := collect(ctx, watch(kept))
				expect(t, ok && errors.Is(got, context.Canceled), "after its owner ended, ctx.Err() = %v (Done closed: %v)", got, ok)
				return nil
			})
		})
	}

	t.Run("Run's root and main's ctx once Run returns", func(t *testing.T) {
		var mainCtx context.Context
		var released <-chan error
		mustRun(t, func(ctx context.Context) error {
			mainCtx = ctx
			released = watch(ctx)
			select {
			case <-ctx.Done():
				t.Errorf("main's ctx Done while main runs")
			default:
			}
			return nil
		})
		select {
		case err := <-released:
			expect(t, err == context.Canceled, "main's ctx after Run: %v", err)
		case <-time.After(10 * time.Second): // a bound for a failing test, not a synchronisation
			t.Fatal("main's ctx is not Done after Run returned")
		}
		expect(t, mainCtx.Err() == context.Canceled, "Err after Run: %v", mainCtx.Err())
	})

	t.Run("a cancelled scope keeps its Err", func(t *testing.T) {
		mustRun(t, func(ctx context.Context) error {
			var kept context.Context
			_, err := MoveOnAfter(ctx, time.Second, func(ctx context.Context) error {
				kept = ctx
				return Sleep(ctx, time.Hour)
			})
			expect(t, kept.Err() == context.DeadlineExceeded, "a scope that ended by its deadline: Err %v", kept.Err())
			return err
		})
	})
}

// A blocking call made with the ctx of a scope that has exited fails at
// once with an error matching context.Canceled, every time, even though
// the task itself is not cancelled.
func TestCtxOfExitedScopeFailsAtOnce(t *testing.T) {
	ops := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Checkpoint", Checkpoint},
		{"Sleep", func(ctx context.Context) error { return Sleep(ctx, time.Second) }},
		{"Event.Wait", func(ctx context.Context) error { var e Event; return e.Wait(ctx) }},
		{"Lock", func(ctx context.Context) error { var l Lock; return l.Lock(ctx) }},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			mustRun(t, func(ctx context.Context) error {
				var stale context.Context
				if err := WithScope(ctx, func(ctx context.Context, _ *Scope) error { stale = ctx; return nil }); err != nil {
					return err
				}
				start := Now(ctx)
				for range 2 {
					err := op.call(stale)
					expect(t, errors.Is(err, context.Canceled), "%s with an exited scope's ctx: %v", op.name, err)
				}
				expect(t, Now(ctx).Equal(start), "the call waited %v", Now(ctx).Sub(start))
				return Checkpoint(ctx) // the task's own ctx still works
			})
		})
	}
}
