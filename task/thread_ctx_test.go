package task

import (
	"context"
	"errors"
	"os/exec"
	"testing"
	"time"

	"github.com/f04742a6/reactor/internal/goroutines"
)

var errOwn = errors.New("worker's own error")

// waitThenFail is a worker that returns its own error once its ctx is
// done, as exec's Wait does ("signal: killed"); it moves the mock clock
// past the caller's deadline first (a busy worker stops autojump).
func waitThenFail(clock *MockClock, report func(ctx context.Context)) func(ctx context.Context) error {
	return func(wctx context.Context) error {
		report(wctx)
		clock.Jump(time.Hour)
		<-wctx.Done()
		return errOwn
	}
}

// The worker ctx carries the caller's effective deadline and the cause;
// the caller's scope catches the cancellation even when the worker
// returns its own error, which stays visible (before the change: no
// deadline, context.Canceled, timedOut false, ErrTimeout lost).
func TestToThreadKeepsDeadlineAndCause(t *testing.T) {
	clock := NewMockClock(epoch)
	clock.SetAutojump(0)
	mustRun(t, func(ctx context.Context) error {
		var deadline time.Time
		var hasDeadline bool
		var cause error
		report := func(wctx context.Context) { deadline, hasDeadline = wctx.Deadline() }
		timedOut, err := MoveOnAfter(ctx, time.Minute, func(ctx context.Context) error {
			return ToThread(ctx, func(wctx context.Context) error {
				err := waitThenFail(clock, report)(wctx)
				cause = wctx.Err()
				return err
			})
		})
		expect(t, hasDeadline && deadline.Equal(epoch.Add(time.Minute)), "worker Deadline() = %v %v", deadline, hasDeadline)
		expect(t, cause == context.DeadlineExceeded, "worker ctx Err() = %v, want DeadlineExceeded", cause)
		expect(t, timedOut, "MoveOnAfter did not report the timeout")
		expect(t, errors.Is(err, errOwn) && !errors.Is(err, ErrCancelled), "MoveOnAfter err = %v: want the worker's error only", err)

		err = FailAfter(ctx, time.Minute, func(ctx context.Context) error {
			return ToThread(ctx, waitThenFail(clock, func(context.Context) {}))
		})
		expect(t, errors.Is(err, ErrTimeout) && errors.Is(err, context.DeadlineExceeded) && errors.Is(err, errOwn),
			"FailAfter err = %v: want ErrTimeout and the worker's error", err)
		return nil
	}, WithClock(clock))
}

// A worker that returns its ctx's error adds nothing: the scope catches
// the cancellation and the caller sees no error.
func TestToThreadEchoOfCancellationIsCaught(t *testing.T) {
	clock := NewMockClock(epoch)
	clock.SetAutojump(0)
	mustRun(t, func(ctx context.Context) error {
		timedOut, err := MoveOnAfter(ctx, time.Minute, func(ctx context.Context) error {
			return ToThread(ctx, func(wctx context.Context) error {
				clock.Jump(time.Hour)
				<-wctx.Done()
				return wctx.Err()
			})
		})
		expect(t, timedOut && err == nil, "MoveOnAfter = %v, %v", timedOut, err)
		return nil
	}, WithClock(clock))
}

// exec.CommandContext in a worker given the task's ctx, on the real clock:
// the process is killed at the deadline, and FailAfter reports the
// timeout with exec's own error joined.
func TestToThreadExecCommandContext(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary: ", err)
	}
	err = Run(func(ctx context.Context) error {
		return FailAfter(ctx, 200*time.Millisecond, func(ctx context.Context) error {
			return ToThread(ctx, func(wctx context.Context) error {
				return exec.CommandContext(wctx, sleep, "30").Run()
			})
		})
	})
	var exit *exec.ExitError
	if !errors.Is(err, ErrTimeout) || !errors.As(err, &exit) {
		t.Fatalf("FailAfter(ToThread(exec sleep 30)) = %v: want ErrTimeout joined with the exit error", err)
	}
}

// The limit is a real CapacityLimiter: the run's default one, resizable,
// or one per call.
func TestToThreadLimiters(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		def := DefaultThreadLimiter(ctx)
		expect(t, def.Total() == DefaultThreadLimit, "default total %d", def.Total())
		for _, tc := range []struct {
			name string
			lim  *CapacityLimiter
			opts []ThreadOption
		}{
			{"default, resized", def, nil},
			{"per call", NewCapacityLimiter(1), nil},
		} {
			if tc.lim != def {
				tc.opts = []ThreadOption{Limiter(tc.lim)}
			} else {
				def.SetTotal(1)
			}
			release := make(chan struct{})
			err := WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
				running := make(chan struct{}, 2)
				for range 2 {
					n.Go(func(ctx context.Context) error {
						return ToThread(ctx, func(context.Context) error {
							running <- struct{}{}
							<-release
							return nil
						}, tc.opts...)
					})
				}
				// One worker starts; the other waits for the token.
				ToThread(ctx, func(context.Context) error { <-running; return nil }, Limiter(NewCapacityLimiter(1)))
				for tc.lim.q.Len() == 0 {
					Checkpoint(ctx)
				}
				expect(t, tc.lim.Borrowed() == 1 && len(running) == 0, "%s: borrowed %d, running %d", tc.name, tc.lim.Borrowed(), len(running))
				close(release)
				return nil
			})
			if err != nil {
				return err
			}
			expect(t, tc.lim.Borrowed() == 0, "%s: %d tokens left borrowed", tc.name, tc.lim.Borrowed())
		}
		def.SetTotal(DefaultThreadLimit)
		return nil
	})
}

// An abandoned worker gives its limiter token back when it finishes, even
// after the run has ended (a Limiter outlives the run).
func TestAbandonedWorkerReturnsItsToken(t *testing.T) {
	lim := NewCapacityLimiter(1)
	release := make(chan struct{})
	mustRun(t, func(ctx context.Context) error {
		_, err := cancelWhenBlocked(ctx, func(ctx context.Context) error {
			return ToThread(ctx, func(context.Context) error { <-release; return nil }, AbandonOnCancel(), Limiter(lim))
		})
		close(release)
		return err
	})
	if n := lim.Borrowed(); n != 0 {
		t.Fatalf("%d tokens still borrowed after the run", n)
	}
}

// Workers are pooled: calls one after another run on the same goroutine.
func TestToThreadWorkersArePooled(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		var ids [3]uint64
		for i := range ids {
			if err := ToThread(ctx, func(context.Context) error { ids[i] = goroutines.ID(); return nil }); err != nil {
				return err
			}
		}
		expect(t, ids[0] == ids[1] && ids[1] == ids[2], "worker goroutines %v: want one, reused", ids)
		return nil
	})
}

// Each task reuses one wait record; its generation keeps a late
// completion from completing the next wait: a worker the task abandoned
// that finishes while the same task sleeps does not wake the sleep.
func TestLateCompletionCannotCompleteTheNextWait(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		release := make(chan struct{})
		finished := make(chan struct{})
		return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			var scope *Scope
			var child *Task
			n.Go(func(ctx context.Context) error {
				child, _ = current(ctx, "test")
				WithScope(ctx, func(ctx context.Context, s *Scope) error {
					scope = s
					return ToThread(ctx, func(context.Context) error {
						<-release
						defer close(finished)
						return errOwn
					}, AbandonOnCancel())
				})
				close(release) // the abandoned worker finishes while this task sleeps
				start := Now(ctx)
				if err := Sleep(ctx, time.Hour); err != nil {
					return err
				}
				expect(t, Now(ctx).Sub(start) == time.Hour, "the sleep ended after %v: woken by the abandoned worker", Now(ctx).Sub(start))
				return nil
			})
			for child == nil || child.State() != StateBlocked {
				Checkpoint(ctx)
			}
			scope.Cancel()
			return ToThread(ctx, func(context.Context) error { <-finished; return nil })
		})
	})
}
