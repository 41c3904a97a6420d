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

	"github.com/f04742a6/reactor"
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
	poller      reactor.Poller  // WithPoller: the loop's backend; nil: the operating system's
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

// WithPoller runs the loop on p instead of the operating system's poller
// (reactor.New): another backend, or a simulated one. Run owns p: it
// closes p when it returns, whatever it returns, and nothing else may use
// p, before or after (it must have nothing registered, and serve no other
// loop). RunParallel panics if given it for more than one loop, since
// each loop needs a poller of its own.
func WithPoller(p reactor.Poller) Option {
	return func(cfg *config) { cfg.poller = p }
}

// WithSlowTask sets the watchdog threshold (default 100ms; 0 turns it
// off): a task that runs longer without reaching a checkpoint is reported.
func WithSlowTask(d time.Duration) Option { return func(cfg *config) { cfg.slowTask = d } }

// WithLogger sets where the watchdogs report (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(cfg *config) { cfg.logger = l } }

// runner is the state of one Run. Its fields belong to the loop's
// goroutine (Run's), except those marked atomic, which other goroutines
// read. They are grouped by concern.
type runner struct {
	// The run and its loop.

	// loop is the Run's loop. Set once, in Run, before the first task.
	loop *loop.Loop
	// cfg is Run's options. Immutable.
	cfg config
	// epoch is the loop's clock when the run started: deadlines are
	// published as nanoseconds since it (see Scope.effDeadline).
	// Immutable.
	epoch time.Time
	// ended is set once, by teardown, when no task is left (atomic: read
	// from any goroutine). From then on objects still tied to the run
	// count as idle (Binding), Post fails, and a PollFD's Close leaves
	// the registration to Run's end.
	ended atomic.Bool
	// posts holds the callbacks handed over with LoopRef.Post that have
	// not run; Run runs what is left once no task is (see posts).
	posts posts

	// Tasks.

	// main is the first task; its result is Run's.
	main *Task
	// top is the scope above main's: cancelled by a signal, a deadlock or
	// WithParent's end.
	top *Scope
	// Invariant: all holds every task spawned and not yet finished, and
	// live is how many that is (spawn adds; finish, or teardown, takes
	// away). The run is over when live is 0.
	all  taskList
	live int
	// current is the task whose step runs now, nil between steps
	// (resume sets it, step clears it). lastStepped is the task whose step
	// ran last: the watchdog names it.
	current     *Task
	lastStepped *Task
	// stats are the counters Stats reports.
	stats Stats

	// Scheduling: the runner is the loop's Scheduler (runqueue.go).

	// Invariant: runq holds exactly the tasks in StateRunnable, in the
	// order they became so (schedule pushes; RunNext and runInPlace pop).
	runq runQueue
	// Invariant: batchLeft is how many tasks at the front of runq are the
	// current batch's (set by Runnable, counted down as each is resumed).
	batchLeft int
	// inPlace: the current batch is one a yielding task started in place
	// (runInPlace), not the loop; false whenever the loop's goroutine runs.
	inPlace bool
	// nested: a task resumed in place is running; it yields plainly, back
	// to the task that resumed it, so coroutines nest one deep at most.
	nested bool
	// wokeGoroutines: a task handed a worker goroutine its job since the
	// loop last asked (loop.Scheduler.WokeGoroutines).
	wokeGoroutines bool

	// Waits the runner keeps itself. Whether anything can still wake a
	// blocked task is the loop's one count of wake sources (Pending):
	// fds waited on, thread workers (Hold), Tokens, signal receivers and
	// foreign contexts (Expect); see idle.

	// idleWait is where WaitAllTasksBlocked parks: woken when the loop is
	// idle.
	idleWait waitQueue
	// fdWatches maps each raw fd a task waits on (WaitReadable,
	// WaitWritable) to its registration; see fdWatch for the invariant.
	fdWatches map[uintptr]*fdWatch

	// Pools: steady work allocates nothing once they hold the run's peak.

	coros       ring.FreeList[*coro]    // idle coroutines, taken at a task's first step
	waiters     ring.FreeList[*waiter]  // free wait records (see newWait)
	fdWatchPool ring.FreeList[*fdWatch] // free raw fd registrations' records

	// How the run fails.

	// failure is the run's own error, which Run returns besides main's:
	// ErrDeadlock (idle), ErrInterrupted (a signal), ErrBlockedLoop
	// (WithFailOnBlock), joined when several happen; nil while none has.
	failure error
	// deadlocked: idle found every task blocked with nothing left to wake
	// one and cancelled everything; the next time, it gives up.
	deadlocked bool
	// interrupted: a caught signal cancelled the run; a second one ends
	// the process.
	interrupted bool
	// receivers counts the open SignalReceivers per signal: Run leaves
	// those signals to them.
	receivers receiverCounts
	// stall is the watchdog's latest sighting of a task blocking the loop
	// (WithFailOnBlock): stored by the sampler's goroutine, taken by the
	// loop (failBlocked), dropped when the step or the run ends.
	stall atomic.Pointer[stallNote]

	// Threads.

	threads *CapacityLimiter // DefaultThreadLimiter; made by Run
	workers workerPool       // ToThread's goroutines; Run waits for them
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
	if cfg.poller != nil {
		cfg.loopOpts = append(cfg.loopOpts, loop.WithPoller(cfg.poller)) // the loop closes it
	}
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
	r.posts.drain() // what was handed over too late for the loop's last turn
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
	if timers, sources := r.loop.Pending(); timers > 0 || sources > 0 {
		return // a timer, an fd waited on, a Token, ... can still wake a task
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

// cancelAll cancels every scope of every live task, ignoring shields.
func (r *runner) cancelAll(why reason) {
	r.top.cancel(why, "")
	for t := r.all.head; t != nil; t = r.all.next(t) {
		for s := t.scope; s != nil && s.owner == t; s = s.parent {
			s.cancel(why, "")
		}
	}
}
