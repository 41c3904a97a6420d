package task

import (
	"context"
	"fmt"
	"iter"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync/atomic"

	"github.com/f04742a6/reactor/internal/goroutines"
)

// State is a task's lifecycle state. Only the loop changes it.
type State uint8

const (
	StateNew      State = iota // created, not yet scheduled
	StateRunnable              // scheduled to run in a coming batch
	StateRunning               // its body is executing
	StateBlocked               // parked on a wait
	StateDone                  // finished: see its result
)

func (s State) String() string {
	return [...]string{"new", "runnable", "running", "blocked", "done"}[s]
}

// legal lists the allowed transitions, a bit per target state; anything
// else is an internal bug.
var legal = [...]uint8{
	StateNew:      1 << StateRunnable,
	StateRunnable: 1 << StateRunning,
	StateRunning:  1<<StateRunnable | 1<<StateBlocked | 1<<StateDone,
	StateBlocked:  1<<StateRunnable | 1<<StateDone, // Done: unwound by Run's teardown
}

// Task is one coroutine on the loop.
type Task struct {
	r    *runner
	name string  // given with Name; "" means: named after pc. Immutable (the watchdog reads it from its goroutine)
	pc   uintptr // entry of the task's function, for its default name. Immutable
	// Invariant: changed only by transition, on the loop, along legal.
	state State
	body  func(ctx context.Context) error
	ctx   *scopeCtx // the body's ctx: rootCtx
	// Invariant: the innermost active scope the task is in, and the task is
	// on that scope's task list (enterTask); nil once the task's root scope
	// has exited.
	scope     *Scope
	root      *Scope // &rootScope, the task's own scope: a child of the scope it was started in
	rootScope Scope
	rootCtx   scopeCtx
	nursery   *Nursery // the nursery that waits for it; nil for main, Token and FromThread tasks and a Start child before started
	// Invariant: the coroutine running the body from its first step until
	// it is Done (then back in the pool); nil before. Taking it at the first
	// step, not at spawn, lets a batch of short tasks share a few pooled
	// coroutines instead of holding one each while they wait to start:
	// fewer stacks to grow, keep warm and scan for the collector.
	coro *coro
	// Invariant: the wait the task is parked on while StateBlocked (w, or
	// a SendAndWait acknowledgement), nil otherwise.
	wait *waiter
	w    *waiter // the task's one wait record, reused by every wait (see newWait); nil until its first
	// result and panicked hold how the body ended; set once, before Done.
	result   error
	panicked *PanicError
	// Invariant: 1..fairnessBudget, reset whenever the task yields: the
	// immediate completions left before a forced yield.
	budget int
	done   []func() // called once when the task is done (handles, Start); nil after
	// Invariant: the leases the task holds (locks are on locks); finish
	// settles whatever is left of both (a Lock breaks, a Lease goes back).
	held    []holder
	locks   *Lock // Invariant: the Locks the task owns, linked through Lock.prevHeld/nextHeld
	service bool  // a GoService child: its nursery cancels it once the rest is done
	// cancelledCalls counts blocking calls in a row that failed with
	// cancellation: a loop that ignores ErrCancelled is reported.
	cancelledCalls int
	// Its places in the runner's list of live tasks and in its innermost
	// scope's task list (see taskList).
	links [2]taskLinks
}

// Name returns the task's name: the one given with Name, or else its
// function's, as "pkg.Func", with the file and line for a function
// literal ("main.main.func2 (main.go:42)"). A default name is made when
// asked for, so naming costs spawning nothing.
func (t *Task) Name() string {
	if t.name != "" {
		return t.name
	}
	return funcNameAt(t.pc)
}

// State returns the task's state.
func (t *Task) State() State { return t.state }

func (t *Task) transition(to State) {
	if legal[t.state]&(1<<to) == 0 {
		panic(fmt.Sprintf("task: internal error: task %q cannot go from %v to %v", t.Name(), t.state, to))
	}
	if len(t.r.cfg.instruments) > 0 {
		t.r.instrumentTransition(t, t.state, to)
	}
	t.state = to
}

// coro is a pooled coroutine: a goroutine made by iter.Pull that runs task
// bodies one after another. Resuming it and having it yield back are the
// runtime's direct coroutine switches, not scheduler hand-offs.
type coro struct {
	next  func() (struct{}, bool)
	stop  func()
	yield func(struct{}) bool
	r     *runner
	// job is the task the coroutine runs, or ran last. It is atomic
	// because the watchdog reads it from its own goroutine; it changes
	// once per task, not per switch.
	job atomic.Pointer[Task]
	// goid is the coroutine goroutine's id, set when it starts (before the
	// first yield) and fixed for its life; registered in coroutines.
	goid uint64
}

// teardown unwinds a task whose coroutine is stopped while it is parked;
// it happens only when Run gives up on tasks that can never be woken.
type teardown struct{}

func (r *runner) newCoro() *coro {
	c := &coro{r: r}
	c.next, c.stop = iter.Pull(func(yield func(struct{}) bool) {
		c.yield = yield
		c.goid = goroutines.ID()
		coroutines.Store(c.goid, c)
		defer coroutines.Delete(c.goid)
		for {
			r.runBody(c.job.Load()) // step stores the job before it resumes us
			if !yield(struct{}{}) {
				return
			}
		}
	})
	return c
}

func (r *runner) getCoro() *coro {
	if c, ok := r.coros.Get(); ok {
		return c
	}
	r.stats.Coroutines++
	return r.newCoro()
}

// runBody runs on the coroutine's goroutine.
func (r *runner) runBody(t *Task) {
	defer func() {
		if v := recover(); v != nil {
			if _, ok := v.(teardown); ok {
				t.result = fmt.Errorf("task %q: %w", t.Name(), ErrDeadlock)
			} else {
				t.panicked = newPanicError(v, t.Name())
			}
		}
		t.result = t.root.exit(t.result)
		t.transition(StateDone)
	}()
	t.result = t.body(t.ctx)
}

// step resumes t until it parks, yields or finishes (the loop's
// Scheduler.RunNext, or a batch run in place).
func (t *Task) step() {
	r := t.r
	if t.coro == nil {
		t.coro = r.getCoro()
		t.coro.job.Store(t)
	}
	t.resume()
	t.coro.next()
	r.current = nil
	if t.state == StateDone {
		r.finish(t)
	}
}

// resume makes t the running task.
func (t *Task) resume() {
	r := t.r
	t.transition(StateRunning)
	r.current = t
	r.stats.Switches++
	r.lastStepped = t
}

// schedule makes a new or woken task runnable.
func (r *runner) schedule(t *Task) {
	t.transition(StateRunnable)
	r.runq.Push(t)
}

// funcPC returns the entry address of a function value.
func funcPC(fn any) uintptr { return reflect.ValueOf(fn).Pointer() }

// funcNameAt names the function at pc: "pkg.Func", "pkg.(*T).Method", or
// for a function literal, whose generated name ("main.main.func2.1") a
// reader cannot place, that name with its file and line.
func funcNameAt(pc uintptr) string {
	f := runtime.FuncForPC(pc)
	if f == nil {
		return "task"
	}
	name := strings.TrimSuffix(f.Name(), "-fm")
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	if strings.Contains(name, ".func") {
		file, line := f.FileLine(pc)
		name += fmt.Sprintf(" (%s:%d)", filepath.Base(file), line)
	}
	return name
}

// holder is something a task can hold (a Lease) that must hear
// when the task ends without giving it back.
type holder interface{ taskEnded(t *Task) }

func (t *Task) hold(h holder) { t.held = append(t.held, h) }

func (t *Task) unhold(h holder) {
	for i, x := range t.held {
		if x == h {
			t.held = append(t.held[:i], t.held[i+1:]...)
			return
		}
	}
}
