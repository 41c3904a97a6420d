// Command fanout is the producer and five consumers of the asyncio
// critique, with the two things asyncio's queue cannot do: backpressure
// (the channel holds 4 items; the producer waits) and leases (a consumer
// takes an item on lease and acknowledges it when done; one that fails
// mid-item gives it back, to the front of the channel, for another). One
// consumer fails on every 7th item it takes; a supervisor restarts it; no
// item is lost or done twice. An item's work has a deadline (-lease, 1 s):
// a consumer stuck on an item loses it, and is restarted, like one that
// failed (-stuck N shows it).
//
//	go run ./demos/fanout -items 100
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/f04742a6/reactor/task"
)

type config struct {
	items, consumers, flaky, stuck int
	work, lease                    time.Duration
}

// stats is what a run did; the loop's tasks update it, one at a time.
type stats struct {
	done     map[int]int // item -> times it was processed to the end
	failures int         // consumer failures mid-item
	timeouts int         // leases that ran out: work past cfg.lease
	by       []int       // items finished per consumer
}

func main() {
	var cfg config
	flag.IntVar(&cfg.items, "items", 100, "items to produce")
	flag.IntVar(&cfg.consumers, "consumers", 5, "consumers")
	flag.IntVar(&cfg.flaky, "flaky", 2, "the consumer that fails on every 7th item (-1: none)")
	flag.IntVar(&cfg.stuck, "stuck", -1, "the consumer whose work on its first item never ends (-1: none)")
	flag.DurationVar(&cfg.work, "work", time.Millisecond, "time to process an item")
	flag.DurationVar(&cfg.lease, "lease", time.Second, "the most an item's work may take: past it the item goes back and its consumer is restarted")
	flag.Parse()
	if err := task.Run(func(ctx context.Context) error {
		st, err := run(ctx, cfg)
		if err == nil {
			report(os.Stdout, cfg, st)
		}
		return err
	}); err != nil {
		log.Fatal(err)
	}
}

var errFlaky = errors.New("consumer failed mid-item")

func run(ctx context.Context, cfg config) (*stats, error) {
	st := &stats{done: map[int]int{}, by: make([]int, cfg.consumers)}
	send, recv := task.NewChannel[int](4)
	err := task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
		n.Go(func(ctx context.Context) error { // the producer
			defer send.Close() // consumers see ErrEndOfChannel once all is taken
			for i := range cfg.items {
				if err := send.Send(ctx, i); err != nil { // waits while 4 are queued
					return err
				}
			}
			return nil
		})
		for c := range cfg.consumers {
			r := recv.Clone()
			n.Go(func(ctx context.Context) error { return supervise(ctx, c, r, cfg, st) })
		}
		recv.Close()
		return nil
	})
	return st, err
}

// supervise runs consumer c until the channel ends, restarting it after
// each failure, a lease that ran out included. A failed consumer's task
// has ended holding its lease, and the lease went back to the channel
// with it.
func supervise(ctx context.Context, c int, r *task.Receiver[int], cfg config, st *stats) error {
	defer r.Close()
	taken := 0
	for {
		err := task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error { return consume(ctx, c, r, cfg, st, &taken) })
			return nil
		})
		switch {
		case errors.Is(err, task.ErrEndOfChannel):
			return nil
		case errors.Is(err, errFlaky):
			st.failures++ // and start again
		case errors.Is(err, task.ErrTimeout):
			st.timeouts++ // and start again
		default:
			return err
		}
	}
}

// consume processes leased items until the channel ends. The work on an
// item has cfg.lease to finish (0: no limit): past that it is cancelled,
// the consumer fails with task.ErrTimeout, and the lease goes back.
func consume(ctx context.Context, c int, r *task.Receiver[int], cfg config, st *stats, taken *int) error {
	for {
		lease, err := r.ReceiveLease(ctx)
		if err != nil {
			return err
		}
		*taken++
		work := cfg.work
		if c == cfg.stuck && *taken == 1 {
			work = 24 * time.Hour // stuck: a peer that never answers, a lock never released
		}
		if cfg.lease > 0 {
			err = task.FailAfter(ctx, cfg.lease, func(ctx context.Context) error {
				return task.Sleep(ctx, work) // the work
			})
		} else {
			err = task.Sleep(ctx, work)
		}
		if err != nil {
			return fmt.Errorf("consumer %d, item %d: %w", c, lease.Value(), err) // timed out or cancelled mid-item: the lease goes back
		}
		if c == cfg.flaky && *taken%7 == 0 {
			return fmt.Errorf("consumer %d, item %d: %w", c, lease.Value(), errFlaky) // no Ack
		}
		st.done[lease.Value()]++
		st.by[c]++
		lease.Ack()
	}
}

func report(out io.Writer, cfg config, st *stats) {
	once := 0
	for i := range cfg.items {
		if st.done[i] == 1 {
			once++
		}
	}
	fmt.Fprintf(out, "%d of %d items processed exactly once; %d consumer failures mid-item, %d timed out; every item given back\n", once, cfg.items, st.failures, st.timeouts)
	fmt.Fprintf(out, "  per consumer: %v\n", st.by)
}
