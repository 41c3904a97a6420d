package main

import (
	"context"
	"fmt"
	"time"

	"github.com/f04742a6/reactor/demos/internal/latency"
	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// bench runs total round trips of a size-byte message over conns
// connections made with dial, each connection in its own task, and
// measures every round trip on the loop's clock.
func bench(ctx context.Context, dial func(ctx context.Context) (streams.Stream, error), conns, total, size int) (latency.Summary, error) {
	msg := make([]byte, size)
	for i := range msg {
		msg[i] = 'a' + byte(i%26)
	}
	lat := make([][]time.Duration, conns)
	start := task.Now(ctx)
	err := task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
		for c := range conns {
			trips := total / conns
			if c < total%conns {
				trips++
			}
			s, err := dial(ctx)
			if err != nil {
				return err
			}
			n.Go(func(ctx context.Context) error {
				defer s.Close()
				r := streams.NewBufferedReader(s, size)
				lat[c] = make([]time.Duration, 0, trips)
				for range trips {
					t0 := task.Now(ctx)
					if _, err := s.Write(ctx, msg); err != nil {
						return err
					}
					got, err := r.ReadExactly(ctx, size)
					if err != nil {
						return err
					}
					if string(got) != string(msg) {
						return fmt.Errorf("echo: the server sent back %q", got)
					}
					lat[c] = append(lat[c], task.Now(ctx).Sub(t0))
				}
				return nil
			})
		}
		return nil
	})
	return latency.Summarize(lat, task.Now(ctx).Sub(start)), err
}
