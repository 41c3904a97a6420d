package task

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// CONFORMANCE.md C66 (C67's cancelled waiter is not asserted here).
func TestEvent(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		var e Event // zero value ready
		return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			woke := 0
			for range 3 {
				n.Go(func(ctx context.Context) error { err := e.Wait(ctx); woke++; return err })
			}
			n.Go(func(ctx context.Context) error {
				_, err := MoveOnAfter(ctx, time.Second, e.Wait) // cancelled before Set: does not proceed
				return err
			})
			Sleep(ctx, 2*time.Second)
			expect(t, woke == 0 && !e.IsSet(), "woke before Set")
			e.Set()
			e.Set()
			WaitAllTasksBlocked(ctx)
			expect(t, woke == 3, "Set woke %d of 3", woke)
			return e.Wait(ctx) // already set: one checkpoint
		})
	})
}

// CONFORMANCE.md C68-C72.
func TestLock(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		var l Lock
		if err := l.Lock(ctx); err != nil {
			return err
		}
		expect(t, catchPanic(func() { l.Lock(ctx) }) != nil, "re-entrant Lock did not panic")
		var order []int
		err := WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			for i := range 3 {
				n.Go(func(ctx context.Context) error {
					if err := l.Lock(ctx); err != nil {
						return err
					}
					order = append(order, i)
					Sleep(ctx, time.Second)
					l.Unlock()
					return nil
				})
				WaitAllTasksBlocked(ctx) // queue them in order
			}
			// A cancelled waiter acquires nothing and blocks no one.
			n.Go(func(ctx context.Context) error {
				timedOut, err := MoveOnAfter(ctx, time.Millisecond, l.Lock)
				expect(t, timedOut && err == nil, "cancelled Lock: %v %v", timedOut, err)
				return err
			})
			n.Go(func(ctx context.Context) error {
				expect(t, catchPanic(func() { l.Unlock() }) != nil, "Unlock by a non-owner did not panic")
				return nil
			})
			WaitAllTasksBlocked(ctx)
			l.Unlock() // hands straight to the first waiter
			expect(t, l.Locked() && !l.TryLock(), "TryLock barged in during the hand-off")
			return nil
		})
		expect(t, err == nil && slices.Equal(order, []int{0, 1, 2}), "order %v err %v", order, err)

		// An owner that ends without unlocking breaks the lock.
		var dead Lock
		err = WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			n.Go(func(ctx context.Context) error { return dead.Lock(ctx) }, Name("quitter"))
			n.Go(func(ctx context.Context) error {
				Sleep(ctx, time.Second)
				err := dead.Lock(ctx)
				expect(t, errors.Is(err, ErrBrokenResource), "waiter on a dead owner's lock: %v", err)
				return nil
			})
			return nil
		})
		return err
	})
}

// CONFORMANCE.md C73, C74.
func TestSemaphore(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		s := NewSemaphore(1)
		expect(t, catchPanic(func() { NewSemaphore(-1) }) != nil, "negative semaphore")
		if err := s.Acquire(ctx); err != nil {
			return err
		}
		expect(t, !s.TryAcquire() && s.Value() == 0, "TryAcquire at 0")
		timedOut, _ := MoveOnAfter(ctx, time.Second, s.Acquire)
		expect(t, timedOut && s.Value() == 0, "cancelled Acquire changed the value")
		return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			got := false
			n.Go(func(ctx context.Context) error { err := s.Acquire(ctx); got = err == nil; return err })
			WaitAllTasksBlocked(ctx)
			s.Release() // to the waiter, not the count
			expect(t, s.Value() == 0 && !s.TryAcquire(), "release barged: value %d", s.Value())
			WaitAllTasksBlocked(ctx)
			expect(t, got, "waiter did not get the permit")
			return nil
		})
	})
}

// CONFORMANCE.md C75, C76, C77.
func TestCapacityLimiter(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		l := NewCapacityLimiter(1)
		if err := l.Acquire(ctx); err != nil {
			return err
		}
		expect(t, catchPanic(func() { l.Acquire(ctx) }) != nil, "second Acquire by one borrower")
		expect(t, l.Borrowed() == 1 && l.Available() == 0, "counts %d %d", l.Borrowed(), l.Available())
		return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			var order []int
			for i := range 3 {
				n.Go(func(ctx context.Context) error {
					if err := l.Acquire(ctx); err != nil {
						return err
					}
					order = append(order, i)
					return nil // ends holding it: Release below
				})
			}
			WaitAllTasksBlocked(ctx)
			l.SetTotal(3) // admits two waiters at once
			WaitAllTasksBlocked(ctx)
			expect(t, slices.Equal(order, []int{0, 1}), "SetTotal admitted %v", order)
			l.Release()
			WaitAllTasksBlocked(ctx)
			expect(t, slices.Equal(order, []int{0, 1, 2}), "after Release %v", order)
			expect(t, catchPanic(func() { l.Release() }) != nil, "Release without a token")
			return nil
		})
	})
}

// CONFORMANCE.md C78, C79, C80.
func TestCondition(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		var l Lock
		c := NewCondition(&l)
		l.Lock(ctx)
		l.Unlock()
		expect(t, catchPanic(func() { c.Wait(ctx) }) != nil, "Wait without the lock")
		return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			var woke []int
			var scopes []*Scope
			for i := range 3 {
				n.Go(func(ctx context.Context) error {
					return WithScope(ctx, func(ctx context.Context, s *Scope) error {
						scopes = append(scopes, s)
						if err := l.Lock(ctx); err != nil {
							return err
						}
						err := c.Wait(ctx)
						expect(t, l.Locked() && l.owner != nil, "Wait returned without the lock (err %v)", err)
						woke = append(woke, i)
						l.Unlock()
						return err
					})
				})
				WaitAllTasksBlocked(ctx)
			}
			scopes[0].Cancel() // removed at once: the notification goes to the next
			WaitAllTasksBlocked(ctx)
			l.Lock(ctx)
			c.Notify(1)
			l.Unlock()
			WaitAllTasksBlocked(ctx)
			expect(t, slices.Equal(woke, []int{0, 1}), "woke %v", woke)
			l.Lock(ctx)
			c.NotifyAll()
			l.Unlock()
			return nil
		})
	})
}
