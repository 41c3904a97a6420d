package task

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// CONFORMANCE.md C1, C2: Cancel is synchronous, idempotent and not a
// checkpoint; cancellation is level-triggered.
func TestCancelIsLevelTriggered(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		return WithScope(ctx, func(ctx context.Context, s *Scope) error {
			s.Cancel()
			s.Cancel()
			expect(t, s.CancelCalled(), "CancelCalled false after Cancel")
			for i := range 3 { // every call fails, every time
				err := Checkpoint(ctx)
				expect(t, errors.Is(err, ErrCancelled) && errors.Is(err, context.Canceled), "call %d: %v", i, err)
				err = Sleep(ctx, time.Second)
				expect(t, errors.Is(err, ErrCancelled), "sleep %d: %v", i, err)
			}
			return Checkpoint(ctx)
		})
	})
}

// CONFORMANCE.md C3, C4: a scope cancelled after its last checkpoint
// completes normally; CancelledCaught only when it absorbed one.
func TestCancelAfterLastCheckpoint(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		var scope *Scope
		err := WithScope(ctx, func(ctx context.Context, s *Scope) error {
			scope = s
			s.Cancel()
			return nil
		})
		expect(t, err == nil, "err %v", err)
		expect(t, scope.CancelCalled() && !scope.CancelledCaught(), "called=%v caught=%v", scope.CancelCalled(), scope.CancelledCaught())
		expect(t, scope.Outcome() == OutcomeCompleted, "outcome %v", scope.Outcome())
		err = WithScope(ctx, func(ctx context.Context, s *Scope) error {
			scope = s
			s.Cancel()
			return Checkpoint(ctx)
		})
		expect(t, err == nil && scope.CancelledCaught() && scope.Outcome() == OutcomeCancelled, "err=%v caught=%v outcome=%v", err, scope.CancelledCaught(), scope.Outcome())
		return nil
	})
}

// CONFORMANCE.md C5: Cancel from another task wakes the blocked one
// before Cancel returns.
func TestCancelWakesBlockedTaskSynchronously(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			var victim *Scope
			var victimTask *Task
			n.Go(func(ctx context.Context) error {
				return WithScope(ctx, func(ctx context.Context, s *Scope) error {
					victim = s
					victimTask, _ = current(ctx, "test")
					err := Sleep(ctx, time.Hour)
					expect(t, errors.Is(err, ErrCancelled), "victim woke with %v", err)
					return err
				})
			})
			if err := WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			expect(t, victimTask.State() == StateBlocked, "victim %v before Cancel", victimTask.State())
			victim.Cancel()
			expect(t, victimTask.State() == StateRunnable, "victim %v right after Cancel, want runnable", victimTask.State())
			return nil
		})
	})
}

// CONFORMANCE.md C6: the outermost of the cancelled scopes catches.
func TestOutermostCancelledScopeCatches(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		var inner *Scope
		var reached bool
		var outer *Scope
		err := WithScope(ctx, func(ctx context.Context, o *Scope) error {
			outer = o
			err := WithScope(ctx, func(ctx context.Context, i *Scope) error {
				inner = i
				i.Cancel()
				o.Cancel()
				return Checkpoint(ctx)
			})
			reached = true
			expect(t, errors.Is(err, ErrCancelled), "inner scope swallowed the outer cancellation: %v", err)
			return err
		})
		expect(t, err == nil && reached, "err %v reached %v", err, reached)
		expect(t, !inner.CancelledCaught() && inner.Outcome() == OutcomeParentCancelled, "inner caught=%v outcome=%v", inner.CancelledCaught(), inner.Outcome())
		expect(t, outer.CancelledCaught(), "outer did not catch")
		return nil
	})
}

// CONFORMANCE.md C7, C9, C10, C11: shields block outer cancellation
// only; after the shield, the outer cancellation resumes.
func TestShield(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		return WithScope(ctx, func(ctx context.Context, outer *Scope) error {
			outer.Cancel()
			err := Shield(ctx, func(ctx context.Context) error {
				if d, ok := ctx.Deadline(); ok {
					t.Errorf("shielded ctx has deadline %v", d)
				}
				expect(t, ctx.Err() == nil, "shielded ctx Err %v", ctx.Err())
				return Sleep(ctx, time.Second) // succeeds inside the shield
			})
			expect(t, err == nil, "shielded sleep: %v", err)
			// A shielded scope's own deadline still applies (CONFORMANCE.md C24).
			err = WithScope(ctx, func(ctx context.Context, s *Scope) error {
				s.SetShield(true)
				s.SetDeadline(Now(ctx).Add(time.Second))
				return Sleep(ctx, time.Hour)
			})
			expect(t, err == nil && elapsed(ctx) == 2*time.Second, "shielded scope with a deadline: %v after %v", err, elapsed(ctx))
			err = Checkpoint(ctx)
			expect(t, errors.Is(err, ErrCancelled), "after the shield: %v", err)
			return err
		})
	})
}

// CONFORMANCE.md U3: removing a shield aborts a blocked operation at once.
func TestUnshieldAbortsBlockedCall(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			var shield *Scope
			var sleepErr error
			woke := time.Duration(-1)
			n.Go(func(ctx context.Context) error {
				return WithScope(ctx, func(ctx context.Context, s *Scope) error {
					s.SetShield(true)
					shield = s
					sleepErr = Sleep(ctx, time.Hour)
					woke = elapsed(ctx)
					return sleepErr
				})
			})
			WaitAllTasksBlocked(ctx)
			n.Cancel()
			WaitAllTasksBlocked(ctx) // shielded: still asleep
			expect(t, woke < 0, "the shielded sleeper woke at %v", woke)
			start := elapsed(ctx)
			shield.SetShield(false)
			return Shield(ctx, func(ctx context.Context) error {
				err := WaitAllTasksBlocked(ctx)
				expect(t, woke == start && errors.Is(sleepErr, ErrCancelled),
					"after the shield came off: the sleeper woke at %v (want %v) with %v", woke, start, sleepErr)
				return err
			})
		})
	})
}

// CONFORMANCE.md C12, C13: cancellation reaches grandchildren; a scope
// in a child affects only that child.
func TestPropagationAndLocality(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		woke := 0
		err := WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			n.Go(func(ctx context.Context) error {
				return WithNursery(ctx, func(ctx context.Context, inner *Nursery) error {
					inner.Go(func(ctx context.Context) error {
						err := Sleep(ctx, time.Hour)
						if errors.Is(err, ErrCancelled) {
							woke++
						}
						return err
					})
					return nil
				})
			})
			n.Go(func(ctx context.Context) error {
				return WithScope(ctx, func(ctx context.Context, s *Scope) error {
					s.Cancel() // local: the nursery is not cancelled by it
					return Sleep(ctx, time.Hour)
				})
			})
			WaitAllTasksBlocked(ctx)
			expect(t, !n.Scope().CancelCalled(), "a child's local scope cancelled the nursery")
			n.Cancel()
			return nil
		})
		expect(t, err == nil && woke == 1, "err=%v woke=%d", err, woke)
		return nil
	})
}

// CONFORMANCE.md C14, C21: no leakage past the scope; a deadline set
// after it exited never fires.
func TestNoLeakPastScope(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		var s *Scope
		WithScope(ctx, func(ctx context.Context, sc *Scope) error { s = sc; sc.Cancel(); return Checkpoint(ctx) })
		expect(t, Checkpoint(ctx) == nil, "checkpoint after the cancelled scope failed")
		s.Cancel()
		s.SetDeadline(Now(ctx))
		return Sleep(ctx, time.Second)
	})
}

// CONFORMANCE.md C15 (and C8): a scope removes its own cancellation from
// a joined error and keeps the rest; a cleanup error never hides a
// cancellation nor the reverse.
func TestJoinedErrorsFiltered(t *testing.T) {
	cleanup := errors.New("cleanup failed")
	mustRun(t, func(ctx context.Context) error {
		var passed error
		err := WithScope(ctx, func(ctx context.Context, outer *Scope) error {
			passed = WithScope(ctx, func(ctx context.Context, s *Scope) error {
				outer.Cancel()
				return errors.Join(Checkpoint(ctx), cleanup)
			})
			return passed
		})
		expect(t, errors.Is(passed, ErrCancelled) && errors.Is(passed, cleanup), "inner scope passed %v", passed)
		expect(t, err == cleanup || (errors.Is(err, cleanup) && !errors.Is(err, ErrCancelled)), "outer returned %v", err)
		return nil
	})
}

// CONFORMANCE.md C16: cancelling the outermost of 5000 nested scopes.
func TestDeepNesting(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		var nest func(ctx context.Context, depth int) error
		var top *Scope
		nest = func(ctx context.Context, depth int) error {
			if depth == 0 {
				top.Cancel()
				return Checkpoint(ctx)
			}
			return WithScope(ctx, func(ctx context.Context, s *Scope) error { return nest(ctx, depth-1) })
		}
		return WithScope(ctx, func(ctx context.Context, s *Scope) error { top = s; return nest(ctx, 5000) })
	})
}

// CONFORMANCE.md C18, C19, C20: deadlines.
func TestDeadlines(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		// In the past at entry: cancelled on entry.
		timedOut, err := MoveOnAt(ctx, Now(ctx).Add(-time.Second), func(ctx context.Context) error {
			return Checkpoint(ctx)
		})
		expect(t, timedOut && err == nil, "past deadline: %v %v", timedOut, err)
		// Moved later before expiry: extends.
		start := elapsed(ctx)
		WithScope(ctx, func(ctx context.Context, s *Scope) error {
			s.SetDeadline(Now(ctx).Add(time.Second))
			s.SetDeadline(Now(ctx).Add(5 * time.Second))
			err := Sleep(ctx, time.Hour)
			expect(t, errors.Is(err, ErrCancelled) && elapsed(ctx)-start == 5*time.Second, "fired after %v: %v", elapsed(ctx)-start, err)
			// Never un-cancelled.
			s.SetDeadline(Now(ctx).Add(time.Hour))
			expect(t, errors.Is(Checkpoint(ctx), ErrCancelled), "moving the deadline later un-cancelled the scope")
			return nil
		})
		// Moved into the past: the next checkpoint fails.
		WithScope(ctx, func(ctx context.Context, s *Scope) error {
			s.SetDeadline(Now(ctx).Add(time.Hour))
			s.SetDeadline(Now(ctx).Add(-1))
			expect(t, errors.Is(Checkpoint(ctx), ErrCancelled), "past deadline did not cancel")
			return nil
		})
		return nil
	})
}

// CONFORMANCE.md C22: a deadline passing while the task waits for its
// turn fails its checkpoint.
func TestExpiryCheckedBeforeResume(t *testing.T) {
	clock := NewMockClock(epoch)
	mustRun(t, func(ctx context.Context) error {
		_, err := MoveOnAfter(ctx, time.Second, func(ctx context.Context) error {
			clock.Jump(2 * time.Second)
			err := Checkpoint(ctx)
			expect(t, errors.Is(err, ErrCancelled), "checkpoint after the deadline passed: %v", err)
			return err
		})
		return err
	}, WithClock(clock))
}

// A deadline that has passed fails even an operation that would complete
// at once, before the deadline's timer has had a turn to run: the cancel
// check reads the clock whenever a deadline is set on the scope's chain
// (the check's fast path is only for chains with none).
func TestPassedDeadlineFailsAnImmediateOperation(t *testing.T) {
	clock := NewMockClock(epoch)
	mustRun(t, func(ctx context.Context) error {
		s, r := NewChannel[int](1)
		defer r.Close()
		_, err := MoveOnAfter(ctx, time.Second, func(ctx context.Context) error {
			clock.Jump(2 * time.Second)
			err := s.Send(ctx, 1) // the buffer has room
			expect(t, errors.Is(err, ErrCancelled), "a send after the deadline passed: %v", err)
			return err
		})
		return err
	}, WithClock(clock))
}

// CONFORMANCE.md C23: the ctx reports the effective deadline.
func TestEffectiveDeadline(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		_, ok := ctx.Deadline()
		expect(t, !ok, "root ctx has a deadline")
		_, err := MoveOnAfter(ctx, time.Minute, func(ctx context.Context) error {
			_, err := MoveOnAfter(ctx, time.Hour, func(ctx context.Context) error {
				d, ok := ctx.Deadline()
				expect(t, ok && d.Sub(epoch) == time.Minute, "effective deadline %v %v, want the outer minute", d, ok)
				return nil
			})
			return err
		})
		return err
	})
}

// CONFORMANCE.md C25: FailAfter is a failure only when its own deadline
// fired: ErrTimeout and DeadlineExceeded, not ErrCancelled.
func TestFailAfter(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		err := FailAfter(ctx, time.Second, func(ctx context.Context) error { return Sleep(ctx, time.Hour) })
		expect(t, errors.Is(err, ErrTimeout) && errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, ErrCancelled), "FailAfter: %v", err)
		err = FailAfter(ctx, time.Hour, func(ctx context.Context) error { return Sleep(ctx, time.Second) })
		expect(t, err == nil, "FailAfter without timeout: %v", err)
		// An outer cancellation passes through as a cancellation.
		WithScope(ctx, func(ctx context.Context, s *Scope) error {
			err := FailAfter(ctx, time.Hour, func(ctx context.Context) error { s.Cancel(); return Sleep(ctx, time.Second) })
			expect(t, errors.Is(err, ErrCancelled) && !errors.Is(err, ErrTimeout), "outer cancel through FailAfter: %v", err)
			return err
		})
		return nil
	})
}

// CONFORMANCE.md C26: Sleep(0) is one checkpoint; timers never fire early.
func TestSleep(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		expect(t, Sleep(ctx, 0) == nil && elapsed(ctx) == 0, "Sleep(0)")
		Sleep(ctx, 1500*time.Millisecond)
		expect(t, elapsed(ctx) == 1500*time.Millisecond, "slept %v", elapsed(ctx))
		return SleepUntil(ctx, epoch)
	})
	// Real clock: never early.
	err := Run(func(ctx context.Context) error {
		start := time.Now()
		if err := Sleep(ctx, 2*time.Millisecond); err != nil {
			return err
		}
		if el := time.Since(start); el < 2*time.Millisecond {
			return fmt.Errorf("slept %v, asked 2ms", el)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The ctx is a real context.Context: Done and Err follow cancellation,
// Value reaches the parent's values, a foreign deadline wrapped around it
// is honoured.
func TestContextInterop(t *testing.T) {
	type key struct{}
	mustRun(t, func(ctx context.Context) error {
		ctx = context.WithValue(ctx, key{}, "v")
		return WithScope(ctx, func(ctx context.Context, s *Scope) error {
			expect(t, ctx.Value(key{}) == "v", "value lost")
			done := ctx.Done()
			select {
			case <-done:
				t.Error("Done closed before cancel")
			default:
			}
			s.Cancel()
			select {
			case <-done:
			default:
				t.Error("Done not closed by Cancel")
			}
			expect(t, ctx.Err() == context.Canceled, "Err %v", ctx.Err())
			return nil
		})
	})
	// A foreign deadline, on the real clock.
	err := Run(func(ctx context.Context) error {
		fctx, cancel := context.WithTimeout(ctx, time.Millisecond)
		defer cancel()
		err := Sleep(fctx, time.Hour)
		if !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("Sleep with a foreign deadline: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A ctx used from the wrong task or outside any task panics with advice.
func TestCtxMisusePanics(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		parent := ctx
		return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			n.Go(func(ctx context.Context) error {
				v := catchPanic(func() { Checkpoint(parent) })
				expect(t, v != nil && fmt.Sprint(v) != "", "using the parent's ctx in a child did not panic")
				return nil
			})
			return nil
		})
	})
	v := catchPanic(func() { Checkpoint(context.Background()) })
	expect(t, v != nil, "Checkpoint(context.Background()) did not panic")
}

// Errors name the public operation that was cancelled, not an internal
// one (before: "SleepUntil", and "blocked call" for a task woken by Cancel).
func TestCancelErrorsNameTheOperation(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		for _, tc := range []struct {
			op   string
			call func(ctx context.Context) error
		}{
			{"Sleep", func(ctx context.Context) error { return Sleep(ctx, time.Hour) }},
			{"Sleep", func(ctx context.Context) error { return Sleep(ctx, 0) }},
			{"Event.Wait", func(ctx context.Context) error { var e Event; return e.Wait(ctx) }},
		} {
			for _, before := range []bool{true, false} { // cancelled before the call, or while blocked in it
				err := WithScope(ctx, func(ctx context.Context, s *Scope) error {
					if before {
						s.Cancel()
					} else {
						s.SetDeadline(Now(ctx).Add(time.Second)) // fires while the call waits
					}
					err := tc.call(ctx)
					if err == nil {
						return nil
					}
					msg := err.Error()
					expect(t, strings.HasPrefix(msg, tc.op+": ") && !strings.Contains(msg, "blocked call") && !strings.Contains(msg, "SleepUntil"),
						"%s (cancelled before: %v): error %q", tc.op, before, msg)
					return err
				})
				expect(t, err == nil || !errors.Is(err, ErrCancelled), "%s: %v", tc.op, err)
			}
		}
		return nil
	})
}
