package bench

import (
	"testing"
	"time"

	"github.com/f04742a6/reactor/loop"
)

// BenchmarkTimerScheduleCancel schedules and cancels one timer per
// operation while 100k other timers are pending: a timeout set and
// cancelled per request in a busy server.
//
//   - reactor: CallLater + Handle.Cancel in the same loop turn (the common
//     case for timeouts: the operation finished at once); the timer never
//     leaves the staging list.
//   - reactor-across-turns: the timer is cancelled one loop turn after it
//     was scheduled, so it is inserted into and deleted from the B-tree;
//     the cost of a loop turn (a CallSoon) is included.
//   - reactor-1k-live: each operation sets a timer and cancels the one set
//     1024 operations before, so 1024 of them are live at once: more than
//     the staging list holds, so this is the B-tree's insert and delete.
//   - go: time.AfterFunc + Stop.
func BenchmarkTimerScheduleCancel(b *testing.B) {
	const pending = 100_000
	b.Run("reactor", func(b *testing.B) {
		l := newLoop(b)
		for i := range pending {
			l.CallLater(time.Hour+time.Duration(i)*time.Microsecond, noop)
		}
		l.CallSoon(func() {
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				l.CallLater(time.Minute, noop).Cancel()
			}
			b.StopTimer()
			l.Stop()
		})
		runLoop(b, l)
	})
	b.Run("reactor-across-turns", func(b *testing.B) {
		l := newLoop(b)
		for i := range pending {
			l.CallLater(time.Hour+time.Duration(i)*time.Microsecond, noop)
		}
		n := 0
		var prev loop.Handle
		var turn func()
		turn = func() {
			prev.Cancel() // the zero Handle cancels nothing
			if n++; n > b.N {
				b.StopTimer()
				l.Stop()
				return
			}
			prev = l.CallLater(time.Minute, noop)
			l.CallSoon(turn)
		}
		l.CallSoon(func() {
			b.ReportAllocs()
			b.ResetTimer()
			turn()
		})
		runLoop(b, l)
	})
	b.Run("reactor-1k-live", func(b *testing.B) {
		l := newLoop(b)
		for i := range pending {
			l.CallLater(time.Hour+time.Duration(i)*time.Microsecond, noop)
		}
		var live [1024]loop.Handle
		l.CallSoon(func() {
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				slot := &live[i%len(live)]
				slot.Cancel()
				*slot = l.CallLater(time.Minute+time.Duration(i), noop)
			}
			b.StopTimer()
			l.Stop()
		})
		runLoop(b, l)
	})
	b.Run("go", func(b *testing.B) {
		timers := make([]*time.Timer, pending)
		for i := range timers {
			timers[i] = time.AfterFunc(time.Hour+time.Duration(i)*time.Microsecond, noop)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			time.AfterFunc(time.Minute, noop).Stop()
		}
		b.StopTimer()
		for _, t := range timers {
			t.Stop()
		}
	})
}
