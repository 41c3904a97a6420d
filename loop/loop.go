package loop

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/f04742a6/reactor"
	"github.com/f04742a6/reactor/loop/ring"
	"github.com/f04742a6/reactor/timer"
)

// ErrClosed is returned for work handed to a closed loop.
var ErrClosed = errors.New("loop closed")

// Loop is a single-threaded event loop. Its methods must be called from the
// goroutine running it (or, before Run and after it returned, from any one
// goroutine at a time); CallSoonThreadsafe is the one exception.
type Loop struct {
	poller reactor.Poller
	clock  Clock
	epoch  time.Time // deadlines are nanoseconds since epoch on clock
	timers *timer.Queue[*call]
	ready  ring.Ring[*call]
	calls  pool
	fds    map[uintptr]*watch
	// registered counts the fds in fds that a Registration holds.
	registered int
	events     []reactor.Event
	inbox      inbox

	running  atomic.Bool
	polling  atomic.Bool // blocked in the poller: any caller now is foreign
	stopping bool
	closed   bool

	pollEvery   int // callbacks run between zero-timeout polls while busy
	sincePoll   int
	inboxBudget int
	rng         *rand.Rand // nil: FIFO batches

	idleSince time.Time // real time the loop last became idle, for autojump
	holds     int       // HoldAutojump count
	idle      []func()  // CallWhenIdle waiters
	sched     Scheduler // SetScheduler: runs its items in the batch phase
	// ranCallbacks: callbacks ran since the last blocking poll (they may
	// have made goroutines runnable: see poll's yield).
	ranCallbacks bool

	slow        time.Duration
	slowReport  func(cb Callback, d time.Duration)
	stallReport func(Stall)
	sampler     *sampler   // the real-clock watchdog, while Run runs
	seq         uint64     // callbacks started, for the sampler
	batch       batchTimer // times the running batch's items (ElideTurn's too)
	logger      *slog.Logger
	instruments []*Instruments
	stats       counters
}

// Option configures a Loop.
type Option func(*Loop)

// WithClock makes the loop read time from c instead of the real clock.
func WithClock(c Clock) Option { return func(l *Loop) { l.clock = c } }

// WithPoller runs the loop on p instead of the operating system's poller
// (for tests); the loop takes ownership and closes it.
func WithPoller(p reactor.Poller) Option { return func(l *Loop) { l.poller = p } }

// WithSlowCallback sets the watchdog threshold: a callback that runs longer
// is reported through the logger. Zero turns the watchdog off.
func WithSlowCallback(threshold time.Duration) Option {
	return func(l *Loop) { l.slow = threshold }
}

// WithSlowReport replaces the watchdog's log line with fn, called on the
// loop right after the slow callback returned (package task uses it to
// name the task instead of its step function).
func WithSlowReport(fn func(cb Callback, d time.Duration)) Option {
	return func(l *Loop) { l.slowReport = fn }
}

// WithLogger sets where the watchdog reports (default slog.Default()).
func WithLogger(lg *slog.Logger) Option { return func(l *Loop) { l.logger = lg } }

// WithInboxBudget bounds how many CallSoonThreadsafe callbacks one
// iteration takes in (default 1024), so other goroutines cannot starve the
// loop's own work.
func WithInboxBudget(n int) Option {
	return func(l *Loop) {
		if n < 1 {
			panic(fmt.Sprintf("loop: WithInboxBudget(%d): the budget must be at least 1", n))
		}
		l.inboxBudget = n
	}
}

// WithSeed runs each batch of callbacks in an order shuffled by a
// generator seeded with seed: reproducible, but not FIFO, to flush out
// hidden ordering assumptions.
func WithSeed(seed int64) Option {
	return func(l *Loop) { l.rng = rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15)) }
}

// Defaults.
const (
	DefaultSlowCallback = 100 * time.Millisecond
	DefaultInboxBudget  = 1024
	// pollEvery: while callbacks keep the loop busy, it still polls for
	// I/O (without blocking) after this many callbacks, so sockets are
	// never starved by a ready queue that never empties.
	defaultPollEvery = 256
)

// New returns a loop that is ready to Run.
func New(opts ...Option) (*Loop, error) {
	l := &Loop{
		clock:       RealClock{},
		timers:      timer.New[*call](),
		fds:         make(map[uintptr]*watch),
		events:      make([]reactor.Event, 256),
		pollEvery:   defaultPollEvery,
		inboxBudget: DefaultInboxBudget,
		slow:        DefaultSlowCallback,
	}
	for _, o := range opts {
		o(l)
	}
	if l.poller == nil {
		p, err := reactor.New()
		if err != nil {
			return nil, fmt.Errorf("loop: new: %w", err)
		}
		l.poller = p
	}
	if l.logger == nil {
		l.logger = slog.Default()
	}
	l.epoch = l.clock.Now()
	if w, ok := l.clock.(wakeable); ok {
		w.attach(l)
	}
	return l, nil
}

// Now returns the current time on the loop's clock.
func (l *Loop) Now() time.Time { return l.clock.Now() }

// Clock returns the loop's clock.
func (l *Loop) Clock() Clock { return l.clock }

func (l *Loop) nanos(t time.Time) int64 { return int64(t.Sub(l.epoch)) }
func (l *Loop) now() int64              { return l.nanos(l.clock.Now()) }

// Run runs the loop until Stop is called, then returns nil. It returns an
// error only if the poller fails. A panic in a callback leaves Run; the
// loop can be run again and the callbacks still queued run then.
func (l *Loop) Run() error {
	if l.closed {
		panic("loop: Run on a closed loop; create a new one with loop.New")
	}
	if !l.running.CompareAndSwap(false, true) {
		panic("loop: Run while the loop is already running; a loop runs on one goroutine, start another Loop for another thread")
	}
	if _, real := l.clock.(RealClock); real && l.slow > 0 {
		l.startSampler()
	}
	defer func() {
		l.stopSampler()
		l.stats.flushElided()
		l.polling.Store(false)
		l.stopping = false
		l.running.Store(false)
	}()
	for {
		if err := l.runOnce(); err != nil {
			return err
		}
		if l.stopping {
			return nil
		}
	}
}

// Stop makes Run return once the current iteration's batch has run. Called
// before Run, it makes the next Run do a single iteration without blocking.
// From another goroutine, use CallSoonThreadsafe(l.Stop).
func (l *Loop) Stop() {
	l.checkOwner("Stop")
	l.stopping = true
}

// Running reports whether Run is executing.
func (l *Loop) Running() bool { return l.running.Load() }

// Close releases the loop: pending callbacks and timers are dropped,
// watched fds are unregistered (not closed) and the poller is closed.
// Later CallSoonThreadsafe calls fail with ErrClosed. Closing twice is a
// no-op. Close panics while Run is executing.
func (l *Loop) Close() error {
	if l.running.Load() {
		panic("loop: Close while Run is executing; call Stop and let Run return first")
	}
	if l.closed {
		return nil
	}
	l.closed = true
	l.inbox.close()
	if w, ok := l.clock.(wakeable); ok {
		w.detach(l)
	}
	for fd, w := range l.fds {
		if w.reg != nil {
			w.reg.notify = nil
		}
		l.poller.Unregister(fd)
	}
	clear(l.fds)
	l.registered = 0
	l.ready = ring.Ring[*call]{}
	l.timers = timer.New[*call]()
	return l.poller.Close()
}

// checkOwner panics when a loop method is called from a foreign goroutine
// while the loop blocks in its poller. It costs one atomic load; it cannot
// catch a foreign call made while callbacks run (the race detector does).
func (l *Loop) checkOwner(op string) {
	if l.polling.Load() {
		panic(fmt.Sprintf("loop: %s called from a goroutine other than the loop's while the loop runs; hand the work over with CallSoonThreadsafe", op))
	}
}

// Polling reports whether the loop is blocked in its poller. It is safe
// from any goroutine, and a caller that sees true is not on the loop's
// goroutine (the loop cannot call while it blocks): one atomic load that
// lets a layer above tell a foreign goroutine from its own code without a
// goroutine id. A caller that sees false may still be foreign, racing
// with running callbacks; that case is left to the race detector.
func (l *Loop) Polling() bool { return l.polling.Load() }

// CallSoon schedules fn to run in the next batch, after the callbacks
// already scheduled, and returns a handle that can cancel it.
func (l *Loop) CallSoon(fn func()) Handle {
	l.checkOwner("CallSoon")
	c := l.newCall(KindSoon, fn)
	l.enqueue(c)
	return Handle{c, c.gen, l}
}

// CallLater schedules fn to run once d has passed on the loop's clock (a
// negative d counts as zero). Timers with equal deadlines run in the order
// they were scheduled.
func (l *Loop) CallLater(d time.Duration, fn func()) Handle {
	l.checkOwner("CallLater")
	return l.callAt(l.now()+max(int64(d), 0), fn)
}

// CallAt schedules fn to run once the loop's clock reaches t.
func (l *Loop) CallAt(t time.Time, fn func()) Handle {
	l.checkOwner("CallAt")
	return l.callAt(l.nanos(t), fn)
}

func (l *Loop) callAt(when int64, fn func()) Handle {
	c := l.newCall(KindTimer, fn)
	l.timers.Add(&c.timer, when)
	return Handle{c, c.gen, l}
}

func (l *Loop) newCall(kind Kind, fn func()) *call {
	if fn == nil {
		panic("loop: nil callback")
	}
	return l.calls.get(kind, fn)
}

func (l *Loop) enqueue(c *call) {
	c.queued = true
	l.ready.Push(c)
}

// cancel stops a pending call. A queued record stays in the ready queue
// (removing from the middle of a ring is not O(1)) and is freed when the
// batch reaches it; a timer leaves the timer queue at once.
func (l *Loop) cancel(c *call) {
	if c.timer.Scheduled() {
		l.timers.Remove(&c.timer)
	}
	if c.queued {
		c.state = callCancelled
		return
	}
	l.calls.put(c)
}
