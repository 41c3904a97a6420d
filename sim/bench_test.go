package sim_test

import (
	"context"
	"testing"
	"time"

	"github.com/f04742a6/reactor/sim"
	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// BenchmarkSimEcho is one echo round trip of 64 bytes over the simulated
// network (two segments); compare with BenchmarkMemoryPairEcho.
func BenchmarkSimEcho(b *testing.B) {
	msg := make([]byte, 64)
	buf := make([]byte, 64)
	err := sim.Run(func(ctx context.Context, w *sim.World) error {
		c, err := dialEchoServer(ctx, w)
		if err != nil {
			return err
		}
		defer c.Close()
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if _, err := c.Write(ctx, msg); err != nil {
				return err
			}
			if _, err := readFull(ctx, c, buf); err != nil {
				return err
			}
		}
		b.StopTimer()
		b.ReportMetric(2, "segments/op")
		return nil
	}, sim.Latency(time.Millisecond, time.Millisecond))
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkMemoryPairEcho is the same echo over streams.MemoryPair, on
// the same kind of run (a mock clock, no simulation).
func BenchmarkMemoryPairEcho(b *testing.B) {
	msg := make([]byte, 64)
	buf := make([]byte, 64)
	clock := task.NewMockClock(time.Unix(0, 0))
	clock.SetAutojump(0)
	err := task.Run(func(ctx context.Context) error {
		a, s := streams.MemoryPair(64 << 10)
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error {
				defer s.Close()
				return echo(ctx, s)
			})
			defer a.Close()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := a.Write(ctx, msg); err != nil {
					return err
				}
				if _, err := readFull(ctx, a, buf); err != nil {
					return err
				}
			}
			b.StopTimer()
			return nil
		})
	}, task.WithClock(clock), task.WithSignals())
	if err != nil {
		b.Fatal(err)
	}
}
