package task

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"os/signal"
	"slices"
)

// SignalReceiver delivers signals to one task at a time. Open it with
// OpenSignalReceiver and range over All, or call Receive.
//
// Signals of one kind that arrive before a task takes them coalesce into
// one; different kinds are delivered in the order they first arrived, so
// two busy signals alternate. While a receiver for a signal is open, Run
// does not turn that signal into cancellation: the receiver gets it. Close restores
// the previous disposition; signals still pending are raised again (on
// unix), so they reach whatever handles them next (Go's os/signal fans
// signals out: "previous handler" means the other receivers, or the
// default action).
type SignalReceiver struct {
	r       *runner
	ch      chan os.Signal
	sigs    []os.Signal
	pending []os.Signal
	waiter  *waiter
	closed  bool
	quit    chan struct{}
	done    chan struct{}
	release func()
	err     error
}

// OpenSignalReceiver starts catching sigs. It fails if sigs is empty.
func OpenSignalReceiver(ctx context.Context, sigs ...os.Signal) (*SignalReceiver, error) {
	t, _ := current(ctx, "OpenSignalReceiver")
	if len(sigs) == 0 {
		return nil, errors.New("task: OpenSignalReceiver: no signals given")
	}
	r := t.r
	s := &SignalReceiver{
		r: r, ch: make(chan os.Signal, 16), sigs: slices.Clone(sigs),
		quit: make(chan struct{}), done: make(chan struct{}),
		release: r.loop.Expect(), // a signal can wake a task: not a deadlock
	}
	r.receivers.add(s.sigs, 1)
	signal.Notify(s.ch, sigs...)
	go func() {
		defer close(s.done)
		for {
			select {
			case sig := <-s.ch:
				r.loop.CallSoonThreadsafe(func() { s.deliver(sig) })
			case <-s.quit:
				return
			}
		}
	}()
	return s, nil
}

// deliver runs on the loop.
func (s *SignalReceiver) deliver(sig os.Signal) {
	if s.closed {
		reraise(sig)
		return
	}
	if w := s.waiter; w != nil {
		s.waiter = nil
		w.item = sig
		s.r.wake(w, nil)
		return
	}
	if !slices.Contains(s.pending, sig) {
		s.pending = append(s.pending, sig)
	}
}

// Receive waits for the next signal. Only one task may wait at a time
// (ErrBusyResource); after Close it fails with ErrClosedResource.
func (s *SignalReceiver) Receive(ctx context.Context) (os.Signal, error) {
	t, c := current(ctx, "SignalReceiver.Receive")
	if s.closed {
		return nil, fmt.Errorf("task: SignalReceiver.Receive: %w", ErrClosedResource)
	}
	if s.waiter != nil {
		return nil, fmt.Errorf("task: SignalReceiver.Receive: %w: another task is receiving", ErrBusyResource)
	}
	if len(s.pending) > 0 {
		if err := t.r.checkpoint(ctx, c, t, "SignalReceiver.Receive"); err != nil {
			return nil, err
		}
		sig := s.pending[0]
		s.pending = s.pending[1:]
		return sig, nil
	}
	if err := t.check(ctx, c, "SignalReceiver.Receive"); err != nil {
		return nil, err
	}
	w := t.newWait("signal")
	w.abort = func() bool { s.waiter = nil; return true }
	s.waiter = w
	if err := t.r.block(ctx, c, t, w, "SignalReceiver.Receive"); err != nil {
		return nil, err
	}
	sig, _ := w.item.(os.Signal)
	if sig == nil {
		return nil, fmt.Errorf("task: SignalReceiver.Receive: %w", ErrClosedResource)
	}
	return sig, nil
}

// All returns the signals as a sequence for range; it ends when Receive
// fails, and Err says why (nil after Close).
func (s *SignalReceiver) All(ctx context.Context) iter.Seq[os.Signal] {
	return func(yield func(os.Signal) bool) {
		for {
			sig, err := s.Receive(ctx)
			if err != nil {
				if !errors.Is(err, ErrClosedResource) {
					s.err = err
				}
				return
			}
			if !yield(sig) {
				return
			}
		}
	}
}

// Err returns the error that ended All, if it was not Close.
func (s *SignalReceiver) Err() error { return s.err }

// Close stops catching the signals and restores their disposition. It is
// idempotent and not a checkpoint. Call it from a task of the loop.
func (s *SignalReceiver) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	signal.Stop(s.ch)
	close(s.quit)
	<-s.done
	s.r.receivers.add(s.sigs, -1)
	s.release()
	if w := s.waiter; w != nil {
		s.waiter = nil
		s.r.wake(w, nil)
	}
	// Signals that arrived but were not taken go on to the next handler.
	for {
		select {
		case sig := <-s.ch:
			s.pending = append(s.pending, sig)
			continue
		default:
		}
		break
	}
	for _, sig := range s.pending {
		reraise(sig)
	}
	s.pending = nil
	return nil
}
