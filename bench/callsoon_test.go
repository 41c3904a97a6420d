package bench

import (
	"testing"

	"github.com/f04742a6/reactor/loop"
)

const chunk = 1024

// BenchmarkCallSoon hands a callback to the loop and runs it, per
// operation, against handing a func to a goroutine through a buffered
// channel (capacity 1024) and running it there. "reactor" has the
// slow-callback watchdog on (the default: one monotonic clock read per
// callback); "reactor-nowatchdog" shows what that read costs.
func BenchmarkCallSoon(b *testing.B) {
	b.Run("reactor", func(b *testing.B) { benchCallSoon(b, newLoop(b)) })
	b.Run("reactor-nowatchdog", func(b *testing.B) {
		benchCallSoon(b, newLoop(b, loop.WithSlowCallback(0)))
	})
	b.Run("go", func(b *testing.B) {
		ch := make(chan func(), chunk)
		done := make(chan int)
		go func() {
			ran := 0
			for fn := range ch {
				fn()
				ran++
			}
			done <- ran
		}()
		inc := func() {}
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			ch <- inc
		}
		close(ch)
		ran := <-done
		b.StopTimer()
		if ran != b.N {
			b.Fatalf("ran %d of %d", ran, b.N)
		}
	})
}

// benchCallSoon schedules b.N callbacks in chunks from a driver callback
// that reschedules itself, and runs them.
func benchCallSoon(b *testing.B, l *loop.Loop) {
	ran := 0
	inc := func() { ran++ }
	left := b.N
	var drive func()
	drive = func() {
		if left == 0 {
			l.CallSoon(l.Stop) // after the last chunk has run
			return
		}
		n := min(chunk, left)
		left -= n
		for range n {
			l.CallSoon(inc)
		}
		l.CallSoon(drive)
	}
	b.ReportAllocs()
	b.ResetTimer()
	l.CallSoon(drive)
	runLoop(b, l)
	b.StopTimer()
	if ran != b.N {
		b.Fatalf("ran %d of %d", ran, b.N)
	}
}
