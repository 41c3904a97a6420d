package task

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// CONFORMANCE.md C27, C28: exit waits for every child, including ones
// started late; Go does not run the child eagerly.
func TestNurseryWaitsAndGoIsNotEager(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		var log []string
		err := WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			n.Go(func(ctx context.Context) error {
				log = append(log, "child")
				Sleep(ctx, time.Second)
				n.Go(func(ctx context.Context) error { // started while the parent waits at exit
					Sleep(ctx, time.Second)
					log = append(log, "late")
					return nil
				})
				return nil
			})
			log = append(log, "body")
			return nil
		})
		expect(t, err == nil && slices.Equal(log, []string{"body", "child", "late"}), "log %v err %v", log, err)
		expect(t, elapsed(ctx) == 2*time.Second, "returned at %v", elapsed(ctx))
		return nil
	})
}

// CONFORMANCE.md C29: a child started in a cancelled nursery runs to its
// first checkpoint.
func TestPrecancelledChildRunsToCheckpoint(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		ran := false
		err := WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			n.Cancel()
			n.Go(func(ctx context.Context) error {
				ran = true
				return Checkpoint(ctx)
			})
			return nil
		})
		expect(t, ran && err == nil, "ran=%v err=%v", ran, err)
		return nil
	})
}

// CONFORMANCE.md C30: Go after close panics with advice.
func TestGoAfterClosePanics(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		var kept *Nursery
		WithNursery(ctx, func(ctx context.Context, n *Nursery) error { kept = n; return nil })
		v := catchPanic(func() { kept.Go(func(context.Context) error { return nil }) })
		expect(t, v != nil && strings.Contains(fmt.Sprint(v), "closed"), "Go after close: %v", v)
		return nil
	})
}

// CONFORMANCE.md C31-C35: a failing child cancels siblings and the body;
// failures are joined in the order they happened.
func TestFailuresCancelAndJoinInOrder(t *testing.T) {
	first, second, body := errors.New("first"), errors.New("second"), errors.New("body")
	mustRun(t, func(ctx context.Context) error {
		var bodyErr error
		err := WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			n.Go(func(ctx context.Context) error { Sleep(ctx, time.Second); return first })
			n.Go(func(ctx context.Context) error {
				err := Sleep(ctx, time.Hour)
				expect(t, errors.Is(err, ErrCancelled), "sibling not cancelled: %v", err)
				return errors.Join(err, second) // cleanup failed too
			})
			bodyErr = Sleep(ctx, time.Hour)
			expect(t, errors.Is(bodyErr, ErrCancelled), "body not interrupted: %v", bodyErr)
			return errors.Join(bodyErr, body)
		})
		expect(t, errors.Is(err, first) && errors.Is(err, second) && errors.Is(err, body), "joined: %v", err)
		expect(t, !errors.Is(err, ErrCancelled), "the nursery's own cancellation leaked: %v", err)
		msg := err.Error()
		expect(t, strings.Index(msg, "first") < strings.Index(msg, "second"), "order of failure lost: %q", msg)
		return nil
	})
}

// CONFORMANCE.md C36: an outside cancellation comes out once, not per
// child.
func TestSingleCancellationFromOutside(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		return WithScope(ctx, func(ctx context.Context, s *Scope) error {
			err := WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
				for range 3 {
					n.Go(func(ctx context.Context) error { return Sleep(ctx, time.Hour) })
				}
				WaitAllTasksBlocked(ctx)
				s.Cancel()
				return Sleep(ctx, time.Hour)
			})
			var ce *cancelError
			j, joined := err.(interface{ Unwrap() []error })
			expect(t, errors.As(err, &ce) && (!joined || len(j.Unwrap()) == 1), "got %v", err)
			return err
		})
	})
}

// CONFORMANCE.md C37: a child failure cancels the group even when an
// outer scope is already cancelled.
func TestFailureCancelsGroupUnderCancelledOuter(t *testing.T) {
	boom := errors.New("boom")
	mustRun(t, func(ctx context.Context) error {
		WithScope(ctx, func(ctx context.Context, outer *Scope) error {
			return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
				outer.Cancel()
				n.Go(func(ctx context.Context) error { return boom })
				Shield(ctx, func(ctx context.Context) error { return WaitAllTasksBlocked(ctx) })
				expect(t, n.Scope().CancelCalled(), "failure did not cancel the nursery")
				return nil
			})
		})
		return nil
	})
}

// CONFORMANCE.md C38: a nursery never originates a cancellation.
func TestEmptyNurseryInCancelledScope(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		return WithScope(ctx, func(ctx context.Context, s *Scope) error {
			s.Cancel()
			err := WithNursery(ctx, func(ctx context.Context, n *Nursery) error { return nil })
			expect(t, err == nil, "empty nursery in a cancelled scope: %v", err)
			return nil
		})
	})
}

// Panics: siblings are cancelled and finish, then the nursery re-panics
// with the original value and the child's stack.
func TestChildPanicReraisedAfterSiblings(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		siblingDone := false
		v := catchPanic(func() {
			WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
				n.Go(func(ctx context.Context) error {
					defer func() { siblingDone = true }()
					return Sleep(ctx, time.Hour)
				})
				n.Go(func(ctx context.Context) error { panic("kaboom") }, Name("bomber"))
				return nil
			})
		})
		p, ok := v.(*PanicError)
		expect(t, ok && p.Value == "kaboom" && p.Task == "bomber", "panic %#v", v)
		expect(t, ok && strings.Contains(string(p.Stack), "nursery_test.go"), "stack lacks the child's frame")
		expect(t, siblingDone, "re-panicked before the sibling finished")
		return nil
	})
}

func TestMainPanicLeavesRun(t *testing.T) {
	v := catchPanic(func() {
		run(t, func(ctx context.Context) error { panic("main boom") })
	})
	p, ok := v.(*PanicError)
	expect(t, ok && p.Value == "main boom", "got %#v", v)
}

// CONFORMANCE.md C53: Run returns main's error unwrapped.
func TestRunReturnsMainErrorUnwrapped(t *testing.T) {
	want := errors.New("main failed")
	if err := run(t, func(ctx context.Context) error { return want }); err != want {
		t.Fatalf("got %v", err)
	}
}

// Service children are cancelled once the body and ordinary children are
// done, and their cancellation is no error.
func TestServiceTasks(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		beats := 0
		err := WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			n.GoService(func(ctx context.Context) error {
				for {
					if err := Sleep(ctx, time.Second); err != nil {
						return err
					}
					beats++
				}
			})
			n.Go(func(ctx context.Context) error { return Sleep(ctx, 3500*time.Millisecond) })
			return nil
		})
		expect(t, err == nil && beats == 3, "err=%v beats=%d", err, beats)
		return nil
	})
}

// CONFORMANCE.md C41, C42, C43: Start.
func TestStart(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			v, err := Start(ctx, n, func(ctx context.Context, started func(int)) error {
				Sleep(ctx, time.Second)
				started(42)
				return Sleep(ctx, time.Second)
			})
			expect(t, v == 42 && err == nil && elapsed(ctx) == time.Second, "Start = %v, %v at %v", v, err, elapsed(ctx))
			boom := errors.New("boom")
			_, err = Start(ctx, n, func(ctx context.Context, started func(int)) error { return boom })
			expect(t, err == boom, "error before started: %v", err)
			_, err = Start(ctx, n, func(ctx context.Context, started func(int)) error { return nil })
			expect(t, err != nil && strings.Contains(err.Error(), "without calling started"), "no started: %v", err)
			expect(t, !n.Scope().CancelCalled(), "a failed Start failed the nursery")
			return nil
		})
	})
}

// CONFORMANCE.md C44, C45: cancelling the Start call cancels the starting
// child, not the target nursery. After started, the child belongs to the
// nursery (U15's second half).
func TestStartCancellation(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			timedOut, err := MoveOnAfter(ctx, time.Second, func(ctx context.Context) error {
				_, err := Start(ctx, n, func(ctx context.Context, started func(struct{})) error {
					return Sleep(ctx, time.Hour)
				})
				return err
			})
			expect(t, timedOut && err == nil && !n.Scope().CancelCalled(), "timedOut=%v err=%v nurseryCancelled=%v", timedOut, err, n.Scope().CancelCalled())
			// After started, cancelling the nursery reaches the child.
			var childErr error
			before := elapsed(ctx)
			err = WithNursery(ctx, func(ctx context.Context, target *Nursery) error {
				if _, err := Start(ctx, target, func(ctx context.Context, started func(struct{})) error {
					started(struct{}{})
					childErr = Sleep(ctx, time.Hour)
					return childErr
				}); err != nil {
					return err
				}
				target.Cancel()
				return nil
			})
			expect(t, err == nil && errors.Is(childErr, ErrCancelled) && elapsed(ctx) == before,
				"after started, the nursery's Cancel: nursery %v, child %v after %v", err, childErr, elapsed(ctx)-before)
			return nil
		})
	})
}

// CONFORMANCE.md C46, C47, C48: handles.
func TestSpawnHandles(t *testing.T) {
	boom := errors.New("boom")
	err := run(t, func(ctx context.Context) error {
		return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			h := Spawn(n, func(ctx context.Context) (string, error) {
				Sleep(ctx, time.Second)
				return "value", nil
			})
			v, err := h.Wait(ctx)
			expect(t, v == "value" && err == nil && h.Done(), "Wait = %q, %v", v, err)
			v, err = h.Wait(ctx) // again
			expect(t, v == "value" && err == nil, "second Wait = %q, %v", v, err)

			c := Spawn(n, func(ctx context.Context) (int, error) { return 0, Sleep(ctx, time.Hour) })
			WaitAllTasksBlocked(ctx)
			c.Cancel()
			_, err = c.Wait(ctx)
			expect(t, errors.Is(err, ErrCancelled) && !n.Scope().CancelCalled(), "cancelled handle: %v, nursery cancelled %v", err, n.Scope().CancelCalled())
			c.Cancel() // finished: no-op

			f := Spawn(n, func(ctx context.Context) (int, error) { return 0, boom })
			// The failure cancels the nursery, body included: wait shielded.
			Shield(ctx, func(ctx context.Context) error {
				_, err = f.Wait(ctx)
				return nil
			})
			expect(t, err == boom, "failed handle: %v", err)
			return nil
		})
	})
	if !errors.Is(err, boom) {
		t.Fatalf("the failure did not reach the nursery too: %v", err)
	}
}

// Deadlock detection: every task blocked, nothing can wake one.
func TestDeadlockDetected(t *testing.T) {
	err := run(t, func(ctx context.Context) error {
		return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			n.Go(func(ctx context.Context) error {
				h := Spawn(n, func(ctx context.Context) (int, error) {
					w := &waiter{op: "an event nobody sets"}
					tk, c := current(ctx, "test")
					return 0, tk.r.block(ctx, c, tk, w, w.op)
				}, Name("stuck"))
				_, err := h.Wait(ctx)
				return err
			}, Name("waiter"))
			return nil
		})
	})
	if !errors.Is(err, ErrDeadlock) {
		t.Fatalf("got %v, want ErrDeadlock", err)
	}
	for _, want := range []string{"stuck", "waiter", "an event nobody sets"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("deadlock report lacks %q:\n%v", want, err)
		}
	}
}

func TestDump(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			n.Go(func(ctx context.Context) error { return Sleep(ctx, time.Hour) }, Name("sleeper"))
			WaitAllTasksBlocked(ctx)
			var b strings.Builder
			Dump(ctx, &b)
			expect(t, strings.Contains(b.String(), "  - sleeper [blocked: Sleep until"), "dump:\n%s", b.String())
			n.Cancel()
			return nil
		})
	})
}

// Run leaves no goroutine behind (goleak checks at exit) and reuses
// coroutines.
func TestCoroutinesArePooled(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		tk, _ := current(ctx, "test")
		for range 3 {
			WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
				for range 100 {
					n.Go(func(ctx context.Context) error { return Checkpoint(ctx) })
				}
				return nil
			})
		}
		expect(t, tk.r.stats.Coroutines <= 101, "%d coroutines for 300 short tasks", tk.r.stats.Coroutines)
		return nil
	})
}
