package task

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/f04742a6/reactor/loop"
)

// Outcome says why a scope ended.
type Outcome int

const (
	// OutcomeCompleted: the body returned and the scope caught nothing (even
	// if Cancel was called after the body's last checkpoint).
	OutcomeCompleted Outcome = iota
	// OutcomeDeadline: the scope caught the cancellation its deadline caused.
	OutcomeDeadline
	// OutcomeCancelled: the scope caught the cancellation an explicit
	// Cancel (or a failing child, for a nursery) caused.
	OutcomeCancelled
	// OutcomeParentCancelled: an enclosing scope's cancellation passed
	// through this scope.
	OutcomeParentCancelled
)

func (o Outcome) String() string {
	return [...]string{"completed", "deadline", "cancelled", "parent cancelled"}[o]
}

type reason uint8

const (
	reasonNone reason = iota
	reasonExplicit
	reasonDeadline
	reasonChildFailed
	reasonServices // a nursery's service tasks, once the rest is done
	reasonInterrupt
	reasonDeadlock
	reasonForeign     // a context wrapped around a task ctx ended (see foreignLink)
	reasonParent      // WithParent's context ended
	reasonBlockedLoop // WithFailOnBlock: a task blocked the loop
)

// scopeKind says which opener made a scope, where its rules differ.
type scopeKind uint8

const (
	kindPlain     scopeKind = iota
	kindFailAfter           // FailAfter: its deadline's cancellation becomes a timeout failure
	kindFailAt              // FailAt: likewise
	kindLink                // stands for a foreign context (foreignLink); catches nothing
)

type scopeState uint8

const (
	scopeActive scopeState = iota
	scopeExited
)

// Scope is a cancel scope. Cancellation is a state: once a scope is
// cancelled, every blocking call made inside it fails, every time, until
// the scope is left (see the package documentation).
type Scope struct {
	r *runner
	// Invariant: the enclosing scope while active (nil only for the run's
	// top scope); a Start child's root scope moves to its nursery's scope
	// when it calls started (reparent). Kept after exit.
	parent *Scope
	owner  *Task     // the task that opened it (for a task's root scope: that task); nil for the top scope
	ctx    *scopeCtx // the ctx the scope hands its body; immutable
	// Invariant: scopeActive until exit, then scopeExited; an exited scope
	// is unlinked from the tree and has no timer.
	state scopeState

	// Invariant: cancelCalled is set once, by cancel, with why (and
	// whyText) saying what caused it; never reset.
	cancelCalled bool
	why          reason
	whyText      string
	shield       bool      // set by Shield or SetShield: enclosing cancellation stops here
	kind         scopeKind // immutable after open
	// link is set, for a kindLink scope only, to the foreign context the
	// scope stands for; immutable.
	link *foreignLink
	// Invariant: with hasDeadline, the scope's own deadline; timer is
	// pending for it unless the scope is cancelled or exited (one timer
	// per scope, moved with the deadline).
	deadline    time.Time
	hasDeadline bool
	timer       loop.Handle
	// caught and outcome are set once, by exit (see the catch rule).
	caught  bool
	outcome Outcome
	nursery *Nursery // the nursery whose scope this is, if any; immutable

	// What the ctx's methods read from any goroutine (see scopeCtx).
	// Invariant: ctxErr != ctxLive once the scope has been effectively
	// cancelled (markCancelled, from propagate or settle); it is never
	// reset, so a ctx's Err and Done never go back, even if a shield set
	// later lets the scope's blocking calls run again.
	ctxErr atomic.Int32
	doneMu sync.Mutex                    // serialises creating and closing doneCh
	doneCh atomic.Pointer[chan struct{}] // nil until Done is first called
	// Invariant: effDeadline holds the earliest deadline of s and its
	// ancestors up to and including the first shielded one, in ns since
	// r.epoch, encoded so that the zero value means none (see
	// effectiveDeadline); refreshDeadlines restores it after a deadline,
	// shield or parent changes.
	effDeadline atomic.Int64

	// the scope tree (intrusive lists: opening a scope allocates nothing
	// but the scope)
	firstChild, prevSib, nextSib *Scope
	tasks                        taskList // Invariant: exactly the live tasks whose innermost scope (Task.scope) this is
}

// open makes a new scope under parent, owned by t, with ctx parentCtx.
func (r *runner) open(t *Task, parent *Scope, parentCtx context.Context) *Scope {
	sc := &struct {
		Scope
		scopeCtx
	}{} // one allocation for both
	r.init(&sc.Scope, &sc.scopeCtx, t, parent, parentCtx)
	return &sc.Scope
}

// init sets up a scope and its ctx in place (a task's root scope lives
// inside the Task: spawning allocates less).
func (r *runner) init(s *Scope, c *scopeCtx, t *Task, parent *Scope, parentCtx context.Context) {
	*s = Scope{r: r, owner: t, ctx: c, tasks: taskList{kind: scopeTasks}}
	*c = scopeCtx{parent: parentCtx, s: s, t: t}
	if parent != nil {
		s.linkUnder(parent)
		if d := parent.effDeadline.Load(); d != 0 {
			s.effDeadline.Store(d)
		}
	}
}

// settle publishes what a new scope inherits once its shield and deadline
// are set: the effective deadline, and cancellation if it opened inside a
// cancelled scope (its ctx's Done is closed from the start).
func (s *Scope) settle() {
	s.refreshDeadlines()
	if p := s.parent; p != nil && !s.shield && p.ctxErr.Load() != ctxLive {
		if o := s.origin(); o != nil {
			s.markCancelled(o)
		}
	}
}

// refreshDeadlines recomputes effDeadline for s and, where it changed,
// for its descendants; a subtree whose root did not change is skipped.
// It walks the intrusive tree without a stack, so depth costs nothing.
func (s *Scope) refreshDeadlines() {
	if !s.recomputeDeadline() {
		return
	}
	x := s.firstChild
	for x != nil {
		if x.recomputeDeadline() && x.firstChild != nil {
			x = x.firstChild
			continue
		}
		for x != s && x.nextSib == nil {
			x = x.parent
		}
		if x == s {
			return
		}
		x = x.nextSib
	}
}

// recomputeDeadline sets effDeadline from the scope's own deadline and its
// parent's, reporting whether it changed.
func (s *Scope) recomputeDeadline() bool {
	eff := int64(noDeadline)
	if s.hasDeadline {
		eff = int64(s.deadline.Sub(s.r.epoch))
	}
	if p := s.parent; p != nil && !s.shield {
		eff = min(eff, p.effectiveDeadline())
	}
	if s.effectiveDeadline() == eff {
		return false
	}
	s.effDeadline.Store(encodeDeadline(eff))
	return true
}

// effectiveDeadline decodes effDeadline: ns since r.epoch, or noDeadline.
// Safe from any goroutine.
func (s *Scope) effectiveDeadline() int64 {
	v := s.effDeadline.Load()
	if v == 0 {
		return noDeadline
	}
	return v ^ math.MinInt64
}

// encodeDeadline is effectiveDeadline's inverse: none is 0, so a new
// scope needs no store (a deadline at exactly MinInt64 ns, 292 years
// before the run, would read as none).
func encodeDeadline(ns int64) int64 {
	if ns == noDeadline {
		return 0
	}
	return ns ^ math.MinInt64
}

// linkUnder makes s a child of p in the scope tree.
func (s *Scope) linkUnder(p *Scope) {
	s.parent, s.prevSib, s.nextSib = p, nil, p.firstChild
	if p.firstChild != nil {
		p.firstChild.prevSib = s
	}
	p.firstChild = s
}

// unlink removes s from its parent's children (s.parent is kept).
func (s *Scope) unlink() {
	if s.prevSib != nil {
		s.prevSib.nextSib = s.nextSib
	} else {
		s.parent.firstChild = s.nextSib
	}
	if s.nextSib != nil {
		s.nextSib.prevSib = s.prevSib
	}
}

// enterTask makes s t's innermost scope.
func (s *Scope) enterTask(t *Task) {
	if t.scope != nil {
		t.scope.removeTask(t)
	}
	t.scope = s
	s.tasks.push(t)
}

func (s *Scope) removeTask(t *Task) { s.tasks.remove(t) }

// exit closes the scope and applies the catch rule to err: the
// cancellation this scope caused is removed (caught), everything else
// passes through.
func (s *Scope) exit(err error) error {
	if s.state == scopeExited {
		panic("task: internal error: scope exited twice")
	}
	s.leave()
	err, caught := catchCancel(err, s, s.failsOnDeadline() && s.why == reasonDeadline)
	s.caught = caught
	switch {
	case caught && s.why == reasonDeadline:
		s.outcome = OutcomeDeadline
	case caught:
		s.outcome = OutcomeCancelled
	case hasCancel(err):
		s.outcome = OutcomeParentCancelled
	default:
		s.outcome = OutcomeCompleted
	}
	s.markEnded()
	return err
}

// leave takes the scope out of the tree: no timer, unlinked, and its
// task back in the enclosing scope.
func (s *Scope) leave() {
	s.state = scopeExited
	s.timer.Cancel()
	if s.parent != nil {
		s.unlink()
	}
	if t := s.owner; t != nil && t.scope == s {
		s.removeTask(t)
		t.scope = nil
		if s.parent != nil && s != t.root {
			s.parent.enterTask(t)
		}
	}
}

// failsOnDeadline reports a FailAfter/FailAt scope.
func (s *Scope) failsOnDeadline() bool { return s.kind == kindFailAfter || s.kind == kindFailAt }

// timeoutText describes a Fail scope's deadline in the errors it turns
// into timeouts.
func (s *Scope) timeoutText() string {
	op := "FailAt"
	if s.kind == kindFailAfter {
		op = "FailAfter"
	}
	text := op + " deadline " + s.deadline.Format(time.RFC3339Nano) + " passed"
	if s.owner != nil {
		text += fmt.Sprintf(" in task %q", s.owner.Name())
	}
	return text
}

// filterCancel removes from err the cancellations that originate in s.
func filterCancel(err error, s *Scope) (error, bool) { return catchCancel(err, s, false) }

// catchCancel applies the catch rule to err for s: a cancellation that
// originates in s is removed, or, with timeout (a Fail scope's deadline
// caused it), kept with the user's wrapping and turned into a timeout. It
// reports whether it caught one.
func catchCancel(err error, s *Scope, timeout bool) (error, bool) {
	if err == nil {
		return nil, false
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var kept []error
		caught := false
		for _, e := range j.Unwrap() {
			e, c := catchCancel(e, s, timeout)
			caught = caught || c
			if e != nil {
				kept = append(kept, e)
			}
		}
		if !caught || timeout {
			return err, caught // a timeout is marked in place: the join is unchanged
		}
		return errors.Join(kept...), true
	}
	if ce, ok := asCancel(err); ok && ce.origin == s {
		if timeout {
			ce.timeout = true
			return err, true
		}
		return nil, true
	}
	return err, false
}

func hasCancel(err error) bool {
	if err == nil {
		return false
	}
	_, ok := asCancel(err)
	return ok || errors.Is(err, ErrCancelled)
}

// origin returns the scope a cancellation seen from s comes from: the
// outermost cancelled scope reachable without crossing a shield, or nil.
func (s *Scope) origin() *Scope {
	var o *Scope
	for x := s; x != nil; x = x.parent {
		if x.cancelCalled {
			o = x
		}
		if x.shield {
			break
		}
	}
	return o
}

// Cancel cancels the scope. It is idempotent, not a checkpoint, and takes
// effect at once: tasks blocked inside the scope are woken with a
// cancellation error before Cancel returns. Cancelling a scope that has
// already exited does nothing.
func (s *Scope) Cancel() { s.cancel(reasonExplicit, "") }

func (s *Scope) cancel(why reason, text string) {
	if s.cancelCalled {
		return
	}
	s.cancelCalled, s.why, s.whyText = true, why, text
	if s.state == scopeExited {
		return
	}
	s.propagate()
}

// propagate wakes every blocked task that s's cancellation reaches:
// tasks of s and of its descendants, except below a shield. It walks the
// tree with an explicit stack, so depth costs no Go stack (Trio's test
// nests 5000 scopes).
func (s *Scope) propagate() {
	stack := []*Scope{s}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		o := x.origin()
		if o == nil {
			continue
		}
		x.markCancelled(o)
		for t := x.tasks.head; t != nil; t = x.tasks.next(t) {
			if t.state == StateBlocked {
				if err := t.cancelErr(t.wait.op); err != nil {
					s.r.abortWait(t, err)
				}
			}
		}
		for c := x.firstChild; c != nil; c = c.nextSib {
			if !c.shield || c.cancelCalled {
				stack = append(stack, c)
			}
		}
	}
}

// CancelCalled reports whether Cancel was called or the deadline passed.
func (s *Scope) CancelCalled() bool { return s.cancelCalled }

// CancelledCaught reports whether the scope caught a cancellation it
// caused itself.
func (s *Scope) CancelledCaught() bool { return s.caught }

// Outcome says why the scope ended; it is OutcomeCompleted until then.
func (s *Scope) Outcome() Outcome { return s.outcome }

// Shielded reports whether the scope is shielded.
func (s *Scope) Shielded() bool { return s.shield }

// SetShield shields the scope from enclosing scopes' cancellation, or
// removes the shield. Removing it exposes a pending outer cancellation at
// once: a task blocked inside is woken.
func (s *Scope) SetShield(on bool) {
	if s.shield == on {
		return
	}
	s.shield = on
	if s.state != scopeActive {
		return
	}
	s.refreshDeadlines()
	if !on && s.origin() != nil {
		s.propagate()
	}
}

// Deadline returns the scope's own deadline, if it has one.
func (s *Scope) Deadline() (time.Time, bool) { return s.deadline, s.hasDeadline }

// SetDeadline sets or moves the scope's deadline, effective at once: a
// deadline already past cancels the scope now. A cancelled scope stays
// cancelled if the deadline moves later. It does nothing after the scope
// exited.
func (s *Scope) SetDeadline(t time.Time) { s.setDeadline(t, time.Time{}) }

// setDeadline is SetDeadline with the clock's reading now, if the caller
// has one (zero: read it here).
func (s *Scope) setDeadline(t, now time.Time) {
	if s.state == scopeExited {
		return
	}
	s.deadline, s.hasDeadline = t, true
	s.refreshDeadlines()
	s.timer.Cancel() // one timer per scope, moved with the deadline
	if s.cancelCalled {
		return
	}
	if now.IsZero() {
		now = s.r.loop.Now()
	}
	if !t.After(now) {
		s.cancel(reasonDeadline, "")
		return
	}
	s.timer = s.r.loop.CallAt(t, s.deadlineFired)
}

func (s *Scope) deadlineFired() { s.cancel(reasonDeadline, "") }

func (s *Scope) reasonText() string {
	var what string
	switch s.why {
	case reasonExplicit:
		what = "scope cancelled"
	case reasonDeadline:
		what = "deadline passed"
	case reasonChildFailed:
		what = "a sibling task failed"
	case reasonServices:
		what = "service task stopped: its nursery is done"
	case reasonInterrupt:
		what = "interrupted"
	case reasonDeadlock:
		what = "cancelled to end a deadlock"
	case reasonForeign:
		what = "the context it was opened with ended"
	case reasonParent:
		what = "the run's parent context ended"
	case reasonBlockedLoop:
		what = "a task blocked the loop"
	default:
		what = "cancelled"
	}
	if s.whyText != "" {
		what += " (" + s.whyText + ")"
	}
	if s.owner != nil {
		what += fmt.Sprintf(" in task %q", s.owner.Name())
	}
	return what
}
