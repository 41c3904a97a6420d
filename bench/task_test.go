package bench

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/f04742a6/reactor/task"
)

func runTask(b *testing.B, main func(ctx context.Context) error) {
	b.Helper()
	if err := task.Run(main, task.WithLogger(slog.New(slog.DiscardHandler))); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkCheckpoint: a task yielding to the scheduler and being
// resumed, against runtime.Gosched. In "reactor" the task is alone: its
// checkpoint runs the loop's next (empty) turn in place and resumes
// itself without a coroutine switch, as Gosched with nothing else to run
// goes through the scheduler and back. In "reactor-two-tasks" two tasks
// checkpoint in turn, so every checkpoint is a real switch to the other
// task; one operation is one checkpoint.
func BenchmarkCheckpoint(b *testing.B) {
	checkpoints := func(ctx context.Context, n int) error {
		for range n {
			if err := task.Checkpoint(ctx); err != nil {
				return err
			}
		}
		return nil
	}
	b.Run("reactor", func(b *testing.B) {
		runTask(b, func(ctx context.Context) error {
			b.ReportAllocs()
			b.ResetTimer()
			err := checkpoints(ctx, b.N)
			b.StopTimer()
			return err
		})
	})
	b.Run("reactor-two-tasks", func(b *testing.B) {
		runTask(b, func(ctx context.Context) error {
			b.ReportAllocs()
			b.ResetTimer()
			err := task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
				n.Go(func(ctx context.Context) error { return checkpoints(ctx, b.N/2) })
				return checkpoints(ctx, b.N-b.N/2)
			})
			b.StopTimer()
			return err
		})
	})
	b.Run("go", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			runtime.Gosched()
		}
	})
}

// BenchmarkSpawnJoin: start and join 10k empty tasks in a nursery, against
// 10k goroutines and a sync.WaitGroup. One operation is one task.
func BenchmarkSpawnJoin(b *testing.B) {
	const batch = 10_000
	empty := func(context.Context) error { return nil }
	b.Run("reactor", func(b *testing.B) {
		taskBatches(b, batch, func(int) func(context.Context) error { return empty })
	})
	b.Run("go", func(b *testing.B) {
		goBatches(b, batch, func(int) {})
	})
}

// taskBatches runs b.N tasks, batch at a time, each batch in a nursery;
// body(i) gives the i-th task of a batch.
func taskBatches(b *testing.B, batch int, body func(i int) func(context.Context) error) {
	runTask(b, func(ctx context.Context) error {
		b.ReportAllocs()
		b.ResetTimer()
		for left := b.N; left > 0; left -= batch {
			err := task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
				for i := range min(batch, left) {
					n.Go(body(i))
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		b.StopTimer()
		return nil
	})
}

// goBatches is taskBatches with goroutines and a WaitGroup.
func goBatches(b *testing.B, batch int, body func(i int)) {
	b.ReportAllocs()
	for left := b.N; left > 0; left -= batch {
		var wg sync.WaitGroup
		for i := range min(batch, left) {
			wg.Add(1)
			go func() { body(i); wg.Done() }()
		}
		wg.Wait()
	}
}

// BenchmarkSleepMany: 10k tasks each sleeping a random 0-1ms on the real
// clock, against 10k goroutines with time.Sleep. One operation is one
// sleeper; the time includes waiting for the longest sleep.
func BenchmarkSleepMany(b *testing.B) {
	const batch = 10_000
	r := rand.New(rand.NewPCG(1, 2))
	delays := make([]time.Duration, batch)
	for i := range delays {
		delays[i] = time.Duration(r.IntN(int(time.Millisecond)))
	}
	b.Run("reactor", func(b *testing.B) {
		taskBatches(b, batch, func(i int) func(context.Context) error {
			return func(ctx context.Context) error { return task.Sleep(ctx, delays[i]) }
		})
	})
	b.Run("go", func(b *testing.B) {
		goBatches(b, batch, func(i int) { time.Sleep(delays[i]) })
	})
}

// BenchmarkScopeEnterExit: a MoveOnAfter around a no-op, against
// context.WithTimeout and its cancel.
func BenchmarkScopeEnterExit(b *testing.B) {
	noopBody := func(context.Context) error { return nil }
	b.Run("reactor", func(b *testing.B) {
		runTask(b, func(ctx context.Context) error {
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := task.MoveOnAfter(ctx, time.Minute, noopBody); err != nil {
					return err
				}
			}
			b.StopTimer()
			return nil
		})
	})
	b.Run("go", func(b *testing.B) {
		b.ReportAllocs()
		ctx := context.Background()
		for range b.N {
			c, cancel := context.WithTimeout(ctx, time.Minute)
			_ = noopBody(c)
			cancel()
		}
	})
}

// runtime_Gosched is the goroutine counterpart of task.Checkpoint.
func runtime_Gosched() { runtime.Gosched() }
