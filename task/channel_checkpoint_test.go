package task

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// TestChannelCancelledFirst: Send and Receive are checkpoints that check
// cancellation before anything else, so in a cancelled scope they fail
// with the cancellation even when they could complete, or would fail for
// another reason (a closed end, a broken channel), and take nothing.
// Each case sets up outside the scope.
func TestChannelCancelledFirst(t *testing.T) {
	type op = func(scoped context.Context) error
	cases := []struct {
		name string
		// setup makes a channel with ctx and returns the operation to
		// make in the cancelled scope, and a check of what it left.
		setup func(ctx context.Context) (call op, check func(ctx context.Context) error, err error)
	}{
		{"Send with buffer room", func(ctx context.Context) (op, func(context.Context) error, error) {
			s, r := NewChannel[int](1)
			return func(scoped context.Context) error { return s.Send(scoped, 1) },
				func(context.Context) error {
					if _, err := r.TryReceive(); !errors.Is(err, ErrWouldBlock) {
						return fmt.Errorf("the cancelled Send delivered its value (TryReceive: %v)", err)
					}
					return nil
				}, nil
		}},
		{"Send on a closed end", func(ctx context.Context) (op, func(context.Context) error, error) {
			s, _ := NewChannel[int](1)
			s.Close()
			return func(scoped context.Context) error { return s.Send(scoped, 1) }, nil, nil
		}},
		{"Send with every receiver gone", func(ctx context.Context) (op, func(context.Context) error, error) {
			s, r := NewChannel[int](1)
			r.Close()
			return func(scoped context.Context) error { return s.Send(scoped, 1) }, nil, nil
		}},
		{"Receive with a value buffered", func(ctx context.Context) (op, func(context.Context) error, error) {
			s, r := NewChannel[int](1)
			if err := s.Send(ctx, 7); err != nil {
				return nil, nil, err
			}
			return func(scoped context.Context) error { _, err := r.Receive(scoped); return err },
				func(ctx context.Context) error {
					if v, err := r.Receive(ctx); v != 7 || err != nil {
						return fmt.Errorf("Receive after the scope = %d, %v; want the value the cancelled Receive left, 7", v, err)
					}
					return nil
				}, nil
		}},
		{"Receive on a closed end", func(ctx context.Context) (op, func(context.Context) error, error) {
			_, r := NewChannel[int](1)
			r.Close()
			return func(scoped context.Context) error { _, err := r.Receive(scoped); return err }, nil, nil
		}},
		{"Receive at the end", func(ctx context.Context) (op, func(context.Context) error, error) {
			s, r := NewChannel[int](1)
			s.Close()
			return func(scoped context.Context) error { _, err := r.Receive(scoped); return err }, nil, nil
		}},
		{"ReceiveLease with a value buffered", func(ctx context.Context) (op, func(context.Context) error, error) {
			s, r := NewChannel[int](1)
			if err := s.Send(ctx, 7); err != nil {
				return nil, nil, err
			}
			return func(scoped context.Context) error { _, err := r.ReceiveLease(scoped); return err },
				func(ctx context.Context) error {
					if v, err := r.TryReceive(); v != 7 || err != nil {
						return fmt.Errorf("TryReceive after the scope = %d, %v; want the value the cancelled ReceiveLease left, 7", v, err)
					}
					return nil
				}, nil
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mustRun(t, func(ctx context.Context) error {
				call, check, err := c.setup(ctx)
				if err != nil {
					return err
				}
				var callErr error
				err = WithScope(ctx, func(scoped context.Context, s *Scope) error {
					s.Cancel()
					callErr = call(scoped)
					return callErr
				})
				if !errors.Is(callErr, ErrCancelled) {
					t.Errorf("%s in a cancelled scope: %v; want an error matching ErrCancelled", c.name, callErr)
				} else if err != nil {
					t.Errorf("the cancelled scope returned %v; want nil", err)
				}
				if check != nil {
					if err := check(ctx); err != nil {
						t.Error(err)
					}
				}
				return nil
			})
		})
	}
}

// TestChannelImmediateOperationsYieldWithinBudget: channel operations that
// complete without waiting, successfully or not, spend the fairness
// budget: a task looping on them lets another runnable task run within
// 64 of them.
func TestChannelImmediateOperationsYieldWithinBudget(t *testing.T) {
	const total = 1000
	cases := []struct {
		name  string
		setup func(ctx context.Context) (op func(ctx context.Context) error, err error)
	}{
		{"Receive of buffered values", func(ctx context.Context) (func(context.Context) error, error) {
			s, r := NewChannel[int](total)
			for i := range total {
				if err := s.Send(ctx, i); err != nil {
					return nil, err
				}
			}
			return func(ctx context.Context) error { _, err := r.Receive(ctx); return err }, nil
		}},
		{"ReceiveLease of buffered values", func(ctx context.Context) (func(context.Context) error, error) {
			s, r := NewChannel[int](total)
			for i := range total {
				if err := s.Send(ctx, i); err != nil {
					return nil, err
				}
			}
			return func(ctx context.Context) error {
				l, err := r.ReceiveLease(ctx)
				if err == nil {
					l.Ack()
				}
				return err
			}, nil
		}},
		{"Send into buffer room", func(ctx context.Context) (func(context.Context) error, error) {
			s, _ := NewChannel[int](total)
			return func(ctx context.Context) error { return s.Send(ctx, 1) }, nil
		}},
		{"Receive at the end, again and again", func(ctx context.Context) (func(context.Context) error, error) {
			s, r := NewChannel[int](0)
			s.Close()
			return func(ctx context.Context) error {
				if _, err := r.Receive(ctx); !errors.Is(err, ErrEndOfChannel) {
					return fmt.Errorf("Receive: %v; want ErrEndOfChannel", err)
				}
				return nil
			}, nil
		}},
		{"Send with every receiver gone, again and again", func(ctx context.Context) (func(context.Context) error, error) {
			s, r := NewChannel[int](0)
			r.Close()
			return func(ctx context.Context) error {
				if err := s.Send(ctx, 1); !errors.Is(err, ErrBrokenResource) {
					return fmt.Errorf("Send: %v; want ErrBrokenResource", err)
				}
				return nil
			}, nil
		}},
		{"Receive on a closed end, again and again", func(ctx context.Context) (func(context.Context) error, error) {
			_, r := NewChannel[int](0)
			r.Close()
			return func(ctx context.Context) error {
				if _, err := r.Receive(ctx); !errors.Is(err, ErrClosedResource) {
					return fmt.Errorf("Receive: %v; want ErrClosedResource", err)
				}
				return nil
			}, nil
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mustRun(t, func(ctx context.Context) error {
				op, err := c.setup(ctx)
				if err != nil {
					return err
				}
				done, woken, seen := 0, -1, -1
				var running Event
				err = WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
					n.Go(func(ctx context.Context) error {
						for done < total {
							if err := op(ctx); err != nil {
								return fmt.Errorf("operation %d: %w", done, err)
							}
							done++
							if done == 1 {
								woken = done
								running.Set()
							}
						}
						return nil
					})
					n.Go(func(ctx context.Context) error {
						if err := running.Wait(ctx); err != nil {
							return err
						}
						seen = done
						return nil
					})
					return nil
				})
				if err != nil {
					return err
				}
				if ran := seen - woken; seen < 0 || ran > fairnessBudget {
					t.Errorf("the other task ran after %d more operations; want at most %d (the fairness budget)", ran, fairnessBudget)
				}
				return nil
			})
		})
	}
}

// TestChannelLeaseYieldShowsNoFalseEnd: a ReceiveLease that takes the
// last value at once and then yields for fairness must not let another
// receiver see the end of the channel while the value is in neither the
// buffer nor a counted lease: released, the value must reach that
// receiver.
func TestChannelLeaseYieldShowsNoFalseEnd(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		s, r := NewChannel[int](1)
		if err := s.Send(ctx, 7); err != nil {
			return err
		}
		s.Close()
		var got int
		var gotErr error
		err := WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			n.Go(func(ctx context.Context) error {
				me, _ := current(ctx, "test")
				me.budget = 1 // this ReceiveLease is the one that yields
				l, err := r.ReceiveLease(ctx)
				if err != nil {
					return err
				}
				l.Release()
				return nil
			})
			other := r.Clone()
			n.Go(func(ctx context.Context) error {
				defer other.Close()
				got, gotErr = other.Receive(ctx)
				return nil
			})
			return nil
		})
		if err != nil {
			return err
		}
		if gotErr != nil || got != 7 {
			t.Errorf("the other receiver got %d, %v; want the released value 7 (the end came while a lease was being taken)", got, gotErr)
		}
		return nil
	})
}

// TestChannelLeaseHandOffShowsNoFalseEnd: a value handed to a blocked
// ReceiveLease is in flight from the hand-off on, before the receiving
// task runs again: closing the last send end right after must not end
// the channel for the other receivers, so that the value, released,
// reaches one of them.
func TestChannelLeaseHandOffShowsNoFalseEnd(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		s, r := NewChannel[int](0)
		other := r.Clone()
		var got int
		var gotErr error
		err := WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			n.Go(func(ctx context.Context) error {
				l, err := r.ReceiveLease(ctx)
				if err != nil {
					return err
				}
				l.Release() // could not process it: someone else should
				return nil
			})
			n.Go(func(ctx context.Context) error {
				defer other.Close()
				got, gotErr = other.Receive(ctx)
				return nil
			})
			if err := WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			if err := s.Send(ctx, 7); err != nil { // to the lease, the first waiter
				return err
			}
			return s.Close()
		})
		if err != nil {
			return err
		}
		if gotErr != nil || got != 7 {
			t.Errorf("the other receiver got %d, %v; want the released value 7 (the end came while a lease was in flight)", got, gotErr)
		}
		return nil
	})
}
