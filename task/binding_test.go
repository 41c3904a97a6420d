package task

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// Package-level objects, as a test suite has them: each serves one Run
// after another (before the change, the second Run panicked).
var (
	suiteLock  Lock
	suiteEvent Event
	suiteSem   = NewSemaphore(1)
	suiteLim   = NewCapacityLimiter(1)
)

func TestObjectsServeOneRunAfterAnother(t *testing.T) {
	send, recv := NewChannel[int](0)
	for i := range 3 {
		mustRun(t, func(ctx context.Context) error {
			if err := suiteLock.Lock(ctx); err != nil {
				return err
			}
			suiteLock.Unlock()
			expect(t, suiteLock.TryLock(), "run %d: TryLock of a free lock failed", i)
			suiteLock.Unlock()
			if err := suiteSem.Acquire(ctx); err != nil {
				return err
			}
			suiteSem.Release()
			if err := suiteLim.Acquire(ctx); err != nil {
				return err
			}
			suiteLim.Release()
			return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
				n.Go(func(ctx context.Context) error { return send.Send(ctx, i) })
				n.Go(func(ctx context.Context) error { return suiteEvent.Wait(ctx) }) // set in run 0: at once after
				if i == 0 {
					WaitAllTasksBlocked(ctx)
					suiteEvent.Set()
				}
				v, err := recv.Receive(ctx)
				expect(t, v == i, "received %d", v)
				return err
			})
		})
	}
}

// The zero Lock and Event, and fresh Semaphore and CapacityLimiter, work
// for every method before any ctx touched them.
func TestZeroObjectsReadyForEveryMethod(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		var l Lock
		expect(t, l.TryLock(), "TryLock on a new Lock")
		expect(t, !l.TryLock(), "TryLock on a held Lock succeeded")
		l.Unlock()
		var e Event
		e.Set()
		expect(t, e.IsSet(), "Set on a new Event")
		s := NewSemaphore(1)
		expect(t, s.TryAcquire(), "TryAcquire on a new Semaphore")
		s.Release()
		lim := NewCapacityLimiter(2)
		lim.SetTotal(3)
		expect(t, lim.Available() == 3, "Available %d", lim.Available())
		return nil
	})
}

func panicText(fn func()) string {
	v := catchPanic(fn)
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// Misuse panics name the object and the remedy.
func TestObjectMisuseMessages(t *testing.T) {
	t.Run("Event.Set from a plain goroutine", func(t *testing.T) {
		var e Event
		mustRun(t, func(ctx context.Context) error {
			r := runnerOf(ctx)
			return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
				n.Go(func(ctx context.Context) error { return e.Wait(ctx) })
				WaitAllTasksBlocked(ctx)
				var msg string
				ToThread(ctx, func(context.Context) error {
					for !r.loop.Polling() { // until the loop blocks: the goroutine is plainly foreign
						runtime.Gosched()
					}
					msg = panicText(e.Set)
					return nil
				})
				expect(t, strings.Contains(msg, "Event.Set") && strings.Contains(msg, "Token"),
					"panic %q: want the object and the remedy", msg)
				e.Set()
				return nil
			})
		})
	})
	t.Run("CapacityLimiter.Release without acquire", func(t *testing.T) {
		mustRun(t, func(ctx context.Context) error {
			msg := panicText(NewCapacityLimiter(1).Release)
			expect(t, strings.Contains(msg, "CapacityLimiter.Release") && strings.Contains(msg, "TestObjectMisuseMessages") && !strings.Contains(msg, "outside"),
				"panic %q: want the calling task's name", msg)
			return nil
		})
	})
	t.Run("TryLock outside a task", func(t *testing.T) {
		var l Lock
		msg := panicText(func() { l.TryLock() })
		expect(t, strings.Contains(msg, "Lock.TryLock") && strings.Contains(msg, "outside any task"), "panic %q", msg)
	})
	t.Run("Lock in use on another loop", func(t *testing.T) {
		var l Lock
		mustRun(t, func(ctx context.Context) error {
			if err := l.Lock(ctx); err != nil {
				return err
			}
			defer l.Unlock()
			var msg string
			ToThread(ctx, func(context.Context) error {
				return Run(func(ctx context.Context) error {
					msg = panicText(func() { l.Lock(ctx) })
					return nil
				})
			})
			expect(t, strings.Contains(msg, "Lock") && strings.Contains(msg, "another"), "panic %q", msg)
			return nil
		})
	})
}

// runnerOf returns the runner of ctx's task, for tests.
func runnerOf(ctx context.Context) *runner {
	t, _ := current(ctx, "test")
	return t.r
}

// A Binding tied with Bind reaches its loop from anywhere: Do runs fn at
// once in a task of the loop, hands it to the loop from another
// goroutine, and runs it at once when nothing is tied or the run is over.
func TestBindingDo(t *testing.T) {
	var unbound Binding
	ran := false
	expect(t, unbound.Do(func() { ran = true }) && ran, "Do on an unbound Binding did not run fn at once")

	var b Binding
	var onLoop, fromWorker bool
	mustRun(t, func(ctx context.Context) error {
		b.Bind(ctx)
		expect(t, b.Do(func() { onLoop = true }) && onLoop, "Do in a task of the loop did not run fn at once")
		var done Event
		err := ToThread(ctx, func(context.Context) error {
			if b.Do(func() { fromWorker = true; done.Set() }) {
				t.Error("Do from another goroutine ran fn there")
			}
			return nil
		})
		if err != nil {
			return err
		}
		return done.Wait(ctx) // set by fn, on the loop
	})
	expect(t, fromWorker, "fn handed to the loop never ran")
	ran = false
	expect(t, b.Do(func() { ran = true }) && ran, "Do after the run ended did not run fn at once")
	if err := (LoopRef{b.r.Load()}).Post(func() { t.Error("Post after the run ran fn") }); !errors.Is(err, ErrRunFinished) {
		t.Errorf("Post after the run: %v, want ErrRunFinished", err)
	}
}

// Bind ties an object for good: a second loop's Bind does not move it
// while the first run lasts, and does once it has ended.
func TestBindingBindKeepsTheFirstLoop(t *testing.T) {
	var b Binding
	var first *runner
	release := runHolding(t, func(ctx context.Context) error {
		b.Bind(ctx)
		first = b.r.Load()
		return nil
	})
	mustRun(t, func(ctx context.Context) error {
		b.Bind(ctx)
		expect(t, b.r.Load() == first, "a second Run's Bind moved an object tied to a running loop")
		return nil
	})
	release()
	mustRun(t, func(ctx context.Context) error {
		b.Bind(ctx)
		expect(t, b.r.Load() != first, "Bind kept an object tied to a run that has ended")
		return nil
	})
}
