package sim_test

import (
	"context"
	"fmt"
	"time"

	"github.com/f04742a6/reactor/sim"
	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// An echo server on one host and a client on "main", 25ms apart: the
// round trip takes 50ms of simulated time and no real time.
func Example() {
	err := sim.Run(func(ctx context.Context, w *sim.World) error {
		w.Host("echo", func(ctx context.Context) error {
			return streams.ServeTCP(ctx, ":7", func(ctx context.Context, s streams.Stream) error {
				r := streams.NewBufferedReader(s, 1024)
				for {
					line, err := r.ReadUntil(ctx, []byte("\n"))
					if err != nil {
						return nil // the client left
					}
					if _, err := s.Write(ctx, line); err != nil {
						return err
					}
				}
			}, nil)
		})
		if err := task.Sleep(ctx, time.Millisecond); err != nil { // the server listens
			return err
		}
		c, err := streams.DialTCP(ctx, "echo:7")
		if err != nil {
			return err
		}
		defer c.Close()
		start := task.Now(ctx)
		if _, err := c.Write(ctx, []byte("hello, simulation\n")); err != nil {
			return err
		}
		line, err := streams.NewBufferedReader(c, 1024).ReadLine(ctx)
		if err != nil {
			return err
		}
		fmt.Printf("%s in %v\n", line, task.Now(ctx).Sub(start))
		return nil
	}, sim.Latency(25*time.Millisecond, 25*time.Millisecond), sim.Seed(7))
	if err != nil {
		fmt.Println(err)
	}
	// Output: hello, simulation in 50ms
}
