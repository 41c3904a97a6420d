package task_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/f04742a6/reactor/task"
)

// A mock clock with autojump makes the hour-long timeouts below instant.
func testClock() task.Option {
	c := task.NewMockClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	c.SetAutojump(0)
	return task.WithClock(c)
}

func ExampleRun() {
	err := task.Run(func(ctx context.Context) error {
		fmt.Println("hello from the main task")
		return task.Sleep(ctx, time.Hour)
	}, testClock())
	fmt.Println("Run returned", err)
	// Output:
	// hello from the main task
	// Run returned <nil>
}

func ExampleWithNursery() {
	task.Run(func(ctx context.Context) error {
		err := task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			for i := 1; i <= 3; i++ {
				n.Go(func(ctx context.Context) error {
					task.Sleep(ctx, time.Duration(i)*time.Second)
					fmt.Println("child", i, "done")
					return nil
				})
			}
			return nil
		})
		fmt.Println("all children done:", err)
		return nil
	}, testClock())
	// Output:
	// child 1 done
	// child 2 done
	// child 3 done
	// all children done: <nil>
}

func ExampleMoveOnAfter() {
	task.Run(func(ctx context.Context) error {
		timedOut, err := task.MoveOnAfter(ctx, time.Second, func(ctx context.Context) error {
			return task.Sleep(ctx, time.Hour)
		})
		fmt.Println("timed out:", timedOut, "error:", err)
		return nil
	}, testClock())
	// Output: timed out: true error: <nil>
}

// Graceful cleanup: in a cancelled scope every blocking call fails, so a
// cleanup that must block does so in a shield, with its own deadline.
func ExampleShield() {
	task.Run(func(ctx context.Context) error {
		start := task.Now(ctx)
		task.MoveOnAfter(ctx, time.Second, func(ctx context.Context) error {
			defer func() {
				// Unshielded, cleanup cannot block: it fails at once.
				err := task.Sleep(ctx, time.Second)
				fmt.Println("unshielded cleanup:", errors.Is(err, task.ErrCancelled))
				// Shielded, with a 1-second budget for a 5-second job.
				task.Shield(ctx, func(ctx context.Context) error {
					timedOut, _ := task.MoveOnAfter(ctx, time.Second, func(ctx context.Context) error {
						return task.Sleep(ctx, 5*time.Second)
					})
					fmt.Println("shielded cleanup gave up:", timedOut, "after", task.Now(ctx).Sub(start))
					return nil
				})
			}()
			return task.Sleep(ctx, time.Hour)
		})
		return nil
	}, testClock())
	// Output:
	// unshielded cleanup: true
	// shielded cleanup gave up: true after 2s
}

func ExampleStart() {
	task.Run(func(ctx context.Context) error {
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			addr, err := task.Start(ctx, n, func(ctx context.Context, started func(string)) error {
				// ... bind a listener, then report it:
				started("127.0.0.1:7000")
				return nil
			})
			fmt.Println("server ready at", addr, err)
			return nil
		})
	})
	// Output: server ready at 127.0.0.1:7000 <nil>
}

func ExampleToThread() {
	task.Run(func(ctx context.Context) error {
		return task.ToThread(ctx, func(wctx context.Context) error {
			// Blocking work off the loop; then back on the loop, inside
			// the caller's scope:
			return task.FromThread(wctx, func(ctx context.Context) error {
				fmt.Println("back on the loop")
				return nil
			})
		})
	})
	// Output: back on the loop
}
