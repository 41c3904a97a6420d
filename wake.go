package reactor

import (
	"runtime"
	"sync/atomic"
)

// wakeState coalesces Wake calls: only the call that finds the poller idle
// performs the system call; the others see a wake already pending. It also
// makes Close safe against a concurrent Wake, which must never write to a
// closed (and possibly reused) handle.
type wakeState struct {
	v       atomic.Uint32
	signals atomic.Uint64 // system calls made, for tests
}

const (
	wakeIdle    uint32 = iota // no wake pending: the next Wake signals
	wakePending               // signalled, not yet seen by Wait
	wakeWriting               // a Wake is inside its system call
	wakeClosed                // the poller is closed
)

// wake runs signal if no wake is pending. It returns ErrClosed after close.
func (w *wakeState) wake(signal func() error) error {
	for {
		switch w.v.Load() {
		case wakePending, wakeWriting:
			return nil
		case wakeClosed:
			return ErrClosed
		}
		if w.v.CompareAndSwap(wakeIdle, wakeWriting) {
			err := signal()
			w.signals.Add(1)
			w.v.Store(wakePending) // only the writer leaves wakeWriting
			return err
		}
	}
}

// reset is called by Wait when it consumed the wake signal, before it
// returns, so that a Wake made after the caller looks at its inbox signals
// again.
func (w *wakeState) reset() { w.v.CompareAndSwap(wakePending, wakeIdle) }

// close waits out a Wake in its system call, then refuses later ones.
func (w *wakeState) close() {
	for {
		s := w.v.Load()
		if s == wakeWriting {
			runtime.Gosched()
			continue
		}
		if w.v.CompareAndSwap(s, wakeClosed) {
			return
		}
	}
}
