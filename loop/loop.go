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
//
// Each field says what it holds, who writes it and when. "The loop" is
// the goroutine that owns it: the one in Run, or between runs the one
// that calls its methods. Only the fields marked atomic (and the inbox,
// under its mutex) are touched by other goroutines.
type Loop struct {
	// poller is the readiness backend, the one record of every watched
	// fd's readiness. Set by New (WithPoller, or reactor.New); closed by
	// Close, never replaced.
	poller reactor.Poller
	// clock is where all time comes from. Set by New (WithClock), never
	// replaced.
	clock Clock
	// epoch is clock's reading at New: deadlines are kept as nanoseconds
	// since it. Immutable.
	epoch time.Time
	// timers holds every timer callback not yet due or cancelled
	// (CallLater, CallAt), keyed by deadline. Written by the loop: callAt
	// adds, cancel and the timer phase remove; Close replaces it.
	timers *timer.Queue[*call]
	// ready holds the callbacks to run, in order: a callback is in it once
	// (call.queued) from being scheduled until its batch reaches it, also
	// when cancelled meanwhile (state callCancelled, freed there).
	// Written by the loop: enqueue pushes, runBatch pops; Close empties it.
	ready ring.Ring[*call]
	// calls is the free list of call records. Invariant: a record is
	// either here (state callFree) or in use (pending in ready or timers,
	// or installed on a watch, which queues it in ready on each edge),
	// never both. Written by the loop (newCall takes; cancel, runBatch and
	// invoke give back).
	calls pool
	// fds maps each registered fd to its open Registration (Register's, or
	// the one AddReader and AddWriter share). Invariant: exactly the open
	// registrations, each registered with poller. Written by the loop:
	// register adds, Registration.Close and Close remove.
	fds map[uintptr]*Registration
	// sources is the number of wake sources besides timers, and busy the
	// number of them that are Holds; see "Wake sources" in sources.go for
	// the invariant. Written by the loop: SetAwaited, Registration.Close,
	// Expect, Hold and their releases.
	sources int
	busy    int
	// events is the buffer each poll fills. Allocated by New; written by
	// the loop's poll only.
	events []reactor.Event
	// inbox holds CallSoonThreadsafe's callbacks: pushed by any goroutine
	// under its mutex, taken by the loop in the inbox phase.
	inbox inbox

	// running is set while Run executes (atomic: Running is safe from any
	// goroutine). Written by Run as it starts and returns.
	running atomic.Bool
	// polling is set while the loop blocks in its poller, and then any
	// caller is foreign (atomic, read by checkOwner, Polling and
	// CallSoonThreadsafe). Written by the loop around a blocking poll.
	polling atomic.Bool
	// stopping makes Run return after the current batch. Set by Stop,
	// cleared by Run as it returns.
	stopping bool
	// closed is set once, by Close; after it New's resources are gone.
	closed bool

	// pollEvery is how many callbacks run between zero-timeout polls
	// while work keeps the loop busy. Set by New, immutable.
	pollEvery int
	// sincePoll counts the callbacks and scheduler items run since the
	// last poll (runBatch and ElideTurn add, poll resets).
	sincePoll int
	// inboxBudget bounds the inbox callbacks taken per turn. Set by New
	// (WithInboxBudget), immutable.
	inboxBudget int
	// rng shuffles each batch; nil runs batches in order. Set by New
	// (WithSeed), immutable; drawn from by runBatch and, through Rand, by
	// the scheduler.
	rng *rand.Rand

	// idleSince is the real time the loop last found itself idle, for an
	// autojumping clock's threshold; zero while not idle. Written by the
	// loop: blockTimeout sets it, runBatch and a Hold's release clear it.
	idleSince time.Time
	// idle holds the CallWhenIdle callbacks not yet made ready. Written by
	// the loop: CallWhenIdle appends, the poll phase empties it.
	idle []func()
	// sched runs the scheduler's items in the batch phase; nil for none.
	// Set by SetScheduler, before Run.
	sched Scheduler
	// ranCallbacks: callbacks ran since the last blocking poll (they may
	// have made goroutines runnable: see poll's yield). Set by runBatch,
	// cleared by a blocking poll.
	ranCallbacks bool

	// slow is the watchdog's threshold (0: off); slowReport and
	// stallReport replace its log lines. Set by New, immutable.
	slow        time.Duration
	slowReport  func(cb Callback, d time.Duration)
	stallReport func(Stall)
	// sampler is the real-clock watchdog's goroutine while Run runs on a
	// real clock with a threshold, else nil. Written by Run as it starts
	// and returns.
	sampler *sampler
	// seq numbers the callbacks started, for the sampler. Written by the
	// loop (batchTimer.starting).
	seq uint64
	// batch times the running batch's items, ElideTurn's too. Written by
	// runBatch as each batch starts.
	batch batchTimer
	// logger is where the watchdog reports. Set by New, immutable.
	logger *slog.Logger
	// instruments are the hooks around polls and callbacks. Written by
	// the loop: AddInstruments, RemoveInstruments.
	instruments []*Instruments
	// stats are the counters (atomic: Stats is safe from any goroutine).
	// Written by the loop as it works.
	stats counters
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
		fds:         make(map[uintptr]*Registration),
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
	for fd, g := range l.fds {
		g.forget()
		l.poller.Unregister(fd)
	}
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
