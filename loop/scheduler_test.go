package loop

import (
	"slices"
	"testing"
	"time"
)

// itemScheduler is a Scheduler whose items are functions: each batch is
// the items queued when it starts.
type itemScheduler struct {
	items []func()
	left  int // items left in the current batch
}

func (s *itemScheduler) Runnable() int { s.left = len(s.items); return s.left }

func (s *itemScheduler) RunNext() int {
	fn := s.items[0]
	s.items = s.items[1:]
	s.left--
	fn()
	return s.left
}

func (s *itemScheduler) Idle()                {}
func (s *itemScheduler) WokeGoroutines() bool { return false }

// withItems installs a scheduler running items on a new loop.
func withItems(t *testing.T, items []func(), opts ...Option) *Loop {
	t.Helper()
	l := newLoop(t, opts...)
	l.SetScheduler(&itemScheduler{items: items})
	return l
}

// ElideTurn says yes only when the turn it would skip had nothing else to
// do: every kind of waiting work makes it say no, so the loop's phases
// still run (callbacks, timers, cross-thread calls, I/O every pollEvery
// items, instruments, Stop).
func TestElideTurnOnlySkipsEmptyTurns(t *testing.T) {
	noop := func() {}
	for _, tc := range []struct {
		name  string
		setup func(l *Loop, clock *MockClock)
		want  bool
	}{
		{"nothing else to do", func(*Loop, *MockClock) {}, true},
		{"a timer pending, not due", func(l *Loop, _ *MockClock) { l.CallLater(time.Hour, noop) }, true},
		{"a callback ready", func(l *Loop, _ *MockClock) { l.CallSoon(noop) }, false},
		{"a cross-thread callback waiting", func(l *Loop, _ *MockClock) { _ = l.CallSoonThreadsafe(noop) }, false},
		{"a timer due", func(l *Loop, clock *MockClock) { l.CallAt(clock.Now(), noop) }, false},
		{"a timer come due by the clock", func(l *Loop, clock *MockClock) {
			l.CallLater(time.Second, noop)
			clock.Jump(time.Second)
		}, false},
		{"the loop stopping", func(l *Loop, _ *MockClock) { l.Stop() }, false},
		{"instruments installed", func(l *Loop, _ *MockClock) { l.AddInstruments(&Instruments{}) }, false},
		{"an I/O poll due", func(l *Loop, _ *MockClock) {
			if !l.ElideTurn(defaultPollEvery) {
				t.Error("the first elided turn was refused")
			}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := NewMockClock(epoch)
			var l *Loop
			var got bool
			l = withItems(t, []func(){func() {
				tc.setup(l, clock)
				got = l.ElideTurn(1)
				l.Stop()
			}}, WithClock(clock))
			run(t, l)
			if got != tc.want {
				t.Errorf("ElideTurn = %v, want %v", got, tc.want)
			}
		})
	}
}

// An elided turn counts as a turn, and its items as run, in Stats (added
// at the loop's next own turn, or when Run returns).
func TestElideTurnCountsInStats(t *testing.T) {
	var l *Loop
	l = withItems(t, []func(){func() {
		if !l.ElideTurn(2) {
			t.Error("ElideTurn refused")
		}
		l.Stop()
	}})
	run(t, l)
	if st := l.Stats(); st.Iterations != 2 || st.Callbacks != 3 {
		t.Errorf("Stats: %d iterations, %d callbacks; want 2 (one elided) and 3 (two in place)", st.Iterations, st.Callbacks)
	}
}

// NextItem times each item run in place on its own: three items of 60,
// 60 and 150 ms in one RunNext give one slow report, of 150 ms, not one
// of 270 ms.
func TestNextItemTimesItemsInPlaceApart(t *testing.T) {
	clock := NewMockClock(epoch)
	var reports []time.Duration
	var l *Loop
	l = withItems(t, []func(){func() {
		clock.Jump(60 * time.Millisecond)
		if !l.ElideTurn(2) {
			t.Error("ElideTurn refused")
		}
		l.NextItem()
		clock.Jump(60 * time.Millisecond)
		l.NextItem()
		clock.Jump(150 * time.Millisecond)
		l.Stop()
	}}, WithClock(clock), WithSlowCallback(100*time.Millisecond),
		WithSlowReport(func(_ Callback, d time.Duration) { reports = append(reports, d) }))
	run(t, l)
	if !slices.Equal(reports, []time.Duration{150 * time.Millisecond}) {
		t.Errorf("slow reports %v, want [150ms]", reports)
	}
}

// The loop runs scheduler items until RunNext says none is left, even
// past the count Runnable gave (a scheduler that ran a batch in place
// and came back in the middle of it); callbacks queued meanwhile wait
// for the next turn.
func TestRunNextLeftExtendsTheBatch(t *testing.T) {
	var log []string
	var l *Loop
	s := &extendingScheduler{}
	s.items = []func(){
		func() { log = append(log, "first"); l.CallSoon(func() { log = append(log, "callback"); l.Stop() }) },
		func() { log = append(log, "second") },
	}
	l = newLoop(t)
	l.SetScheduler(s)
	run(t, l)
	if want := []string{"first", "second", "callback"}; !slices.Equal(log, want) {
		t.Errorf("order %v, want %v", log, want)
	}
}

// extendingScheduler counts one item per batch, then reports the rest of
// its items as left in it.
type extendingScheduler struct{ itemScheduler }

func (s *extendingScheduler) Runnable() int { s.left = min(len(s.items), 1); return s.left }

func (s *extendingScheduler) RunNext() int {
	s.itemScheduler.RunNext()
	return len(s.items)
}
