package task

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/f04742a6/reactor/loop"
	"github.com/f04742a6/reactor/loop/ring"
)

// Clock is the loop's clock interface; MockClock implements it, with
// autojump (loop.Autojumper).
type Clock = loop.Clock

// MockClock is a clock for tests: time moves only by Jump or, with
// SetAutojump, by itself when every task is blocked.
type MockClock = loop.MockClock

// NewMockClock returns a stopped mock clock reading start.
func NewMockClock(start time.Time) *MockClock { return loop.NewMockClock(start) }

// Option configures Run.
type Option func(*config)

type config struct {
	loopOpts    []loop.Option
	slowTask    time.Duration
	logger      *slog.Logger
	instruments []Instrument
	signals     []os.Signal // with signalsSet: WithSignals' choice (default: defaultSignals)
	signalsSet  bool
	parent      context.Context // WithParent: its end stops the run; its values are visible to every task
	failOnBlock bool            // WithFailOnBlock (watchdog.go): a task that blocks the loop fails the run
}

// WithClock runs the loop on c (e.g. a *MockClock).
func WithClock(c Clock) Option {
	return func(cfg *config) { cfg.loopOpts = append(cfg.loopOpts, loop.WithClock(c)) }
}

// WithSeed shuffles each batch of runnable tasks reproducibly with seed,
// to flush out hidden ordering assumptions. Without it batches are FIFO.
func WithSeed(seed int64) Option {
	return func(cfg *config) {
		cfg.loopOpts = append(cfg.loopOpts, loop.WithSeed(seed)) // the loop shuffles both (Runnable)
	}
}

// WithSlowTask sets the watchdog threshold (default 100ms; 0 turns it
// off): a task that runs longer without reaching a checkpoint is reported.
func WithSlowTask(d time.Duration) Option { return func(cfg *config) { cfg.slowTask = d } }

// WithLogger sets where the watchdogs report (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(cfg *config) { cfg.logger = l } }

// runner is the state of one Run.
type runner struct {
	loop    *loop.Loop
	epoch   time.Time // the loop's clock at the start: deadlines are published as ns since it
	cfg     config
	current *Task
	coros   ring.FreeList[*coro] // idle pooled coroutines
	// wokeGoroutines: a task handed a worker goroutine its job since the
	// loop last asked (loop.Scheduler.WokeGoroutines).
	wokeGoroutines bool
	live           int
	all            taskList // Invariant: every task not yet finished (spawned, not passed through finish)
	top            *Scope   // above main: cancelled by SIGINT and deadlock
	main           *Task
	stats          Stats
	idleWait       waitQueue              // WaitAllTasksBlocked
	waiters        ring.FreeList[*waiter] // free wait records (see newWait)
	failure        error                  // ErrDeadlock or ErrInterrupted, set by the runner
	torn           bool
	ended          atomic.Bool // Run is over: objects still bound to it are idle (see binding)
	// stall is the watchdog's latest sighting of a task blocking the loop
	// (WithFailOnBlock): stored by the sampler's goroutine, taken by the
	// loop (failBlocked), dropped when the step or the run ends.
	stall       atomic.Pointer[stallNote]
	deadlocked  bool // idle found the run deadlocked and cancelled everything
	fdWait      map[fdKey]*waiter
	ioWaits     int      // tasks parked on a PollFD: I/O can still wake them
	lastStepped *Task    // the task whose step ran last: the watchdog names it
	runq        runQueue // Invariant: exactly the tasks in StateRunnable, in the order they became so
	// Invariant: how many tasks at the front of runq are the current
	// batch's (set by Runnable, counted down as each is resumed).
	batchLeft int
	// inPlace: the current batch is one a yielding task started in place
	// (runInPlace), not the loop; false whenever the loop's goroutine runs.
	inPlace bool
	// nested: a task resumed in place is running; it yields plainly, back
	// to the task that resumed it, so coroutines nest one deep at most.
	nested      bool
	receivers   receiverCounts   // open SignalReceivers per signal: Run leaves those signals to them
	interrupted bool             // a caught signal cancelled the run; a second one ends the process
	sources     int              // open Tokens, signal receivers, foreign contexts
	threads     *CapacityLimiter // DefaultThreadLimiter
	workers     workerPool       // ToThread goroutines
}

// Stats are the runner's counters.
type Stats struct {
	Tasks      uint64 // tasks started
	Switches   uint64 // task resumptions
	Coroutines uint64 // coroutine goroutines created (pooled: far fewer than Tasks)
	Live       int    // tasks not yet finished
	Loop       loop.Stats
}

// Run runs main as the first task on a new loop and returns when main and
// every task it started have finished and every coroutine goroutine has
// exited. It returns main's error as main returned it, or an error
// matching ErrDeadlock (with the task tree) if every task blocked with
// nothing left to wake one. A panic in main re-panics out of Run as a
// *PanicError.
func Run(main func(ctx context.Context) error, opts ...Option) error {
	cfg := config{slowTask: 100 * time.Millisecond}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	r := &runner{cfg: cfg, threads: NewCapacityLimiter(DefaultThreadLimit)}
	l, err := loop.New(append(cfg.loopOpts, loop.WithLogger(cfg.logger),
		loop.WithSlowCallback(cfg.slowTask), loop.WithSlowReport(r.reportSlow),
		loop.WithStallReport(r.reportStall))...)
	if err != nil {
		return fmt.Errorf("task: Run: %w", err)
	}
	r.loop = l
	r.epoch = l.Now()
	r.top = r.open(nil, nil, context.Background())
	if p := cfg.parent; p != nil {
		// The top scope stands for the parent: its values, its deadline
		// and its end (not a wake source: a run that only the parent's
		// end could move on is still reported as deadlocked).
		r.top.ctx.parent = p
		_, hasDL := p.Deadline()
		r.link(r.top, p, hasDL, p.Done() != nil, false)
	}
	r.main = r.spawn(main, r.top, r.top.ctx, "", funcPC(main), nil)
	l.SetScheduler(r)
	stopSignals := r.catchSignals()
	runErr := l.Run()
	stopSignals()
	r.workers.wait() // abandoned workers: their ctx is cancelled
	// One more turn, without blocking, for what they handed back: the
	// limiter tokens of abandoned workers are returned (a Limiter outlives
	// the run), and late Token calls fail with ErrRunFinished instead of
	// being dropped.
	l.Stop()
	if err := l.Run(); err != nil && runErr == nil {
		runErr = err
	}
	r.workers.close()
	r.teardown()
	r.closeLeftovers()
	r.endTop()
	l.Close()
	if runErr != nil {
		return fmt.Errorf("task: Run: %w", runErr)
	}
	if p := r.main.panicked; p != nil {
		panic(p)
	}
	if r.failure == nil && r.top.link != nil && r.top.cancelCalled {
		r.failure = &parentError{cause: r.top.linkCause()}
	}
	if r.failure != nil {
		// The cancellation the run caused itself (interrupt, deadlock) is
		// said once, by the failure: one readable line unless main had
		// other errors too.
		if rest, _ := filterCancel(r.main.result, r.top); rest != nil {
			return errors.Join(r.failure, rest)
		}
		return r.failure
	}
	return r.main.result
}

// spawn creates a task running fn under parent and schedules it. The
// task is called name, or if that is empty, after the function at pc.
func (r *runner) spawn(fn func(ctx context.Context) error, parent *Scope, parentCtx context.Context, name string, pc uintptr, n *Nursery) *Task {
	t := &Task{r: r, name: name, pc: pc, body: fn, nursery: n, budget: fairnessBudget}
	t.root = &t.rootScope
	r.init(t.root, &t.rootCtx, t, parent, parentCtx)
	t.root.enterTask(t)
	t.root.settle()
	t.ctx = t.root.ctx
	r.live++
	r.stats.Tasks++
	r.all.push(t)
	r.schedule(t)
	return t
}

// finish runs on the loop once t's body returned.
func (r *runner) finish(t *Task) {
	r.coros.Put(t.coro)
	t.coro = nil
	if t.w != nil {
		r.putWaiter(t.w)
		t.w = nil
	}
	r.live--
	r.all.remove(t)
	for t.locks != nil { // ended holding locks: they break
		t.locks.taskEnded(t)
	}
	for len(t.held) > 0 { // ended holding leases: they go back
		h := t.held[len(t.held)-1]
		t.held = t.held[:len(t.held)-1]
		h.taskEnded(t)
	}
	if t.nursery != nil {
		t.nursery.childDone(t)
	}
	for _, fn := range t.done {
		fn()
	}
	t.done = nil
	if r.live == 0 {
		r.loop.Stop()
	}
}

// teardown stops every pooled coroutine (their goroutines exit) and, if
// Run is ending with tasks still parked (a deadlock nothing could
// resolve), unwinds them.
func (r *runner) teardown() {
	r.torn = true
	r.ended.Store(true)
	for t := r.all.head; t != nil; t = r.all.next(t) {
		if w := t.wait; w != nil && w.queue != nil {
			w.queue.remove(w) // objects outlive the run: leave no dead waiter in them
		}
	}
	for t := r.all.head; t != nil; {
		next := r.all.next(t)
		if c := t.coro; c != nil { // a task that never ran has none: nothing to unwind
			r.current = t
			c.stop() // the parked yield returns false: the body unwinds
			r.current = nil
		}
		r.live--
		t = next
	}
	for _, c := range r.coros {
		c.stop()
	}
	r.coros = nil
}

// idle runs when no task is runnable, no callback is queued, no I/O is
// ready and no thread worker or Token holds the loop. WaitAllTasksBlocked
// waiters are woken first; otherwise, if nothing at all can wake a task
// (no timer, no watched fd), the run is deadlocked.
func (r *runner) idle() {
	if r.idleWait.Len() > 0 {
		r.idleWait.wakeAll(nil)
		return
	}
	if r.live == 0 {
		return
	}
	if timers, fds := r.loop.Pending(); timers > 0 || fds > 0 || r.ioWaits > 0 || r.sources > 0 {
		return
	}
	if !r.deadlocked {
		// First, cancel everything, shields included, so tasks unwind and
		// their cleanup runs. A failure said before (an interrupt, a
		// blocked loop) is kept, with the deadlock joined to it.
		r.deadlocked = true
		var b strings.Builder
		r.dump(&b)
		r.failure = errors.Join(r.failure, fmt.Errorf("task: %w\n%s", ErrDeadlock, b.String()))
		r.cancelAll(reasonDeadlock)
		return
	}
	// Still stuck (waits that cannot be aborted): give up on them.
	r.loop.Stop()
}

// wakeSource registers something outside the loop that can wake a task
// (a Token, a signal receiver, a foreign context): while one is
// registered, all tasks blocked is not a deadlock. Unlike a thread worker,
// it does not stop WaitAllTasksBlocked or autojump. Call the returned
// function, on the loop, to unregister.
func (r *runner) wakeSource() (release func()) {
	r.sources++
	done := false
	return func() {
		if !done {
			done = true
			r.sources--
		}
	}
}

// cancelAll cancels every scope of every live task, ignoring shields.
func (r *runner) cancelAll(why reason) {
	r.top.cancel(why, "")
	for t := r.all.head; t != nil; t = r.all.next(t) {
		for s := t.scope; s != nil && s.owner == t; s = s.parent {
			s.cancel(why, "")
		}
	}
}
