package loop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/f04742a6/reactor"
	"github.com/f04742a6/reactor/internal/sock"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newLoop(t *testing.T, opts ...Option) *Loop {
	t.Helper()
	// Tests jump mock clocks inside callbacks: keep the watchdog quiet
	// unless a test passes its own logger.
	opts = append([]Option{WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	l, err := New(opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func run(t *testing.T, l *Loop) {
	t.Helper()
	if err := l.Run(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func pair(t *testing.T) (a, b uintptr) {
	t.Helper()
	a, b, err := sock.Pair()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sock.Close(a); sock.Close(b) })
	return a, b
}

// mustPanic runs fn and returns the panic message, failing if there is none.
func mustPanic(t *testing.T, fn func()) (msg string) {
	t.Helper()
	defer func() {
		r := recover()
		if r == nil {
			t.Fatal("no panic")
		}
		msg = fmt.Sprint(r)
	}()
	fn()
	return ""
}

func TestCallbacksScheduledDuringBatchRunNextIteration(t *testing.T) {
	l := newLoop(t)
	var log []string
	iter := func() uint64 { return l.Stats().Iterations }
	var first uint64
	l.CallSoon(func() {
		first = iter()
		log = append(log, "a")
		l.CallSoon(func() {
			if iter() == first {
				t.Error("a callback scheduled during a batch ran in the same batch")
			}
			log = append(log, "c")
			l.Stop()
		})
	})
	l.CallSoon(func() { log = append(log, "b") })
	run(t, l)
	if !slices.Equal(log, []string{"a", "b", "c"}) {
		t.Fatalf("order %v, want [a b c]", log)
	}
}

// TestPhaseOrder pins the documented phases: poll, timers, inbox, run.
func TestPhaseOrder(t *testing.T) {
	for _, tc := range []struct {
		name      string
		soonFirst bool
		inbox     bool
		want      []string
	}{
		// Nothing ready: the next iteration polls (reader), then collects
		// timers.
		{"idle", false, false, []string{"reader", "timer"}},
		// A cross-thread callback waiting is work like a ready one: no
		// poll this turn (no system call), timers, then the inbox.
		{"inbox waiting", false, true, []string{"timer", "inbox", "reader"}},
		// A ready callback means no poll this turn: I/O waits until the
		// ready queue has drained.
		{"busy", true, true, []string{"soon", "timer", "inbox", "reader"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLoop(t)
			a, b := pair(t)
			var log []string
			note := func(s string) func() {
				return func() {
					log = append(log, s)
					if len(log) == len(tc.want) {
						l.Stop()
					}
				}
			}
			// The data is in a's buffer before the reader is added, so the
			// registration reports it at the next poll on every backend
			// (AFD's completion is queued when the request is issued).
			if _, err := sock.Write(b, []byte("x")); err != nil {
				t.Fatal(err)
			}
			for {
				if r, _ := l.poller.Probe(a); r&reactor.Readable != 0 {
					break
				}
				runtime.Gosched()
			}
			buf := make([]byte, 64)
			l.CallSoon(func() {
				if tc.soonFirst {
					l.CallSoon(note("soon"))
				}
				if err := l.AddReader(a, func() {
					sock.Read(a, buf)
					note("reader")()
				}); err != nil {
					t.Error(err)
				}
				l.CallLater(0, note("timer"))
				if !tc.inbox {
					return
				}
				if err := l.CallSoonThreadsafe(note("inbox")); err != nil {
					t.Error(err)
				}
			})
			run(t, l)
			if !slices.Equal(log, tc.want) {
				t.Fatalf("order %v, want %v", log, tc.want)
			}
		})
	}
}

func TestTimersFireInDeadlineThenInsertionOrder(t *testing.T) {
	clock := NewMockClock(epoch)
	l := newLoop(t, WithClock(clock))
	var log []string
	add := func(d time.Duration, s string) { l.CallLater(d, func() { log = append(log, s) }) }
	add(3*time.Second, "3s-a")
	add(time.Second, "1s-a")
	add(3*time.Second, "3s-b")
	add(2*time.Second, "2s")
	add(time.Second, "1s-b")
	l.CallAt(epoch.Add(time.Second), func() { log = append(log, "1s-c") })
	l.CallLater(10*time.Second, l.Stop)
	l.CallSoon(func() { clock.Jump(time.Hour) })
	run(t, l)
	want := []string{"1s-a", "1s-b", "1s-c", "2s", "3s-a", "3s-b"}
	if !slices.Equal(log, want) {
		t.Fatalf("fired %v, want %v", log, want)
	}
}

func TestTimerDoesNotFireBeforeDeadline(t *testing.T) {
	clock := NewMockClock(epoch)
	l := newLoop(t, WithClock(clock))
	fired := false
	l.CallLater(time.Second, func() { fired = true })
	l.CallSoon(func() { clock.Jump(999 * time.Millisecond) })
	l.CallLater(999*time.Millisecond, func() { l.Stop() })
	run(t, l)
	if fired {
		t.Fatal("timer fired before its deadline")
	}
}

func TestCancel(t *testing.T) {
	clock := NewMockClock(epoch)
	l := newLoop(t, WithClock(clock))
	ran := map[string]bool{}
	mark := func(s string) func() { return func() { ran[s] = true } }
	timer := l.CallLater(time.Second, mark("timer"))
	soon := l.CallSoon(mark("soon"))
	kept := l.CallSoon(mark("kept"))
	if !timer.Pending() || !soon.Cancel() || !timer.Cancel() {
		t.Fatal("Cancel of pending callbacks reported false")
	}
	if timer.Cancel() || soon.Cancel() || timer.Pending() {
		t.Fatal("second Cancel reported true")
	}
	if l.timers.Len() != 0 {
		t.Fatalf("cancelled timer still queued: %d timers", l.timers.Len())
	}
	l.CallSoon(func() { clock.Jump(time.Hour); l.CallSoon(l.Stop) })
	run(t, l)
	if ran["timer"] || ran["soon"] || !ran["kept"] {
		t.Fatalf("ran %v; want only kept", ran)
	}
	if kept.Cancel() {
		t.Fatal("Cancel after the callback ran reported true")
	}
	// A stale handle must not cancel the record's next use.
	next := l.CallSoon(mark("reused"))
	kept.Cancel()
	soon.Cancel()
	l.CallSoon(l.Stop)
	run(t, l)
	if !ran["reused"] || next.Pending() {
		t.Fatal("a stale handle cancelled a recycled callback")
	}
}

// TestInboxFairness floods the inbox from outside and checks that the
// loop's own self-rescheduling callback still runs every turn.
func TestInboxFairness(t *testing.T) {
	const budget, remote = 50, 1000
	l := newLoop(t, WithInboxBudget(budget))
	var log []byte
	for range remote {
		if err := l.CallSoonThreadsafe(func() { log = append(log, 'r') }); err != nil {
			t.Fatal(err)
		}
	}
	var local func()
	locals := 0
	local = func() {
		log = append(log, 'l')
		if locals++; locals < remote/budget+5 {
			l.CallSoon(local)
		} else {
			l.Stop()
		}
	}
	l.CallSoon(local)
	run(t, l)
	if got := strings.Count(string(log), "r"); got != remote {
		t.Fatalf("ran %d remote callbacks, want %d", got, remote)
	}
	for _, run := range strings.Split(string(log), "l") {
		if len(run) > budget {
			t.Fatalf("%d remote callbacks ran between two local turns; budget is %d", len(run), budget)
		}
	}
}

func TestCallSoonThreadsafeFromManyGoroutines(t *testing.T) {
	l := newLoop(t)
	const senders, each = 8, 500
	count := 0
	var wg sync.WaitGroup
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				l.CallSoonThreadsafe(func() {
					if count++; count == senders*each {
						l.Stop()
					}
				})
			}
		}()
	}
	run(t, l)
	wg.Wait()
	if count != senders*each {
		t.Fatalf("ran %d, want %d", count, senders*each)
	}
}

// blockedSignal returns a channel that receives once the loop blocks in
// its poller without a time limit.
func blockedSignal(l *Loop) <-chan struct{} {
	ch := make(chan struct{}, 1)
	l.AddInstruments(&Instruments{BeforePoll: func(timeout time.Duration) {
		if timeout < 0 {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}})
	return ch
}

func TestWakeBlockedLoopFromGoroutine(t *testing.T) {
	l := newLoop(t)
	blocked := blockedSignal(l)
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-blocked
		if err := l.CallSoonThreadsafe(l.Stop); err != nil {
			t.Error(err)
		}
	}()
	run(t, l)
	<-done
}

func TestMockJumpWakesBlockedLoop(t *testing.T) {
	clock := NewMockClock(epoch)
	l := newLoop(t, WithClock(clock))
	blocked := blockedSignal(l)
	l.CallLater(10*time.Second, l.Stop)
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-blocked
		clock.Jump(10 * time.Second)
	}()
	run(t, l)
	<-done
	if got := l.Now().Sub(epoch); got != 10*time.Second {
		t.Fatalf("clock moved %v, want 10s", got)
	}
}

func TestAutojump(t *testing.T) {
	clock := NewMockClock(epoch)
	clock.SetAutojump(0)
	l := newLoop(t, WithClock(clock))
	var at []time.Duration
	l.CallLater(time.Hour, func() { at = append(at, l.Now().Sub(epoch)) })
	l.CallLater(24*time.Hour, func() { at = append(at, l.Now().Sub(epoch)); l.Stop() })
	run(t, l)
	if !slices.Equal(at, []time.Duration{time.Hour, 24 * time.Hour}) {
		t.Fatalf("timers saw %v; autojump must land exactly on each deadline", at)
	}
}

func TestHoldSuppressesAutojumpAndIdle(t *testing.T) {
	clock := NewMockClock(epoch)
	clock.SetAutojump(0)
	l := newLoop(t, WithClock(clock))
	release := l.Hold()
	fired, idle := false, false
	l.CallLater(time.Hour, func() { fired = true; l.Stop() })
	l.CallWhenIdle(func() { idle = true })
	blocked := blockedSignal(l)
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-blocked // idle, with a timer pending and autojump on, yet blocked
		l.CallSoonThreadsafe(func() {
			if fired || idle {
				t.Error("loop jumped or ran idle callbacks while held")
			}
			release()
		})
	}()
	run(t, l)
	<-done
	if !fired || !idle {
		t.Fatalf("after release: fired=%v idle=%v, want both", fired, idle)
	}
}

func TestCallWhenIdleRunsBeforeAutojump(t *testing.T) {
	clock := NewMockClock(epoch)
	clock.SetAutojump(0)
	l := newLoop(t, WithClock(clock))
	var log []string
	l.CallLater(time.Minute, func() { log = append(log, "timer"); l.Stop() })
	l.CallWhenIdle(func() { log = append(log, fmt.Sprint("idle@", l.Now().Sub(epoch))) })
	run(t, l)
	if !slices.Equal(log, []string{"idle@0s", "timer"}) {
		t.Fatalf("got %v", log)
	}
}

type captureHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *captureHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *captureHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r)
	return nil
}
func (h *captureHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *captureHandler) WithGroup(string) slog.Handler      { return h }

func slowOne(clock *MockClock) { clock.Jump(150 * time.Millisecond) }

func TestWatchdogReportsSlowCallback(t *testing.T) {
	clock := NewMockClock(epoch)
	h := &captureHandler{}
	l := newLoop(t, WithClock(clock), WithLogger(slog.New(h)))
	l.CallSoon(func() { clock.Jump(50 * time.Millisecond) }) // fast enough
	l.CallSoon(func() { slowOne(clock) })
	l.CallSoon(l.Stop)
	run(t, l)
	if len(h.records) != 1 {
		t.Fatalf("watchdog reported %d times, want 1", len(h.records))
	}
	var name, dur string
	h.records[0].Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "callback":
			name = a.Value.String()
		case "duration":
			dur = a.Value.String()
		}
		return true
	})
	if !strings.Contains(name, "TestWatchdogReportsSlowCallback") || dur != "150ms" {
		t.Fatalf("report names %q for %s; want the slow closure and 150ms", name, dur)
	}
	if l.Stats().SlowCallbacks != 1 {
		t.Fatalf("SlowCallbacks = %d", l.Stats().SlowCallbacks)
	}
}

func TestWatchdogThresholdConfigurable(t *testing.T) {
	clock := NewMockClock(epoch)
	h := &captureHandler{}
	l := newLoop(t, WithClock(clock), WithLogger(slog.New(h)), WithSlowCallback(10*time.Millisecond))
	l.CallSoon(func() { clock.Jump(20 * time.Millisecond) })
	l.CallSoon(l.Stop)
	run(t, l)
	if len(h.records) != 1 {
		t.Fatalf("reported %d times with a 10ms threshold, want 1", len(h.records))
	}
}

func TestReaderAndWriterCallbacks(t *testing.T) {
	l := newLoop(t)
	a, b := pair(t)
	msg := []byte("hello")
	var got []byte
	writes := 0
	if err := l.AddWriter(b, func() {
		writes++
		sock.Write(b, msg)
		l.RemoveWriter(b)
	}); err != nil {
		t.Fatal(err)
	}
	if err := l.AddReader(a, func() {
		buf := make([]byte, 64)
		n, err := sock.Read(a, buf)
		if err != nil {
			t.Error(err)
		}
		got = append(got, buf[:n]...)
		if len(got) == len(msg) {
			if !l.RemoveReader(a) || l.RemoveReader(a) {
				t.Error("RemoveReader results wrong")
			}
			l.Stop()
		}
	}); err != nil {
		t.Fatal(err)
	}
	run(t, l)
	if string(got) != "hello" || writes != 1 {
		t.Fatalf("got %q after %d writes", got, writes)
	}
	if len(l.fds) != 0 {
		t.Fatal("removing both callbacks did not unregister the fd")
	}
}

func TestReaddedReaderSeesUndrainedData(t *testing.T) {
	l := newLoop(t)
	a, b := pair(t)
	sock.Write(b, []byte("0123456789"))
	var got []byte
	one := make([]byte, 1)
	var readOne func()
	readOne = func() {
		// Read a single byte and stop without draining, then re-add: the
		// loop must notice the data still there.
		n, _ := sock.Read(a, one)
		got = append(got, one[:n]...)
		l.RemoveReader(a)
		if len(got) == 3 {
			l.Stop()
			return
		}
		if err := l.AddReader(a, readOne); err != nil {
			t.Error(err)
		}
	}
	// Keep a writer registered so the fd stays registered across re-adds.
	l.AddWriter(a, func() {})
	if err := l.AddReader(a, readOne); err != nil {
		t.Fatal(err)
	}
	run(t, l)
	if string(got) != "012" {
		t.Fatalf("got %q, want 012", got)
	}
}

func TestHungUpFDDoesNotSpin(t *testing.T) {
	l := newLoop(t)
	a, b := pair(t)
	calls := 0
	// A careless reader that never reads and never removes itself.
	if err := l.AddReader(a, func() { calls++ }); err != nil {
		t.Fatal(err)
	}
	sock.Close(b)
	l.CallWhenIdle(func() {
		l.CallWhenIdle(l.Stop) // idle twice: nothing keeps coming back
	})
	run(t, l)
	if calls != 1 {
		t.Fatalf("reader of a hung-up fd called %d times, want 1", calls)
	}
}

func TestInvalidFDErrorNamesFDAndOperation(t *testing.T) {
	l := newLoop(t)
	a, _ := pair(t)
	sock.Close(a)
	err := l.AddReader(a, func() {})
	if err == nil {
		t.Fatal("AddReader of a closed fd succeeded")
	}
	if !strings.Contains(err.Error(), "AddReader") || !strings.Contains(err.Error(), fmt.Sprintf("fd %d", a)) {
		t.Fatalf("error %q does not name the operation and the fd", err)
	}
	if len(l.fds) != 0 {
		t.Fatal("failed AddReader left a watch behind")
	}
}

func TestMisusePanics(t *testing.T) {
	t.Run("AddReader twice", func(t *testing.T) {
		l := newLoop(t)
		a, _ := pair(t)
		if err := l.AddReader(a, func() {}); err != nil {
			t.Fatal(err)
		}
		msg := mustPanic(t, func() { l.AddReader(a, func() {}) })
		if !strings.Contains(msg, "RemoveReader") {
			t.Fatalf("panic %q does not say what to do", msg)
		}
	})
	t.Run("Run on closed loop", func(t *testing.T) {
		l := newLoop(t)
		l.Close()
		msg := mustPanic(t, func() { l.Run() })
		if !strings.Contains(msg, "loop.New") {
			t.Fatalf("panic %q does not say what to do", msg)
		}
	})
	t.Run("nested Run", func(t *testing.T) {
		l := newLoop(t)
		var msg string
		l.CallSoon(func() {
			msg = mustPanic(t, func() { l.Run() })
			l.Stop()
		})
		run(t, l)
		if !strings.Contains(msg, "already running") {
			t.Fatalf("panic %q", msg)
		}
	})
	t.Run("Close while running", func(t *testing.T) {
		l := newLoop(t)
		var msg string
		l.CallSoon(func() {
			msg = mustPanic(t, func() { l.Close() })
			l.Stop()
		})
		run(t, l)
		if !strings.Contains(msg, "Stop") {
			t.Fatalf("panic %q", msg)
		}
	})
	t.Run("foreign goroutine", func(t *testing.T) {
		l := newLoop(t)
		blocked := blockedSignal(l)
		msgs := make(chan string, 1)
		go func() {
			<-blocked
			defer func() {
				msgs <- fmt.Sprint(recover())
				l.CallSoonThreadsafe(l.Stop)
			}()
			l.CallSoon(func() {})
		}()
		run(t, l)
		if msg := <-msgs; !strings.Contains(msg, "CallSoonThreadsafe") {
			t.Fatalf("foreign CallSoon: panic %q, want one that points to CallSoonThreadsafe", msg)
		}
	})
}

func TestCallSoonThreadsafeAfterClose(t *testing.T) {
	l := newLoop(t)
	l.Close()
	if err := l.CallSoonThreadsafe(func() {}); !errors.Is(err, ErrClosed) {
		t.Fatalf("got %v, want ErrClosed", err)
	}
	if err := l.AddReader(0, func() {}); !errors.Is(err, ErrClosed) {
		t.Fatalf("AddReader after Close: %v", err)
	}
}

func TestStopBeforeRunDoesOneIteration(t *testing.T) {
	l := newLoop(t)
	ran := 0
	l.CallSoon(func() { ran++; l.CallSoon(func() { ran++ }) })
	l.Stop()
	run(t, l) // must not block
	if ran != 1 {
		t.Fatalf("ran %d callbacks, want the one batch", ran)
	}
}

func TestPanicInCallbackLeavesRunAndLoopSurvives(t *testing.T) {
	l := newLoop(t)
	ranAfter := false
	l.CallSoon(func() { panic("boom") })
	l.CallSoon(func() { ranAfter = true; l.Stop() })
	if msg := mustPanic(t, func() { l.Run() }); msg != "boom" {
		t.Fatalf("panic %q", msg)
	}
	if l.Running() {
		t.Fatal("loop still marked running after a panic")
	}
	run(t, l)
	if !ranAfter {
		t.Fatal("callback queued behind the panic was lost")
	}
}

func TestSeedShufflesReproducibly(t *testing.T) {
	order := func(opts ...Option) []int {
		l := newLoop(t, opts...)
		var got []int
		for i := range 20 {
			l.CallSoon(func() { got = append(got, i) })
		}
		l.CallSoon(func() { l.CallSoon(l.Stop) })
		run(t, l)
		return got
	}
	fifo := order()
	if !slices.IsSorted(fifo) {
		t.Fatalf("default order is not FIFO: %v", fifo)
	}
	a, b := order(WithSeed(7)), order(WithSeed(7))
	if !slices.Equal(a, b) {
		t.Fatalf("same seed, different orders: %v vs %v", a, b)
	}
	if slices.IsSorted(a) {
		t.Fatal("seeded order is FIFO")
	}
}

func TestInstrumentsAndStats(t *testing.T) {
	l := newLoop(t)
	var starts, ends, before, after int
	in := &Instruments{
		BeforePoll:    func(time.Duration) { before++ },
		AfterPoll:     func(int) { after++ },
		CallbackStart: func(cb Callback) { starts++ },
		CallbackEnd:   func(cb Callback) { ends++ },
	}
	l.AddInstruments(in)
	l.CallLater(0, func() { l.CallSoon(l.Stop) })
	run(t, l)
	if starts != 2 || ends != 2 || before == 0 || before != after {
		t.Fatalf("starts=%d ends=%d before=%d after=%d", starts, ends, before, after)
	}
	s := l.Stats()
	if s.Callbacks != 2 || s.Timers != 1 || s.Iterations == 0 || s.Polls == 0 {
		t.Fatalf("stats %+v", s)
	}
	l.RemoveInstruments(in)
	l.CallSoon(l.Stop)
	run(t, l)
	if starts != 2 {
		t.Fatal("removed instruments still called")
	}
}

// TestCrossGoroutinePingPongNeverLosesAWake bounces work between a
// goroutine and the loop thousands of times. CallSoonThreadsafe skips the
// poller's wake-up when the loop is not blocked; a mistake in that
// hand-shake loses a wake and hangs this test.
func TestCrossGoroutinePingPongNeverLosesAWake(t *testing.T) {
	l := newLoop(t)
	pong := make(chan struct{})
	done := make(chan error)
	go func() { done <- l.Run() }()
	for range 5000 {
		if err := l.CallSoonThreadsafe(func() { pong <- struct{}{} }); err != nil {
			t.Fatal(err)
		}
		<-pong
	}
	l.CallSoonThreadsafe(l.Stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// With the real clock the watchdog samples (see watchdog.go). A callback
// stuck in a Go channel receive is reported while it is stuck, with the
// blocking line, again at doubling intervals, and with its total when it
// returns (before: only when it returned, so a permanent hang said nothing).
func TestWatchdogReportsStuckCallbackWhileStuck(t *testing.T) {
	h := &captureHandler{}
	l := newLoop(t, WithLogger(slog.New(h)), WithSlowCallback(4*time.Millisecond))
	release := make(chan struct{})
	l.CallSoon(func() { stuckInChannelReceive(release) })
	l.CallSoon(l.Stop)
	done := make(chan error)
	go func() { done <- l.Run() }()
	// Wait for the second live report (at twice the threshold) while the
	// loop is still stuck, then let it go.
	for deadline := time.Now().Add(10 * time.Second); l.Stats().Stalls < 2; {
		if time.Now().After(deadline) {
			t.Fatal("no live report of the stuck callback within 10s")
		}
		runtime.Gosched()
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.records) < 3 {
		t.Fatalf("%d reports, want two live ones and the total", len(h.records))
	}
	attrs := func(r slog.Record) map[string]slog.Value {
		m := map[string]slog.Value{}
		r.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value; return true })
		return m
	}
	var live []map[string]slog.Value
	var last map[string]slog.Value
	for _, r := range h.records {
		if _, ok := attrs(r)["running"]; ok {
			live = append(live, attrs(r))
		} else {
			last = attrs(r)
		}
	}
	if len(live) < 2 || last == nil {
		t.Fatalf("%d live reports and a total: %v, want two and one", len(live), last != nil)
	}
	first, second := live[0], live[1]
	if !strings.Contains(first["stack"].String(), "stuckInChannelReceive") || first["running"].Duration() < 4*time.Millisecond {
		t.Errorf("live report: running %v, stack:\n%s", first["running"], first["stack"])
	}
	if second["running"].Duration() < 2*first["running"].Duration()-time.Millisecond {
		t.Errorf("second report after %v, first after %v: want doubling", second["running"], first["running"])
	}
	if !strings.Contains(last["callback"].String(), "TestWatchdogReportsStuckCallbackWhileStuck") || last["duration"].Duration() < second["running"].Duration() {
		t.Errorf("final report: %q after %v", last["callback"], last["duration"])
	}
}

//go:noinline
func stuckInChannelReceive(release chan struct{}) { <-release }

// An idle loop (blocked in its poller) does not wake for the watchdog:
// the sampler parks (before: it ticked every quarter threshold).
func TestWatchdogSamplerParksWhileIdle(t *testing.T) {
	l := newLoop(t, WithSlowCallback(4*time.Millisecond)) // a tick every millisecond while busy
	done := make(chan error)
	go func() { done <- l.Run() }()
	for !l.polling.Load() {
		runtime.Gosched()
	}
	var before uint64
	l.CallSoonThreadsafe(func() { before = l.sampler.ticks.Load() })
	time.Sleep(200 * time.Millisecond) // the span measured, not a synchronisation
	var after uint64
	l.CallSoonThreadsafe(func() { after = l.sampler.ticks.Load(); l.Stop() })
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if after-before > 5 {
		t.Fatalf("the sampler woke %d times in 200ms of an idle loop", after-before)
	}
}
