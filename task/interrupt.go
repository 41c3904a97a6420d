package task

import (
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/f04742a6/reactor/internal/goroutines"
)

// defaultSignals are the signals Run turns into cancellation unless
// WithSignals says otherwise: Ctrl-C, and what container runtimes and
// service managers stop a process with.
var defaultSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

// WithSignals chooses the signals Run turns into cancellation of the root
// scope (default SIGINT and SIGTERM). With none, Run handles no signal and
// each keeps its usual disposition.
//
// The first such signal cancels every task; once they have unwound, Run
// returns an error matching ErrInterrupted. The loop acts on it between
// task steps, so a task that blocks the loop (time.Sleep, a Go channel, a
// sync.Mutex: see "Blocking the loop" in the package documentation)
// delays it until it yields. If the loop has not taken the signal within
// the watchdog's threshold (WithSlowTask; 100 ms if the watchdog is off),
// Run logs so through its logger (WithLogger), naming the task that
// blocks the loop and the line it is stuck on.
//
// A second such signal, any time before Run returns, ends the process
// without waiting for the loop, even a blocked one: Run restores the
// signal's default disposition and raises it again, so the process dies
// by that signal as a shell expects (a signal whose default in a Go
// program is to carry on, such as SIGUSR1, ends it with exit status
// 128+n instead; on Windows the exit status is STATUS_CONTROL_C_EXIT).
// Pressing Ctrl-C twice ends a program whose cleanup hangs or whose loop
// is blocked.
//
// A signal that was ignored when Run started (signal.Ignored: a shell
// starts "cmd &" with SIGINT ignored, nohup ignores SIGHUP) is left
// ignored: Run does not catch it, so it neither interrupts the run nor,
// as a second signal, gets "ignore" put back instead of ending the
// process. While an OpenSignalReceiver for a signal is open, the receiver
// gets it instead.
func WithSignals(sigs ...os.Signal) Option {
	return func(cfg *config) { cfg.signals, cfg.signalsSet = sigs, true }
}

// interruptError is Run's error when a signal interrupted it.
type interruptError struct{ sig os.Signal }

func (e *interruptError) Error() string {
	return "task: " + ErrInterrupted.Error() + " by " + signalName(e.sig)
}

func (e *interruptError) Is(target error) bool { return target == ErrInterrupted }

// signalName is the name a user knows a signal by ("SIGINT", not
// "interrupt").
func signalName(sig os.Signal) string {
	if name, ok := signalNames[sig]; ok {
		return name
	}
	if s, ok := sig.(syscall.Signal); ok {
		return "signal " + s.String()
	}
	return sig.String()
}

// catchSignals turns the run's signals into cancellation of the whole
// run (see WithSignals), leaving alone those ignored when Run started. It
// returns the function that stops catching; it must be called on the
// loop's goroutine before the loop runs.
//
// The signals are handled on a goroutine of their own, which needs the
// loop for the first signal only: it hands the cancellation to the loop
// and, if the loop does not take it within the threshold, reports what
// blocks the loop. A second signal it handles alone, by ending the
// process.
func (r *runner) catchSignals() (stop func()) {
	sigs := defaultSignals
	if r.cfg.signalsSet {
		sigs = r.cfg.signals
	}
	sigs = slices.DeleteFunc(slices.Clone(sigs), signal.Ignored)
	if len(sigs) == 0 {
		return r.forgetStall
	}
	ch := make(chan os.Signal, 2*len(sigs))
	signal.Notify(ch, sigs...)
	quit := make(chan struct{})
	done := make(chan struct{})
	loopID := goroutines.ID()
	wait := r.cfg.slowTask
	if wait <= 0 {
		wait = defaultSlowTask
	}
	go func() {
		defer close(done)
		var first os.Signal
		var taken chan struct{} // closed when the loop takes the first signal
		var late *time.Timer    // fires if it has not by then
		var lateC <-chan time.Time
		defer func() {
			if late != nil {
				late.Stop()
			}
		}()
		for {
			select {
			case sig := <-ch:
				// Decided on arrival: a receiver open now takes it, even
				// if it has closed by the time the loop would act.
				if r.receivers.open(sig) {
					continue
				}
				if first != nil {
					// The second: the user insists. End the process from
					// here: the loop may be blocked, or its cleanup hung.
					raiseDefault(sig)
					continue
				}
				first = sig
				tk := make(chan struct{})
				taken = tk
				r.loop.CallSoonThreadsafe(func() {
					close(tk)
					r.interrupt(sig)
				})
				late = time.NewTimer(wait)
				lateC = late.C
			case <-taken:
				taken, lateC = nil, nil
				late.Stop()
			case <-lateC:
				lateC = nil
				r.reportUntaken(first, wait, loopID)
			case <-quit:
				return
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(quit)
		<-done
		r.forgetStall() // Run's end, for the watchdog too
	}
}

// defaultSlowTask is Run's watchdog threshold unless WithSlowTask says
// otherwise, and how long a signal may wait for a loop whose watchdog is
// off before it is reported.
const defaultSlowTask = 100 * time.Millisecond

// reportUntaken reports a first signal that the loop has not taken after
// wait: something blocks the loop. It runs on the signal goroutine.
func (r *runner) reportUntaken(sig os.Signal, wait time.Duration, loopID uint64) {
	name := signalName(sig)
	attrs := []any{slog.String("signal", name), slog.Duration("waiting", wait)}
	b, ok := r.blockage(loopID)
	switch {
	case !ok:
	case b.name == "":
		attrs = append(append(attrs, slog.String("blocked_by", "a loop callback")), b.where.Attrs()...)
	default:
		attrs = append(append(attrs, slog.String("task", b.name)), b.where.Attrs()...)
	}
	r.cfg.logger.Warn("task: "+name+" waits for a blocked loop: the run is cancelled once the loop is free; another "+name+" ends the process now", attrs...)
}

// interrupt runs on the loop when the first caught signal arrives.
func (r *runner) interrupt(sig os.Signal) {
	if r.interrupted {
		return
	}
	r.interrupted = true
	if r.failure == nil {
		r.failure = &interruptError{sig: sig}
	}
	r.top.cancel(reasonInterrupt, signalName(sig))
}

// receiverCounts counts the open SignalReceivers of a run per signal. The
// loop changes it; the signal goroutine reads it as a signal arrives.
type receiverCounts struct {
	mu sync.Mutex
	n  map[os.Signal]int
}

func (c *receiverCounts) add(sigs []os.Signal, delta int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[os.Signal]int{}
	}
	for _, sig := range sigs {
		c.n[sig] += delta
	}
}

func (c *receiverCounts) open(sig os.Signal) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[sig] > 0
}
