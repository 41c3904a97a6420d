package reactor

import (
	"runtime"
	"sync/atomic"
)

// wakeState coalesces Wake calls: only the call that finds no wake pending
// performs the system call; the others return at once. It also makes Close
// safe against a concurrent Wake, which must never write to a closed (and
// possibly reused) handle.
//
// The state turns pending before the signal is written, never after:
// otherwise Wait could consume the signal and reset the state in between,
// and the late "pending" would swallow every later Wake.
type wakeState struct {
	state    atomic.Uint32
	inflight atomic.Int32  // Wake calls that may be about to signal
	signals  atomic.Uint64 // system calls made, for tests
}

const (
	wakeIdle    uint32 = iota // no wake pending: the next Wake signals
	wakePending               // signalled (or about to be), not yet seen by Wait
	wakeClosed                // the poller is closed
)

// wake runs signal if no wake is pending. It returns ErrClosed after close.
func (w *wakeState) wake(signal func() error) error {
	switch w.state.Load() {
	case wakePending:
		return nil
	case wakeClosed:
		return ErrClosed
	}
	w.inflight.Add(1)
	defer w.inflight.Add(-1)
	if !w.state.CompareAndSwap(wakeIdle, wakePending) {
		if w.state.Load() == wakeClosed {
			return ErrClosed
		}
		return nil // another Wake won
	}
	w.signals.Add(1)
	return signal()
}

// reset is called by Wait when it consumed the wake signal, before it
// returns, so that a Wake made after the caller looks at its inbox signals
// again.
func (w *wakeState) reset() { w.state.CompareAndSwap(wakePending, wakeIdle) }

// close refuses later Wakes, then waits out any Wake still signalling.
func (w *wakeState) close() {
	w.state.Store(wakeClosed)
	for w.inflight.Load() > 0 {
		runtime.Gosched()
	}
}
