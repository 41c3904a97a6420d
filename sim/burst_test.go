package sim_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/f04742a6/reactor/sim"
	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// A burst of 70 lines in one write arrives as one read or several,
// depending on the seed (segments, latency draws), as over real TCP.
func TestBurstSplitBySeed(t *testing.T) {
	burst := bytes.Repeat([]byte("a line of the burst, as a chat client sends it\n"), 70)
	reads := map[int]bool{}
	sim.Test(t, func(ctx context.Context, w *sim.World) error {
		n := 0
		w.Host("reader", func(ctx context.Context) error {
			return streams.ServeTCP(ctx, ":1", func(ctx context.Context, s streams.Stream) error {
				buf := make([]byte, 4096)
				for got := 0; got < len(burst); n++ {
					k, err := s.Read(ctx, buf)
					if err != nil {
						return err
					}
					got += k
				}
				return nil
			}, nil)
		})
		if err := settle(ctx); err != nil {
			return err
		}
		c, err := streams.DialTCP(ctx, "reader:1")
		if err != nil {
			return err
		}
		defer c.Close()
		if _, err := c.Write(ctx, burst); err != nil {
			return err
		}
		if err := task.Sleep(ctx, time.Second); err != nil {
			return err
		}
		reads[n] = true
		return nil
	}, sim.Latency(time.Millisecond, 10*time.Millisecond))
	if len(reads) < 2 {
		t.Errorf("every seed read the burst in the same number of reads: %v", reads)
	}
}
