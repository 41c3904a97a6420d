package loop

import (
	"log/slog"
	"sync/atomic"
	"time"
)

// Callback describes a callback to instruments and the watchdog.
type Callback struct {
	Kind Kind
	FD   uintptr // for KindReader and KindWriter
	fn   func()
}

// Name returns the callback's function name ("scheduled" for a
// Scheduler's item, which the scheduler names itself).
func (c Callback) Name() string {
	if c.Kind == KindScheduled {
		return "scheduled"
	}
	return funcName(c.fn)
}

// Instruments are hooks the loop calls as it works; nil fields are
// skipped. They run on the loop's goroutine and must not block. They
// observe: BeforePoll runs when the loop is committed to the poll, and a
// loop method called from it panics.
type Instruments struct {
	BeforePoll    func(timeout time.Duration) // timeout < 0: blocking without limit
	AfterPoll     func(events int)
	CallbackStart func(cb Callback)
	CallbackEnd   func(cb Callback)
}

// AddInstruments registers hooks; RemoveInstruments unregisters them.
func (l *Loop) AddInstruments(in *Instruments) {
	l.checkOwner("AddInstruments")
	l.instruments = append(l.instruments, in)
}

// RemoveInstruments unregisters hooks added with AddInstruments.
func (l *Loop) RemoveInstruments(in *Instruments) {
	l.checkOwner("RemoveInstruments")
	for i, x := range l.instruments {
		if x == in {
			l.instruments = append(l.instruments[:i:i], l.instruments[i+1:]...)
			return
		}
	}
}

func (l *Loop) instrumentStart(cb Callback) {
	for _, in := range l.instruments {
		if in.CallbackStart != nil {
			in.CallbackStart(cb)
		}
	}
}

func (l *Loop) instrumentEnd(cb Callback) {
	for _, in := range l.instruments {
		if in.CallbackEnd != nil {
			in.CallbackEnd(cb)
		}
	}
}

// reportSlow is the watchdog: a callback that held the loop longer than
// the threshold delayed every other callback and all I/O by that much.
func (l *Loop) reportSlow(cb Callback, d time.Duration) {
	l.stats.slow.Add(1)
	if l.slowReport != nil {
		l.slowReport(cb, d)
		return
	}
	l.logger.Warn("loop: slow callback blocked the event loop",
		slog.String("callback", cb.Name()),
		slog.String("kind", cb.Kind.String()),
		slog.Duration("duration", d),
		slog.Duration("threshold", l.slow))
}

// Stats are the loop's counters since New.
type Stats struct {
	// Iterations counts loop turns and Callbacks the callbacks and
	// scheduler items run. Turns a scheduler ran in place (ElideTurn) are
	// added at the loop's next turn of its own, at most pollEvery items
	// later, which keeps that path free of atomic writes.
	Iterations    uint64
	Callbacks     uint64
	Polls         uint64 // poller waits, blocking or not
	Timers        uint64 // timers fired
	SlowCallbacks uint64 // watchdog reports of slow callbacks, made when they returned
	Stalls        uint64 // watchdog reports of callbacks still running (real clock only)
}

type counters struct {
	iterations, callbacks, polls, timers, slow, stalls atomic.Uint64
	// elidedTurns and elidedItems are ElideTurn's counts not yet added to
	// iterations and callbacks; only the loop's goroutine touches them.
	elidedTurns, elidedItems uint64
}

// flushElided adds the turns run in place to the shared counters.
func (c *counters) flushElided() {
	if c.elidedTurns > 0 {
		c.iterations.Add(c.elidedTurns)
		c.callbacks.Add(c.elidedItems)
		c.elidedTurns, c.elidedItems = 0, 0
	}
}

// Stats returns the counters. It is safe to call from any goroutine.
func (l *Loop) Stats() Stats {
	return Stats{
		Iterations:    l.stats.iterations.Load(),
		Callbacks:     l.stats.callbacks.Load(),
		Polls:         l.stats.polls.Load(),
		Timers:        l.stats.timers.Load(),
		SlowCallbacks: l.stats.slow.Load(),
		Stalls:        l.stats.stalls.Load(),
	}
}
