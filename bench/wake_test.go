package bench

import (
	"testing"
)

// BenchmarkWake measures waking a blocked event loop from another
// goroutine: the benchmark goroutine hands the loop a callback with
// CallSoonThreadsafe (the loop is asleep in epoll_wait) and the callback
// answers on a channel. The Go alternative wakes a goroutine blocked on a
// channel receive, which answers on a channel the same way. The answer
// path is the same, so the difference is the wake-up.
func BenchmarkWake(b *testing.B) {
	b.Run("reactor", func(b *testing.B) {
		l := newLoop(b)
		pong := make(chan struct{})
		answer := func() { pong <- struct{}{} }
		running := make(chan error)
		go func() { running <- l.Run() }()
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if err := l.CallSoonThreadsafe(answer); err != nil {
				b.Fatal(err)
			}
			<-pong
		}
		b.StopTimer()
		l.CallSoonThreadsafe(l.Stop)
		if err := <-running; err != nil {
			b.Fatal(err)
		}
	})
	b.Run("go", func(b *testing.B) {
		ping, pong := make(chan struct{}), make(chan struct{})
		go func() {
			for range ping {
				pong <- struct{}{}
			}
		}()
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			ping <- struct{}{}
			<-pong
		}
		b.StopTimer()
		close(ping)
	})
}
