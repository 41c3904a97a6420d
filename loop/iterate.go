package loop

import (
	"fmt"
	"runtime"
	"time"

	"github.com/f04742a6/reactor"
)

// runOnce is one iteration of the loop; the package documentation lists
// its phases.
func (l *Loop) runOnce() error {
	l.stats.flushElided()
	if err := l.pollPhase(); err != nil {
		return err
	}
	l.timerPhase()
	l.inbox.take(l)
	l.runBatch()
	l.stats.iterations.Add(1)
	return nil
}

// pollPhase waits for I/O. It does not poll at all while callbacks are
// runnable, except every pollEvery callbacks so sockets are not starved;
// it blocks only when nothing is runnable, for as long as the next timer
// allows.
func (l *Loop) pollPhase() error {
	switch {
	case l.ready.Len() > 0 || l.runnable() > 0 || l.inbox.pending():
		// Work is waiting, ours or handed over: no system call, except
		// every pollEvery callbacks so sockets are not starved.
		if l.sincePoll < l.pollEvery {
			return nil
		}
		_, err := l.poll(0)
		return err
	case l.stopping:
		_, err := l.poll(0)
		return err
	}
	if (len(l.idle) > 0 || l.sched != nil) && l.busy == 0 {
		// Idle waiters run only if the kernel has nothing for us either.
		n, err := l.poll(0)
		if err != nil || n > 0 || l.inbox.pending() {
			return err
		}
		if len(l.idle) > 0 {
			for _, fn := range l.idle {
				l.enqueue(l.newCall(KindSoon, fn))
			}
			clear(l.idle)
			l.idle = l.idle[:0]
			return nil
		}
		l.sched.Idle()
		if l.ready.Len() > 0 || l.runnable() > 0 || l.stopping || l.inbox.pending() {
			return nil
		}
	}
	if l.spinForInbox() {
		return nil // the inbox phase takes it; I/O is polled as for any work
	}
	_, err := l.poll(l.blockTimeout())
	return err
}

// spinRounds bounds the spin before blocking: each round is a
// runtime.Gosched (~0.1-0.3 µs here), so the loop spends at most a few
// microseconds of CPU per time it goes idle, and only while other
// goroutines are handing it work.
const spinRounds = 32

// spinForInbox is what Go's scheduler does before parking a thread: when
// the last turn took callbacks from other goroutines (a request/response
// exchange with them is under way), the loop looks at its inbox for a few
// microseconds before it blocks in the poller, since waking a blocked loop
// costs an eventfd write and a thread wake-up (~10x a goroutine hand-off).
// It reports whether work arrived. A loop with no cross-thread traffic, an
// idle one in particular, blocks at once; I/O that arrives during the spin
// waits for it to end (at most spinRounds yields).
func (l *Loop) spinForInbox() bool {
	if !l.inbox.recent {
		return false
	}
	l.inbox.recent = false
	for range spinRounds {
		runtime.Gosched()
		if l.inbox.pending() {
			l.inbox.recent = true
			return true
		}
	}
	return false
}

// blockTimeout is how long an idle loop may block: until the next timer
// (never, if there is none or the clock will not get there by itself), or
// until an autojumping clock's threshold passes.
func (l *Loop) blockTimeout() time.Duration {
	next, ok := l.timers.Next()
	if !ok {
		return -1
	}
	deadline := l.epoch.Add(time.Duration(next))
	timeout := l.clock.Until(deadline)
	aj, ok := l.clock.(Autojumper)
	if !ok || l.busy > 0 {
		return timeout
	}
	threshold, on := aj.AutojumpThreshold()
	if !on {
		return timeout
	}
	// The threshold is real time: how long the loop has had nothing to do.
	now := time.Now()
	if l.idleSince.IsZero() {
		l.idleSince = now
	}
	wait := threshold - now.Sub(l.idleSince)
	if wait <= 0 {
		aj.AutojumpTo(deadline)
		l.idleSince = time.Time{}
		return 0
	}
	if timeout < 0 || wait < timeout {
		return wait
	}
	return timeout
}

func (l *Loop) poll(timeout time.Duration) (int, error) {
	blocking := timeout != 0
	if blocking {
		// About to block in a system call. Goroutines that this turn made
		// runnable (a channel send from a callback) sit on this P's run
		// queue, and the runtime does not hand the P over while we block
		// in epoll_wait until sysmon retakes it, tens of microseconds or
		// more later. Let them run first, if there may be any: callbacks
		// may have made some, scheduled items say whether they did. (On a
		// locked thread, task.RunParallel's, a yield hands the P to
		// another thread and back: an unconditional one cost the RESP
		// demo 12% of its CPU.)
		if l.ranCallbacks || (l.sched != nil && l.sched.WokeGoroutines()) {
			runtime.Gosched()
		}
		l.ranCallbacks = false
		l.polling.Store(true)
		// CallSoonThreadsafe wakes the poller only when it sees polling
		// set; it stores to the inbox first and loads polling second, we
		// store polling first and load the inbox second, so one of us sees
		// the other (both are sequentially consistent atomics).
		if l.inbox.pending() {
			timeout = 0
		}
	}
	for _, in := range l.instruments {
		if in.BeforePoll != nil {
			in.BeforePoll(timeout) // a blocking poll is already marked foreign-only
		}
	}
	n, err := l.poller.Wait(l.events, timeout)
	if blocking {
		l.polling.Store(false)
		if s := l.sampler; s != nil {
			s.pollReturned()
		}
	}
	l.sincePoll = 0
	l.stats.polls.Add(1)
	if err != nil {
		return 0, fmt.Errorf("loop: poll: %w", err)
	}
	for _, ev := range l.events[:n] {
		if g := l.fds[ev.FD]; g != nil {
			g.notify(ev.Ready)
		}
	}
	for _, in := range l.instruments {
		if in.AfterPoll != nil {
			in.AfterPoll(n)
		}
	}
	return n, nil
}

// timerPhase moves every due timer to the ready queue, in firing order.
func (l *Loop) timerPhase() {
	if l.timers.Len() == 0 {
		return
	}
	now := l.now()
	fired := 0
	for t := l.timers.PopDue(now); t != nil; t = l.timers.PopDue(now) {
		l.enqueue(t.Value)
		fired++
	}
	l.stats.timers.Add(uint64(fired))
}

// runBatch runs the callbacks that are ready now, then the scheduler's
// items that are; what they make ready waits for the next iteration.
func (l *Loop) runBatch() {
	n, m := l.ready.Len(), l.runnable()
	if n+m == 0 {
		return
	}
	l.idleSince = time.Time{}
	if l.rng != nil {
		l.ready.Shuffle(n, l.rng)
	}
	l.batch = l.startBatchTimer()
	w := &l.batch
	if n > 0 {
		l.ranCallbacks = true
	}
	for range n {
		c := l.ready.Pop()
		c.queued = false
		if c.state == callCancelled {
			l.calls.put(c)
			continue
		}
		cb := Callback{Kind: c.kind, FD: c.fd, fn: c.fn}
		w.starting(l)
		if len(l.instruments) > 0 {
			l.instrumentStart(cb)
		}
		l.invoke(c)
		if len(l.instruments) > 0 {
			l.instrumentEnd(cb)
		}
		w.ended(l, cb)
	}
	ran := 0
	for left := m; left > 0; ran++ {
		w.starting(l)
		if len(l.instruments) > 0 {
			l.instrumentStart(scheduledItem)
		}
		left = l.sched.RunNext()
		if len(l.instruments) > 0 {
			l.instrumentEnd(scheduledItem)
		}
		w.ended(l, scheduledItem)
	}
	if w.smp != nil {
		w.smp.callbackStarting(0) // between batches: nothing to watch
	}
	l.sincePoll += n + ran
	l.stats.callbacks.Add(uint64(n + ran))
}

// invoke runs one callback. A one-shot record is recycled before its
// function runs, so a Handle cancelled from inside it reports false. An fd
// callback's readiness is consumed after it ran: it was told the fd was
// ready and is expected to read or write until it would block.
func (l *Loop) invoke(c *call) {
	fn := c.fn
	switch c.kind {
	case KindReader, KindWriter:
		gen, fd := c.gen, c.fd
		fn()
		if c.gen == gen && c.state == callPending {
			l.poller.Consume(fd, readyBit(c.kind))
		}
	default:
		l.calls.put(c)
		fn()
	}
}

func readyBit(k Kind) reactor.Ready {
	if k == KindReader {
		return reactor.Readable
	}
	return reactor.Writable
}

// CallWhenIdle runs fn once the loop is idle: nothing runnable, no
// cross-thread callback waiting, no I/O ready, and no Hold outstanding.
// Idle callbacks run before an autojumping clock jumps.
func (l *Loop) CallWhenIdle(fn func()) {
	l.checkOwner("CallWhenIdle")
	if fn == nil {
		panic("loop: nil callback")
	}
	l.idle = append(l.idle, fn)
}
