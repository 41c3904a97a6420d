package loop

import (
	"sync/atomic"
	"time"
)

// The slow-callback watchdog has two ways to time callbacks.
//
// With the real clock, reading the clock around every callback would cost
// more than the callback hand-off itself (a vDSO call, ~45 ns on a VM), so
// a sampler goroutine watches instead: the loop publishes a sequence
// number as each callback starts (one atomic store), and the sampler,
// ticking every quarter threshold, flags a callback whose number has not
// changed for a whole threshold. The loop reports it when it returns, with
// the time the sampler saw it running, a lower bound of its duration. A
// callback that overran the threshold by less than a tick can go
// unreported.
//
// With any other clock (a MockClock in tests), time moves only when told,
// so the loop reads the clock after every callback: exact and
// deterministic.
type sampler struct {
	progress atomic.Uint64 // the running callback's sequence number; 0: none
	flagged  atomic.Int64  // unix ns when the flagged callback was first seen; 0: none
	stop     chan struct{}
	done     chan struct{}
}

// startSampler starts the sampler goroutine for one Run.
func (l *Loop) startSampler() {
	s := &sampler{stop: make(chan struct{}), done: make(chan struct{})}
	l.sampler = s
	period := max(l.slow/4, time.Millisecond)
	go func() {
		defer close(s.done)
		t := time.NewTicker(period)
		defer t.Stop()
		var last, reported uint64
		var since time.Time
		for {
			select {
			case <-s.stop:
				return
			case now := <-t.C:
				p := s.progress.Load()
				if p == 0 || p != last {
					last, since = p, now
					continue
				}
				if p != reported && now.Sub(since) >= l.slow {
					reported = p
					s.flagged.Store(since.UnixNano())
				}
			}
		}
	}()
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
// returned still running, if it flagged it, and clears the flag.
func (s *sampler) slowSince() (time.Time, bool) {
	ns := s.flagged.Load()
	if ns == 0 {
		return time.Time{}, false
	}
	s.flagged.Store(0)
	return time.Unix(0, ns), true
}
