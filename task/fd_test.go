package task

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/f04742a6/reactor/internal/sock"
)

func TestWaitReadableWritable(t *testing.T) {
	a, b := socketPair(t)
	err := Run(func(ctx context.Context) error {
		if err := WaitWritable(ctx, b); err != nil {
			return err
		}
		return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			n.Go(func(ctx context.Context) error {
				if err := WaitReadable(ctx, a); err != nil { // woken by the write below
					return err
				}
				// Level-triggered: the data is still there, so this
				// returns at once.
				if err := WaitReadable(ctx, a); err != nil {
					return err
				}
				buf := make([]byte, 8)
				n, err := sock.Read(a, buf)
				expect(t, err == nil && string(buf[:n]) == "ping", "read %q %v", buf[:n], err)
				return nil
			})
			for range 3 {
				Checkpoint(ctx) // the reader is parked now
			}
			err := WaitReadable(ctx, a)
			expect(t, errors.Is(err, ErrBusyResource), "second waiter: %v", err)
			_, err = sock.Write(b, []byte("ping"))
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestWaitReadableCancelled(t *testing.T) {
	a, b := socketPair(t)
	mustRun(t, func(ctx context.Context) error {
		timedOut, err := MoveOnAfter(ctx, time.Second, func(ctx context.Context) error { return WaitReadable(ctx, a) })
		expect(t, timedOut && err == nil, "timedOut=%v err=%v", timedOut, err)
		// The cancelled wait left nothing behind: waiting again works.
		sock.Write(b, []byte("x"))
		return WaitReadable(ctx, a)
	})
}

// WithSeed shuffles each batch reproducibly.
func TestWithSeed(t *testing.T) {
	order := func(opts ...Option) []int {
		var got []int
		mustRun(t, func(ctx context.Context) error {
			return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
				for i := range 10 {
					n.Go(func(ctx context.Context) error { got = append(got, i); return nil })
				}
				return nil
			})
		}, opts...)
		return got
	}
	fifo := order()
	expect(t, slices.IsSorted(fifo), "default order not FIFO: %v", fifo)
	a, b := order(WithSeed(3)), order(WithSeed(3))
	expect(t, slices.Equal(a, b) && !slices.IsSorted(a), "seeded: %v vs %v", a, b)
}

// NotifyClosing wakes a task waiting on an fd about to be closed (before:
// it hung forever, with no deadlock report: a watched fd can still wake).
func TestNotifyClosingWakesWaiters(t *testing.T) {
	a, b, err := sock.Pair()
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close(b) // a is closed by the test itself
	mustRun(t, func(ctx context.Context) error {
		return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			var waitErr error
			n.Go(func(ctx context.Context) error { waitErr = WaitReadable(ctx, a); return nil })
			for range 3 {
				Checkpoint(ctx) // the reader is parked now
			}
			NotifyClosing(ctx, a)
			sock.Close(a)
			Checkpoint(ctx)
			expect(t, errors.Is(waitErr, ErrClosedResource), "the waiter got %v", waitErr)
			NotifyClosing(ctx, b) // nobody waits: nothing happens
			return nil
		})
	})
}

// Tasks that keep yielding do not starve I/O: the loop still polls every
// 256 items while the run queue never empties (the scheduler seam keeps
// the loop's fairness).
func TestRunnableTasksDoNotStarveIO(t *testing.T) {
	a, b := socketPair(t)
	err := Run(func(ctx context.Context) error {
		return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			readable := false
			n.Go(func(ctx context.Context) error {
				err := WaitReadable(ctx, a)
				readable = true
				return err
			})
			spins := 0
			for !readable { // never blocks: only the loop's own polling can wake the reader
				if err := Checkpoint(ctx); err != nil {
					return err
				}
				if spins++; spins == 10 { // the reader is parked by now: only a poll can see this
					if _, err := sock.Write(b, []byte("x")); err != nil {
						return err
					}
				}
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// socketPair returns a connected pair of non-blocking sockets, closed
// when the test ends. A test that closes one itself must not use it: the
// number may be reused by then.
func socketPair(t *testing.T) (a, b uintptr) {
	t.Helper()
	a, b, err := sock.Pair()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sock.Close(a); sock.Close(b) })
	return a, b
}
