package loop

import (
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/f04742a6/reactor/internal/goroutines"
)

// The slow-callback watchdog has two ways to time callbacks.
//
// With the real clock, reading the clock around every callback would cost
// more than the callback hand-off itself (a vDSO call, ~45 ns on a VM), so
// a sampler goroutine watches instead: the loop publishes a sequence
// number as each callback starts (one atomic store), and the sampler,
// ticking every quarter threshold, notices a callback whose number has not
// changed for a whole threshold. It reports it at once, from its own
// goroutine, while the callback is still running (a callback stuck for
// good in a Go channel receive or a sync.Mutex would otherwise never be
// reported): the time so far and the stack of the stuck goroutine. It
// reports again at doubling intervals (2, 4, 8 thresholds...) while the
// callback lasts, and the loop reports the total when it returns. Times
// are lower bounds: the sampler sees a callback start up to a tick late.
//
// While the loop blocks in its poller the sampler parks too: an idle loop
// costs no wake-ups. The loop wakes it when the poll returns (one atomic
// load per blocking poll).
//
// With any other clock (a MockClock in tests), time moves only when told,
// so the loop reads the clock after every callback and reports a slow one
// when it returns: exact and deterministic, in the clock's time.
type sampler struct {
	progress atomic.Uint64 // the running callback's sequence number; 0: none
	// flaggedSeq is the sequence number of the callback the sampler
	// reported, flagged when the sampler first saw it running (unix ns).
	// The sampler stores flagged first, the loop loads flaggedSeq first:
	// a flag set as its callback was ending is never taken for the next
	// one's.
	flagged    atomic.Int64
	flaggedSeq atomic.Uint64
	// parked is set by the sampler before it parks while the loop polls;
	// the loop clears it and sends on wake when its poll returns (each
	// stores its own flag first and loads the other's second, so one of
	// them sees the other).
	parked atomic.Bool
	wake   chan struct{} // capacity 1
	ticks  atomic.Uint64 // how often the sampler woke, for tests
	stop   chan struct{}
	done   chan struct{}
}

// Stall is what the watchdog says of a callback that has been running
// past the threshold and still runs.
type Stall struct {
	Running time.Duration // how long so far (a lower bound)
	// LoopGoroutine is the id of the goroutine running the loop, for a
	// report that wants the stuck goroutine's stack (see
	// internal/goroutines); a layer running its own coroutines looks for
	// them.
	LoopGoroutine uint64
}

// WithStallReport replaces the watchdog's report of a callback that is
// still running past the threshold. fn runs on the watchdog's goroutine,
// not the loop's (which is stuck): it must only read what is safe from
// any goroutine.
func WithStallReport(fn func(Stall)) Option { return func(l *Loop) { l.stallReport = fn } }

// startSampler starts the sampler goroutine for one Run.
func (l *Loop) startSampler() {
	s := &sampler{wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	l.sampler = s
	loopID := goroutines.ID()
	period := max(l.slow/4, time.Millisecond)
	go func() {
		defer close(s.done)
		t := time.NewTicker(period)
		defer t.Stop()
		var last uint64
		var since time.Time
		var next time.Duration // when the running callback is reported next
		for {
			select {
			case <-s.stop:
				return
			case now := <-t.C:
				s.ticks.Add(1)
				p := s.progress.Load()
				if p == 0 || p != last {
					last, since, next = p, now, l.slow
					if p == 0 && !s.park(l) {
						return
					}
					continue
				}
				if running := now.Sub(since); running >= next {
					s.flagged.Store(since.UnixNano())
					s.flaggedSeq.Store(p)
					l.reportStall(Stall{Running: running, LoopGoroutine: loopID})
					next = 2 * running // doubling, from what was reported
				}
			}
		}
	}()
}

// park waits, while the loop blocks in its poller, until the poll
// returns; it reports false if the sampler is to stop.
func (s *sampler) park(l *Loop) bool {
	s.parked.Store(true)
	if !l.polling.Load() {
		s.parked.Store(false) // not blocked after all
		return true
	}
	select {
	case <-s.wake:
		return true
	case <-s.stop:
		return false
	}
}

// pollReturned wakes a parked sampler; the loop calls it after a blocking
// poll.
func (s *sampler) pollReturned() {
	if s.parked.Load() {
		s.parked.Store(false)
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

func (l *Loop) stopSampler() {
	if s := l.sampler; s != nil {
		close(s.stop)
		<-s.done
		l.sampler = nil
	}
}

// callbackStarting publishes the callback about to run to the sampler.
func (s *sampler) callbackStarting(seq uint64) { s.progress.Store(seq) }

// slowSince returns when the sampler first saw the callback that just
// returned (number seq) still running, if it reported it.
func (s *sampler) slowSince(seq uint64) (time.Time, bool) {
	if s.flaggedSeq.Load() != seq {
		return time.Time{}, false
	}
	return time.Unix(0, s.flagged.Load()), true
}

// reportStall is the live report, on the sampler's goroutine.
func (l *Loop) reportStall(st Stall) {
	l.stats.stalls.Add(1)
	if l.stallReport != nil {
		l.stallReport(st)
		return
	}
	attrs := []any{slog.Duration("running", st.Running), slog.Duration("threshold", l.slow)}
	for _, tr := range goroutines.All(1 << 20) {
		if tr.ID == st.LoopGoroutine {
			attrs = append(attrs, tr.Stuck().Attrs()...)
		}
	}
	l.logger.Warn("loop: a callback is blocking the event loop", attrs...)
}

// batchTimer times the callbacks of one batch for the watchdog (see
// watchdog.go): the sampler watches real-clock loops; other clocks are
// read after every callback.
type batchTimer struct {
	smp   *sampler
	exact bool
	start time.Time
}

func (l *Loop) startBatchTimer() batchTimer {
	w := batchTimer{smp: l.sampler}
	if w.exact = l.slow > 0 && w.smp == nil; w.exact {
		w.start = l.clock.Now()
	}
	return w
}

func (w *batchTimer) starting(l *Loop) {
	if w.smp != nil {
		l.seq++
		w.smp.callbackStarting(l.seq)
	}
}

func (w *batchTimer) ended(l *Loop, cb Callback) {
	switch {
	case w.smp != nil:
		if since, slow := w.smp.slowSince(l.seq); slow {
			l.reportSlow(cb, time.Since(since))
		}
	case w.exact:
		end := l.clock.Now()
		if d := end.Sub(w.start); d > l.slow {
			l.reportSlow(cb, d)
		}
		w.start = end
	}
}
