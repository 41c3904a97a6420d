package task

import (
	"context"
	"errors"
	"fmt"
)

// Nursery is where tasks are started; it does not return until all of
// them have finished. See WithNursery.
type Nursery struct {
	r        *runner
	scope    *Scope
	owner    *Task
	children int     // live ordinary children
	services []*Task // live service children
	errs     []error // failures, in the order they happened
	panicked *PanicError
	bodyDone bool
	closed   bool
	exitWait *waiter
}

// SpawnOption configures a child task.
type SpawnOption func(*spawnConfig)

type spawnConfig struct {
	name string
}

// Name names the child task (default: its function's name).
func Name(name string) SpawnOption { return func(c *spawnConfig) { c.name = name } }

// WithNursery opens a nursery, runs body with it, and waits until body
// and every task started in the nursery have finished. The first failure
// (an error that is not the nursery's own cancellation, or a panic)
// cancels the nursery's scope, and so every child; all failures are
// returned joined in the order they happened. A panic in a child (or the
// body) is re-raised here, as a *PanicError with the child's stack, once
// every child has finished.
func WithNursery(ctx context.Context, body func(ctx context.Context, n *Nursery) error) error {
	t, c := current(ctx, "WithNursery")
	r := t.r
	if link := r.openLink(t, c, ctx); link != nil { // a foreign wrapper that can end
		defer link.closeLink()
	}
	s := r.open(t, t.scope, ctx)
	s.enterTask(t)
	s.settle()
	n := &Nursery{r: r, scope: s, owner: t}
	s.nursery = n
	err := n.runBody(body)
	n.bodyDone = true
	if err != nil {
		n.fail(err, t.Name())
	}
	n.stopServicesIfDone()
	if n.children+len(n.services) == 0 {
		r.scheduleOnly(t) // an empty nursery exit is a schedule point, not a cancel point
	}
	for n.children+len(n.services) > 0 {
		// Not abortable: the nursery's scope cancels the children, and the
		// parent waits for them whatever happens.
		w := t.newWait("nursery exit")
		w.abort = never
		n.exitWait = w
		r.park(t, w)
	}
	n.closed = true
	err = s.exit(errors.Join(n.errs...))
	if n.panicked != nil {
		panic(n.panicked)
	}
	return err
}

func never() bool { return false }

func (n *Nursery) runBody(body func(ctx context.Context, n *Nursery) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			if _, ok := v.(teardown); ok {
				panic(v)
			}
			n.recordPanic(newPanicError(v, n.owner.Name()))
		}
	}()
	return body(n.scope.ctx, n)
}

// fail records a failure. A cancellation already recorded for the same
// scope is not recorded again, so a nursery cancelled from outside
// reports one cancellation, not one per child.
func (n *Nursery) fail(err error, who string) {
	if ce, ok := asCancel(err); ok && isOnlyCancel(err) {
		for _, e := range n.errs {
			if prev, ok := asCancel(e); ok && prev.origin == ce.origin {
				return
			}
		}
	}
	n.errs = append(n.errs, err)
	if !isOnlyCancel(err) {
		n.scope.cancel(reasonChildFailed, who+" failed")
	}
}

func isOnlyCancel(err error) bool {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if !isOnlyCancel(e) {
				return false
			}
		}
		return true
	}
	_, ok := asCancel(err)
	return ok
}

func (n *Nursery) recordPanic(p *PanicError) {
	if n.panicked == nil {
		n.panicked = p
	}
	n.scope.cancel(reasonChildFailed, fmt.Sprintf("%s panicked", p.Task))
}

// Go starts fn as a child task. The child does not run before the caller
// reaches a checkpoint. Go on a nursery that has closed panics.
func (n *Nursery) Go(fn func(ctx context.Context) error, opts ...SpawnOption) {
	n.start(fn, false, opts)
}

// GoService starts fn as a service child: once the body and every
// ordinary child are done, the nursery cancels its service children by
// itself (heartbeats, keep-alives), and their cancellation is no error.
func (n *Nursery) GoService(fn func(ctx context.Context) error, opts ...SpawnOption) {
	n.start(fn, true, opts)
}

func (n *Nursery) start(fn func(ctx context.Context) error, service bool, opts []SpawnOption) *Task {
	return n.startNamed(fn, funcPC(fn), service, opts)
}

// startNamed starts fn, named by opts or after the function at pc.
func (n *Nursery) startNamed(fn func(ctx context.Context) error, pc uintptr, service bool, opts []SpawnOption) *Task {
	if n.closed {
		panic("task: Nursery.Go after the nursery closed; start tasks while its WithNursery body or a child still runs, or open a new nursery")
	}
	name := ""
	if len(opts) > 0 { // the config escapes: allocate it only when used
		cfg := spawnConfig{}
		for _, o := range opts {
			o(&cfg)
		}
		name = cfg.name
	}
	t := n.r.spawn(fn, n.scope, n.scope.ctx, name, pc, n)
	n.adopt(t, service)
	return t
}

// adopt makes t a child of n: n waits for it and hears of its failure.
func (n *Nursery) adopt(t *Task, service bool) {
	t.nursery, t.service = n, service
	if service {
		n.services = append(n.services, t)
		if n.bodyDone && n.children == 0 {
			t.root.cancel(reasonServices, "")
		}
	} else {
		n.children++
	}
}

func (n *Nursery) childDone(t *Task) {
	if t.service {
		for i, s := range n.services {
			if s == t {
				n.services = append(n.services[:i], n.services[i+1:]...)
				break
			}
		}
	} else {
		n.children--
	}
	if t.panicked != nil {
		n.recordPanic(t.panicked)
	} else if t.result != nil {
		n.fail(t.result, t.Name())
	}
	n.stopServicesIfDone()
	if n.children+len(n.services) == 0 && n.exitWait != nil {
		n.r.wake(n.exitWait, nil)
		n.exitWait = nil
	}
}

func (n *Nursery) stopServicesIfDone() {
	if n.bodyDone && n.children == 0 {
		for _, s := range n.services {
			s.root.cancel(reasonServices, "")
		}
	}
}

// Cancel cancels the nursery's scope: every child and the body, and
// nested nurseries, but not the nursery's parent.
func (n *Nursery) Cancel() { n.scope.Cancel() }

// Scope returns the nursery's cancel scope.
func (n *Nursery) Scope() *Scope { return n.scope }

// Start starts fn as a child of n and waits until it calls started(v),
// then returns v: a server can bind its listener before Start returns.
// Until then the child runs under the caller (cancelling the caller
// cancels it, not n); from started on it belongs to n. An error (or
// return) before started comes out of Start itself and does not fail n.
// Calling started twice panics in the child.
func Start[T any](ctx context.Context, n *Nursery, fn func(ctx context.Context, started func(T)) error) (T, error) {
	var zero T
	t, c := current(ctx, "Start")
	if n.closed {
		panic("task: Start on a nursery that has closed; open a new nursery")
	}
	r := t.r
	if err := t.cancelErr("Start"); err != nil {
		return zero, err
	}
	var (
		val     T
		started bool
		w       = t.newWait("Start")
	)
	w.abort = never
	var child *Task
	body := func(cctx context.Context) error {
		return fn(cctx, func(v T) {
			if started {
				panic(fmt.Sprintf("task: started called twice in task %q", child.Name()))
			}
			started, val = true, v
			child.root.reparent(n.scope)
			n.adopt(child, false)
			r.wake(w, nil)
		})
	}
	child = r.spawn(body, t.scope, c, "", funcPC(fn), nil)
	child.done = append(child.done, func() {
		if started {
			return
		}
		switch {
		case child.panicked != nil:
			w.panicked = child.panicked
			r.wake(w, nil)
		case child.result != nil:
			r.wake(w, child.result)
		default:
			r.wake(w, fmt.Errorf("task: Start: task %q returned without calling started", child.Name()))
		}
	})
	err := r.park(t, w)
	if w.panicked != nil {
		panic(w.panicked)
	}
	if err != nil {
		return zero, err
	}
	return val, nil
}

// reparent moves s (a task's root scope) under a new parent scope.
func (s *Scope) reparent(p *Scope) {
	s.unlink()
	s.linkUnder(p)
	s.refreshDeadlines()
	if s.origin() != nil {
		s.propagate() // moved into a cancelled nursery: its ctx closes now
	}
}

// Handle is a typed reference to a child task started with Spawn.
type Handle[T any] struct {
	t       *Task
	val     T
	err     error
	done    bool
	waiters waitQueue
}

// Spawn starts fn as a child of n with its own scope and returns a handle
// to wait for its value or cancel it alone. Its failure is reported both to
// Wait and to the nursery.
func Spawn[T any](n *Nursery, fn func(ctx context.Context) (T, error), opts ...SpawnOption) *Handle[T] {
	h := &Handle[T]{}
	h.t = n.startNamed(func(ctx context.Context) error {
		v, err := fn(ctx)
		h.val = v
		return err
	}, funcPC(fn), false, opts)
	h.t.done = append(h.t.done, h.finish)
	return h
}

func (h *Handle[T]) finish() {
	t := h.t
	h.done = true
	switch {
	case t.panicked != nil:
		h.err = t.panicked
	case t.result != nil:
		h.err = t.result
	case t.root.outcome == OutcomeCancelled:
		h.err = &cancelError{origin: t.root, op: "Handle.Wait"}
	}
	h.waiters.wakeAll(nil)
}

// Wait blocks until the task has finished and returns its value and
// error; a task cancelled through its handle gives a cancellation error.
// It can be called any number of times, from any task of the loop.
func (h *Handle[T]) Wait(ctx context.Context) (T, error) {
	t, c := current(ctx, "Handle.Wait")
	if err := t.cancelErr("Handle.Wait"); err != nil {
		var zero T
		return zero, err
	}
	if !h.done {
		w := t.newWait("Handle.Wait")
		w.queue = &h.waiters
		h.waiters.Push(w)
		if err := t.r.block(ctx, c, t, w, "Handle.Wait"); err != nil {
			var zero T
			return zero, err
		}
	} else if err := t.r.checkpoint(ctx, c, t, "Handle.Wait"); err != nil {
		var zero T
		return zero, err
	}
	return h.val, h.err
}

// Cancel cancels the task alone; its nursery is not cancelled. Cancelling
// a finished task does nothing.
func (h *Handle[T]) Cancel() { h.t.root.Cancel() }

// Done reports whether the task has finished.
func (h *Handle[T]) Done() bool { return h.done }
