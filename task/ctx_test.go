package task

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"
)

// watch starts a goroutine that waits for ctx.Done (the way the standard
// library's own consumers do) and then reports ctx.Err. It must be read
// after the scope under test has ended, with collect.
func watch(ctx context.Context) <-chan error {
	got := make(chan error, 1)
	go func() {
		<-ctx.Done()
		got <- ctx.Err()
	}()
	return got
}

// collect waits off the loop (ToThread) for a watcher's report.
func collect(ctx context.Context, got <-chan error) (error, bool) {
	var err error
	var ok bool
	werr := ToThread(ctx, func(context.Context) error {
		select {
		case err = <-got:
			ok = true
		case <-time.After(10 * time.Second): // a bound for a failing test, not a synchronisation
		}
		return nil
	})
	if werr != nil {
		panic(werr)
	}
	return err, ok
}

// The ctx is a real context.Context from any goroutine: Done closes and Err
// turns non-nil for every cause of cancellation (run with -race: before
// the change, Done's lazy make raced with the loop's close).
func TestCtxDoneFromAnotherGoroutine(t *testing.T) {
	cases := []struct {
		name string
		want error
		// body opens scopes under ctx and returns the ctx to watch, after
		// starting the watcher with w.
		body func(ctx context.Context, w func(context.Context)) error
	}{
		{"own deadline while sleeping", context.DeadlineExceeded, func(ctx context.Context, w func(context.Context)) error {
			_, err := MoveOnAfter(ctx, time.Second, func(ctx context.Context) error {
				w(ctx)
				return Sleep(ctx, time.Hour)
			})
			return err
		}},
		{"deadline found passed at a checkpoint", context.DeadlineExceeded, func(ctx context.Context, w func(context.Context)) error {
			clock := ctx.Value(clockKey{}).(*MockClock)
			_, err := MoveOnAfter(ctx, time.Second, func(ctx context.Context) error {
				w(ctx)
				clock.Jump(2 * time.Second) // the timer has not run yet
				err := Checkpoint(ctx)
				if !errors.Is(err, ErrCancelled) {
					t.Errorf("Checkpoint past the deadline: %v", err)
				}
				return err
			})
			return err
		}},
		{"enclosing scope two levels up", context.Canceled, func(ctx context.Context, w func(context.Context)) error {
			return WithScope(ctx, func(ctx context.Context, outer *Scope) error {
				return WithScope(ctx, func(ctx context.Context, _ *Scope) error {
					return WithScope(ctx, func(ctx context.Context, _ *Scope) error {
						w(ctx)
						outer.Cancel()
						return Sleep(ctx, time.Hour)
					})
				})
			})
		}},
		{"nursery child", context.Canceled, func(ctx context.Context, w func(context.Context)) error {
			return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
				n.Go(func(ctx context.Context) error {
					w(ctx)
					return Sleep(ctx, time.Hour)
				})
				WaitAllTasksBlocked(ctx)
				n.Cancel()
				return nil
			})
		}},
		{"opened inside a cancelled scope", context.Canceled, func(ctx context.Context, w func(context.Context)) error {
			return WithScope(ctx, func(ctx context.Context, s *Scope) error {
				s.Cancel()
				return WithScope(ctx, func(ctx context.Context, _ *Scope) error {
					w(ctx)
					return nil
				})
			})
		}},
		{"spawned into a cancelled nursery", context.Canceled, func(ctx context.Context, w func(context.Context)) error {
			return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
				n.Cancel()
				n.Go(func(ctx context.Context) error { w(ctx); return nil })
				return nil
			})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := NewMockClock(epoch)
			clock.SetAutojump(0)
			err := Run(func(ctx context.Context) error {
				ctx = context.WithValue(ctx, clockKey{}, clock)
				var got <-chan error
				if err := tc.body(ctx, func(c context.Context) { got = watch(c) }); err != nil {
					return err
				}
				err, ok := collect(ctx, got)
				switch {
				case !ok:
					t.Errorf("Done never closed")
				case err != tc.want:
					t.Errorf("Err() = %v, want %v", err, tc.want)
				}
				return nil
			}, WithClock(clock), WithLogger(slog.New(slog.DiscardHandler)))
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

type clockKey struct{}

// Never across a shield: while the enclosing scope is cancelled, the
// shielded ctx stays open, its Err nil; it closes once Shield returns.
func TestCtxShieldStaysOpen(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		var shielded context.Context
		err := WithScope(ctx, func(ctx context.Context, s *Scope) error {
			outer := ctx
			return Shield(ctx, func(ctx context.Context) error {
				shielded = ctx
				s.Cancel()
				if err := Sleep(ctx, time.Second); err != nil { // runs to the end: shielded
					return err
				}
				return ToThread(ctx, func(context.Context) error {
					select {
					case <-shielded.Done():
						t.Errorf("the shielded ctx's Done closed inside the shield")
					default:
					}
					expect(t, shielded.Err() == nil, "shielded Err() = %v", shielded.Err())
					<-outer.Done()
					expect(t, outer.Err() == context.Canceled, "outer Err() = %v", outer.Err())
					return nil
				})
			})
		})
		expect(t, err == nil, "Shield: %v", err)
		got, ok := collect(ctx, watch(shielded))
		expect(t, ok && got == context.Canceled, "after Shield returned, its ctx: %v (closed: %v)", got, ok)
		return nil
	})
}

// Deadline is the effective deadline, readable from any goroutine, and
// follows a deadline moved on an enclosing scope (but not across a shield).
func TestCtxDeadlineFromAnotherGoroutine(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		return WithScope(ctx, func(ctx context.Context, outer *Scope) error {
			outer.SetDeadline(Now(ctx).Add(time.Hour))
			return WithScope(ctx, func(inner context.Context, _ *Scope) error {
				return Shield(inner, func(shielded context.Context) error {
					read := func(c context.Context) (d time.Time, ok bool) {
						ToThread(shielded, func(context.Context) error { d, ok = c.Deadline(); return nil })
						return
					}
					d, ok := read(inner)
					expect(t, ok && d.Equal(epoch.Add(time.Hour)), "inner Deadline() = %v %v, want the outer's", d, ok)
					outer.SetDeadline(epoch.Add(time.Minute))
					d, ok = read(inner)
					expect(t, ok && d.Equal(epoch.Add(time.Minute)), "after moving the outer deadline: %v %v", d, ok)
					_, ok = read(shielded)
					expect(t, !ok, "a shielded ctx reports the outer deadline")
					return nil
				})
			})
		})
	})
}

// The standard library's own consumers, run on their goroutines.
func TestCtxStandardLibraryConsumers(t *testing.T) {
	t.Run("AfterFunc", func(t *testing.T) {
		mustRun(t, func(ctx context.Context) error {
			fired := make(chan error, 1)
			timedOut, err := MoveOnAfter(ctx, time.Second, func(ctx context.Context) error {
				context.AfterFunc(ctx, func() { fired <- ctx.Err() })
				return Sleep(ctx, time.Hour)
			})
			expect(t, timedOut && err == nil, "MoveOnAfter: %v %v", timedOut, err)
			got, ok := collect(ctx, fired)
			expect(t, ok && got == context.DeadlineExceeded, "AfterFunc saw %v (ran: %v)", got, ok)
			return nil
		})
	})
	t.Run("WithCancel child", func(t *testing.T) {
		mustRun(t, func(ctx context.Context) error {
			var got <-chan error
			err := WithScope(ctx, func(ctx context.Context, s *Scope) error {
				child, cancel := context.WithCancel(ctx)
				defer cancel()
				got = watch(child)
				s.Cancel()
				return Sleep(ctx, time.Hour)
			})
			expect(t, err == nil, "WithScope: %v", err)
			e, ok := collect(ctx, got)
			expect(t, ok && e == context.Canceled, "the child saw %v (closed: %v)", e, ok)
			return nil
		})
	})
}
