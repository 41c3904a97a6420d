package task

import (
	"context"
	"log/slog"
	"testing"
	"time"
)

// Tasks that wake each other run their batches in place (runqueue.go):
// two tasks handing values back and forth, and three passing a token
// round a ring, resume each other from their own goroutines. Only the
// task the loop resumed does so; if a task resumed in place did too, the
// first hand-back would resume a coroutine that is not parked, and the
// run would hang or panic.
func TestTasksHandOffBackAndForth(t *testing.T) {
	const rounds = 1000
	t.Run("ping-pong", func(t *testing.T) {
		mustRun(t, func(ctx context.Context) error {
			pingS, pingR := NewChannel[int](0)
			pongS, pongR := NewChannel[int](0)
			return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
				n.Go(func(ctx context.Context) error {
					defer pongS.Close()
					for v := range pingR.All(ctx) {
						if err := pongS.Send(ctx, v+1); err != nil {
							return err
						}
					}
					return pingR.Err()
				})
				for i := range rounds {
					if err := pingS.Send(ctx, i); err != nil {
						return err
					}
					v, err := pongR.Receive(ctx)
					if err != nil {
						return err
					}
					expect(t, v == i+1, "round %d: got %d back", i, v)
				}
				return pingS.Close()
			})
		})
	})
	t.Run("ring of three", func(t *testing.T) {
		mustRun(t, func(ctx context.Context) error {
			var sends [3]*Sender[int]
			var recvs [3]*Receiver[int]
			for i := range sends {
				sends[i], recvs[i] = NewChannel[int](0)
			}
			hops := 0
			err := WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
				for i := range 3 {
					n.Go(func(ctx context.Context) error {
						defer sends[(i+1)%3].Close()
						for v := range recvs[i].All(ctx) {
							hops++
							if v == 3*rounds {
								return nil
							}
							if err := sends[(i+1)%3].Send(ctx, v+1); err != nil {
								return err
							}
						}
						return recvs[i].Err()
					})
				}
				return sends[0].Send(ctx, 0)
			})
			expect(t, hops == 3*rounds+1, "the token made %d hops, want %d", hops, 3*rounds+1)
			return err
		})
	})
}

// A checkpoint lets the loop's other work run even when the run queue
// never empties and the loop's turns are run in place: a callback posted
// from another goroutine runs by the next checkpoint, and a timer that
// came due wakes its task by the one after (the callback that wakes it
// runs in the turn's callback phase, the woken task in its batch).
func TestCheckpointLetsTheLoopsWorkRun(t *testing.T) {
	t.Run("a posted callback", func(t *testing.T) {
		mustRun(t, func(ctx context.Context) error {
			ran := false
			if err := CurrentLoop(ctx).Post(func() { ran = true }); err != nil {
				return err
			}
			if err := Checkpoint(ctx); err != nil {
				return err
			}
			expect(t, ran, "the posted callback had not run by the next checkpoint")
			return nil
		})
	})
	t.Run("a due timer", func(t *testing.T) {
		clock := NewMockClock(epoch)
		err := Run(func(ctx context.Context) error {
			return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
				woke := false
				n.Go(func(ctx context.Context) error {
					err := Sleep(ctx, time.Millisecond)
					woke = true
					return err
				})
				if err := Checkpoint(ctx); err != nil { // the sleeper is parked now
					return err
				}
				clock.Jump(time.Millisecond)
				checkpoints := 0
				for !woke && checkpoints < 1000 {
					if err := Checkpoint(ctx); err != nil {
						return err
					}
					checkpoints++
				}
				expect(t, checkpoints == 2, "the sleeper woke after %d checkpoints, want 2", checkpoints)
				return nil
			})
		}, WithClock(clock), WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			t.Fatal(err)
		}
	})
}
