package task

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// defaultSignals are the signals Run turns into cancellation unless
// WithSignals says otherwise: Ctrl-C, and what container runtimes and
// service managers stop a process with.
var defaultSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

// WithSignals chooses the signals Run turns into cancellation of the root
// scope (default SIGINT and SIGTERM). With none, Run handles no signal and
// each keeps its usual disposition.
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
// run: every task unwinds through its deferred cleanup and Run returns an
// error matching ErrInterrupted. A second signal while that cleanup still
// runs restores the default disposition and raises the signal again, so a
// second Ctrl-C ends a program whose cleanup hangs, as a user expects. It
// returns the function that stops catching.
func (r *runner) catchSignals() (stop func()) {
	sigs := defaultSignals
	if r.cfg.signalsSet {
		sigs = r.cfg.signals
	}
	if len(sigs) == 0 {
		return func() {}
	}
	ch := make(chan os.Signal, 2*len(sigs))
	signal.Notify(ch, sigs...)
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case sig := <-ch:
				// Decided on arrival: a receiver open now takes it, even
				// if it has closed by the time the loop would act.
				if r.receivers.open(sig) {
					continue
				}
				r.loop.CallSoonThreadsafe(func() { r.interrupt(sig) })
			case <-quit:
				return
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(quit)
		<-done
	}
}

// interrupt runs on the loop when a caught signal arrives.
func (r *runner) interrupt(sig os.Signal) {
	if r.interrupted {
		signal.Reset(sig)
		raiseDefault(sig)
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
