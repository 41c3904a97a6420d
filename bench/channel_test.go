package bench

import (
	"context"
	"sync"
	"testing"

	"github.com/f04742a6/reactor/task"
)

// BenchmarkChannelPingPong: two tasks bounce a value through two
// capacity-0 channels; one operation is one round trip. Against two
// goroutines and two unbuffered chans.
func BenchmarkChannelPingPong(b *testing.B) {
	b.Run("reactor", func(b *testing.B) {
		runTask(b, func(ctx context.Context) error {
			pingS, pingR := task.NewChannel[int](0)
			pongS, pongR := task.NewChannel[int](0)
			return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
				n.Go(func(ctx context.Context) error {
					defer pongS.Close()
					for v := range pingR.All(ctx) {
						if err := pongS.Send(ctx, v); err != nil {
							return err
						}
					}
					return pingR.Err()
				})
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					if err := pingS.Send(ctx, i); err != nil {
						return err
					}
					if _, err := pongR.Receive(ctx); err != nil {
						return err
					}
				}
				b.StopTimer()
				return pingS.Close()
			})
		})
	})
	b.Run("go", func(b *testing.B) {
		ping, pong := make(chan int), make(chan int)
		go func() {
			for v := range ping {
				pong <- v
			}
			close(pong)
		}()
		b.ReportAllocs()
		for i := range b.N {
			ping <- i
			<-pong
		}
		b.StopTimer()
		close(ping)
		<-pong
	})
}

// BenchmarkChannelThroughput: one producer, one consumer, capacity 128;
// one operation is one value. Against a buffered chan.
func BenchmarkChannelThroughput(b *testing.B) {
	b.Run("reactor", func(b *testing.B) {
		runTask(b, func(ctx context.Context) error {
			s, r := task.NewChannel[int](128)
			b.ReportAllocs()
			b.ResetTimer()
			return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
				n.Go(func(ctx context.Context) error {
					defer s.Close()
					for i := range b.N {
						if err := s.Send(ctx, i); err != nil {
							return err
						}
					}
					return nil
				})
				for range r.All(ctx) {
				}
				b.StopTimer()
				return r.Err()
			})
		})
	})
	b.Run("go", func(b *testing.B) {
		ch := make(chan int, 128)
		b.ReportAllocs()
		go func() {
			for i := range b.N {
				ch <- i
			}
			close(ch)
		}()
		for range ch {
		}
	})
}

// BenchmarkLockUncontended: Lock and Unlock with nobody else, against
// sync.Mutex.
func BenchmarkLockUncontended(b *testing.B) {
	b.Run("reactor", func(b *testing.B) {
		runTask(b, func(ctx context.Context) error {
			var l task.Lock
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := l.Lock(ctx); err != nil {
					return err
				}
				l.Unlock()
			}
			return nil
		})
	})
	b.Run("go", func(b *testing.B) {
		var mu sync.Mutex
		b.ReportAllocs()
		for range b.N {
			mu.Lock()
			//lint:ignore SA2001 the empty critical section is what is measured
			mu.Unlock()
		}
	})
}

// BenchmarkLockContended: 8 tasks (goroutines) taking turns on one lock,
// each holding it across a yield; one operation is one Lock+Unlock.
func BenchmarkLockContended(b *testing.B) {
	const workers = 8
	b.Run("reactor", func(b *testing.B) {
		runTask(b, func(ctx context.Context) error {
			var l task.Lock
			b.ReportAllocs()
			b.ResetTimer()
			return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
				for w := range workers {
					n.Go(func(ctx context.Context) error {
						for i := w; i < b.N; i += workers {
							if err := l.Lock(ctx); err != nil {
								return err
							}
							err := task.Checkpoint(ctx) // others queue up meanwhile
							l.Unlock()
							if err != nil {
								return err
							}
						}
						return nil
					})
				}
				return nil
			})
		})
	})
	b.Run("go", func(b *testing.B) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		b.ReportAllocs()
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < b.N; i += workers {
					mu.Lock()
					runtime_Gosched()
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
	})
}
