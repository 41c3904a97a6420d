package task

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestToThreadRunsAndReturns(t *testing.T) {
	boom := errors.New("boom")
	mustRun(t, func(ctx context.Context) error {
		ran := false
		err := ToThread(ctx, func(ctx context.Context) error { ran = true; return boom })
		expect(t, ran && err == boom, "ran=%v err=%v", ran, err)
		return nil
	})
}

// CONFORMANCE.md C103: a call in a cancelled scope never starts the
// worker.
func TestToThreadInCancelledScopeDoesNotStart(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		return WithScope(ctx, func(ctx context.Context, s *Scope) error {
			s.Cancel()
			started := false
			err := ToThread(ctx, func(ctx context.Context) error { started = true; return nil })
			expect(t, errors.Is(err, ErrCancelled) && !started, "err=%v started=%v", err, started)
			return nil
		})
	})
}

// cancelWhenBlocked runs body in a scope in a child task and cancels that
// scope from the parent once the child is blocked (WaitAllTasksBlocked
// cannot be used: a busy worker means the loop is never idle).
func cancelWhenBlocked(ctx context.Context, body func(ctx context.Context) error) (caught bool, err error) {
	err = WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
		var scope *Scope
		var child *Task
		n.Go(func(ctx context.Context) error {
			child, _ = current(ctx, "test")
			return WithScope(ctx, func(ctx context.Context, s *Scope) error {
				scope = s
				err := body(ctx)
				caught = true
				return err
			})
		})
		for child == nil || child.State() != StateBlocked {
			if err := Checkpoint(ctx); err != nil {
				return err
			}
		}
		scope.Cancel()
		return nil
	})
	return caught, err
}

// CONFORMANCE.md C104: cooperative cancellation: the worker's ctx is
// cancelled and the caller waits for it; with AbandonOnCancel it does not
// wait.
func TestToThreadCancellation(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		var workerErr error
		_, err := cancelWhenBlocked(ctx, func(ctx context.Context) error {
			workerErr = ToThread(ctx, func(wctx context.Context) error {
				<-wctx.Done() // returns only when the caller's scope is cancelled
				return wctx.Err()
			})
			return workerErr
		})
		expect(t, err == nil && errors.Is(workerErr, ErrCancelled), "cooperative: err=%v worker=%v", err, workerErr)

		release := make(chan struct{})
		var callErr error
		_, err = cancelWhenBlocked(ctx, func(ctx context.Context) error {
			callErr = ToThread(ctx, func(wctx context.Context) error {
				<-release // ignores its ctx: abandoned
				return nil
			}, AbandonOnCancel())
			return callErr
		})
		close(release)
		expect(t, err == nil && errors.Is(callErr, ErrCancelled), "abandoned: err=%v call=%v", err, callErr)
		return nil
	})
}

// FromThread runs in the caller's scope: cancelling that scope cancels it
// (the case asyncio gets wrong).
func TestFromThreadRunsInCallersScope(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		var inner error
		entered := make(chan struct{})
		_, err := cancelWhenBlocked(ctx, func(ctx context.Context) error {
			return ToThread(ctx, func(wctx context.Context) error {
				inner = FromThread(wctx, func(ctx context.Context) error {
					close(entered)
					return Sleep(ctx, time.Hour)
				})
				return inner
			})
		})
		<-entered
		expect(t, err == nil, "err=%v", err)
		expect(t, errors.Is(inner, ErrCancelled), "the task run from the thread was not cancelled: %v", inner)
		return nil
	})
}

func TestFromThreadWithoutWorkerCtx(t *testing.T) {
	if err := FromThread(context.Background(), func(context.Context) error { return nil }); err == nil {
		t.Fatal("FromThread with a plain ctx succeeded")
	}
}

// CONFORMANCE.md C114: a busy worker stops the mock clock from
// autojumping.
func TestNoAutojumpWhileWorkerBusy(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			n.Go(func(ctx context.Context) error { return Sleep(ctx, time.Hour) })
			start := Now(ctx)
			return ToThread(ctx, func(wctx context.Context) error {
				for range 20 {
					FromThread(wctx, func(ctx context.Context) error { return Checkpoint(ctx) })
				}
				var now time.Time
				FromThread(wctx, func(ctx context.Context) error { now = Now(ctx); return nil })
				if !now.Equal(start) {
					t.Errorf("the clock jumped %v while a worker was busy", now.Sub(start))
				}
				return nil
			})
		})
	})
}

// A Token runs work from any goroutine; after the run it reports
// ErrRunFinished; an open token is not a deadlock.
func TestToken(t *testing.T) {
	var tok *Token
	mustRun(t, func(ctx context.Context) error {
		tok = CurrentToken(ctx)
		done := make(chan error)
		go func() {
			done <- tok.Run(func(ctx context.Context) error { return Checkpoint(ctx) })
			tok.Close()
		}()
		// Blocked on a channel the goroutine fills: the open token keeps
		// this from being a deadlock.
		return ToThread(ctx, func(context.Context) error { return <-done })
	})
	if err := tok.Run(func(context.Context) error { return nil }); !errors.Is(err, ErrRunFinished) {
		t.Fatalf("Token.Run after the run: %v", err)
	}
}
