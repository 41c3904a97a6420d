package task_test

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/f04742a6/reactor/task"
)

// The asyncio critique's fan-out: one producer, five consumers, and one
// consumer that fails in the middle of an item. With leases the item it
// held goes back to the channel, another consumer takes it, and nothing is
// lost or stuck.
func ExampleReceiver_ReceiveLease() {
	var done []int
	err := task.Run(func(ctx context.Context) error {
		send, recv := task.NewChannel[int](0)
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error { // the producer
				defer send.Close()
				for job := range 20 {
					if err := send.Send(ctx, job); err != nil {
						return err
					}
				}
				return nil
			})
			for id := range 5 {
				r := recv.Clone()
				n.Go(func(ctx context.Context) error {
					defer r.Close()
					for {
						lease, err := r.ReceiveLease(ctx)
						if errors.Is(err, task.ErrEndOfChannel) {
							return nil
						}
						if err != nil {
							return err
						}
						if id == 3 {
							// This consumer fails in the middle of its
							// first item and stops, without Ack: its lease
							// goes back to the channel when the task ends.
							fmt.Println("consumer 3 failed mid-item")
							return nil
						}
						done = append(done, lease.Value())
						lease.Ack()
					}
				})
			}
			recv.Close()
			return nil
		})
	})
	slices.Sort(done)
	fmt.Println("error:", err)
	fmt.Println("done:", done)
	// Output:
	// consumer 3 failed mid-item
	// error: <nil>
	// done: [0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19]
}
