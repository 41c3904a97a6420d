package task

import (
	"context"
	"fmt"
	"math"
	"time"
)

// ctxKey finds the innermost scopeCtx in a context chain.
type ctxKey struct{}

// scopeCtx is the context.Context a scope hands its body: Done closes and
// Err turns non-nil when the scope becomes effectively cancelled, Deadline
// is the effective deadline, and values come from the parent.
//
// Its four context methods are safe from any goroutine (the standard
// library calls them from its own: context.AfterFunc, WithCancel's
// propagation, exec.CommandContext). They read only what the loop
// publishes atomically on the scope (ctxErr, doneCh, effDeadline) and
// fields that never change after init. Everything else about a scope is
// the loop's, and the blocking calls that use it must come from the
// owning task (see current).
type scopeCtx struct {
	parent context.Context // immutable
	s      *Scope          // immutable
	t      *Task           // immutable: the only task that may block with this ctx
}

// noDeadline is effDeadline's value for "no deadline".
const noDeadline = math.MaxInt64

// Deadline returns the effective deadline: the earliest deadline of the
// scope and its enclosing scopes up to the first shield, on the loop's
// clock (mock time under a MockClock, which the standard library reads
// as wall time).
func (c *scopeCtx) Deadline() (time.Time, bool) {
	n := c.s.effectiveDeadline()
	if n == noDeadline {
		return time.Time{}, false
	}
	return c.s.r.epoch.Add(time.Duration(n)), true
}

// Done returns a channel closed once the scope is effectively cancelled.
// Successive calls return the same channel.
func (c *scopeCtx) Done() <-chan struct{} {
	s := c.s
	if p := s.doneCh.Load(); p != nil {
		return *p
	}
	s.doneMu.Lock()
	defer s.doneMu.Unlock()
	if p := s.doneCh.Load(); p != nil {
		return *p
	}
	ch := closedChan
	if s.ctxErr.Load() == ctxLive {
		ch = make(chan struct{})
	}
	s.doneCh.Store(&ch)
	return ch
}

// closedChan is the Done channel of a scope cancelled before anyone asked
// for it (context's own closedchan does the same).
var closedChan = func() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}()

// Err returns nil until Done is closed; then context.DeadlineExceeded if a
// deadline caused the cancellation, context.Canceled otherwise. Once
// non-nil it never changes.
func (c *scopeCtx) Err() error {
	switch c.s.ctxErr.Load() {
	case ctxCanceled:
		return context.Canceled
	case ctxDeadline:
		return context.DeadlineExceeded
	}
	return nil
}

func (c *scopeCtx) Value(key any) any {
	if _, ours := key.(ctxKey); ours {
		return c
	}
	return c.parent.Value(key)
}

func (c *scopeCtx) String() string { return fmt.Sprintf("task.ctx(%s)", c.t.Name()) }

// Values of Scope.ctxErr.
const (
	ctxLive int32 = iota
	ctxCanceled
	ctxDeadline
)

// markCancelled publishes that s is effectively cancelled: Err turns
// non-nil and Done closes. It runs on the loop; the first call wins.
func (s *Scope) markCancelled(origin *Scope) {
	code := ctxCanceled
	if origin.why == reasonDeadline {
		code = ctxDeadline
	}
	s.publishDone(code)
}

// markEnded closes the ctx of a scope whose closure has returned (or of a
// task that ended): it belongs to nothing any more, so a goroutine that
// waits on its Done must not wait forever (`go worker(ctx)`). A ctx that
// was cancelled before keeps its Err.
func (s *Scope) markEnded() { s.publishDone(ctxCanceled) }

// publishDone sets Err's code and closes Done, once; it runs on the loop.
// doneMu orders it with a Done call that is making the channel.
func (s *Scope) publishDone(code int32) {
	if s.ctxErr.Load() != ctxLive {
		return
	}
	s.doneMu.Lock()
	s.ctxErr.Store(code)
	if p := s.doneCh.Load(); p != nil && *p != closedChan {
		close(*p)
	}
	s.doneMu.Unlock()
}

// current returns the running task that owns ctx, panicking with advice
// when ctx is not a task ctx or belongs to another task. The common case,
// the running task's own ctx, is small enough to be inlined into every
// blocking operation; the rest is currentSlow.
func current(ctx context.Context, op string) (*Task, *scopeCtx) {
	if c, direct := ctx.(*scopeCtx); direct {
		// Polling first, as in currentSlow.
		if t := c.t; !t.r.loop.Polling() && t.r.current == t {
			return t, c
		}
	}
	return currentSlow(ctx, op)
}

// currentSlow is current for a wrapped ctx, and for misuse.
func currentSlow(ctx context.Context, op string) (*Task, *scopeCtx) {
	c, direct := ctx.(*scopeCtx) // no Value lookup
	if !direct {
		c, _ = ctx.Value(ctxKey{}).(*scopeCtx)
	}
	if c == nil {
		if _, worker := ctx.Value(threadKey{}).(*threadCall); worker {
			panic(fmt.Sprintf("task: %s called with a ToThread worker's ctx; the worker runs on its own goroutine, not on the loop: use FromThread(ctx, fn) to run fn as a task", op))
		}
		panic(fmt.Sprintf("task: %s needs a ctx from task.Run, a nursery or a scope; this one comes from elsewhere", op))
	}
	t := c.t
	// Polling first: a goroutine that sees the loop blocked in its poller
	// is not the loop's, and must not read r.current (the loop writes it).
	if foreign := t.r.loop.Polling(); foreign || t.r.current != t {
		switch {
		case foreign || t.r.current == nil:
			panic(fmt.Sprintf("task: %s called with task %q's ctx from outside any task (a loop callback or another goroutine); use FromThread or a Token to run code on the loop", op, t.Name()))
		default:
			panic(fmt.Sprintf("task: %s called with task %q's ctx from task %q; a ctx belongs to one task, use the ctx your task body received", op, t.Name(), t.r.current.Name()))
		}
	}
	return t, c
}

// cancelErr returns the cancellation error for a blocking call op, or nil
// if the task is not effectively cancelled.
func (t *Task) cancelErr(op string) error {
	s := t.scope
	s.expireDeadlines()
	if s.ctxErr.Load() == ctxLive {
		// Never marked, so not effectively cancelled (markCancelled runs
		// whenever a scope becomes so): no walk up the scope chain.
		return nil
	}
	if o := s.origin(); o != nil {
		return &cancelError{origin: o, op: op}
	}
	return nil
}

// untouched reports that no deadline is set on the scope's unshielded
// chain and that the scope was never effectively cancelled: a cancel
// check has nothing to do (cancelErr would return nil at once).
func (s *Scope) untouched() bool { return s.effDeadline.Load() == 0 && s.ctxErr.Load() == ctxLive }

// expireDeadlines cancels every scope on the unshielded chain whose
// deadline has passed, even if its timer has not fired yet: a deadline
// is checked before a task resumes, not after the callbacks already
// queued (Trio checks deadlines on every scheduler pass).
func (s *Scope) expireDeadlines() {
	if s.effDeadline.Load() == 0 {
		return // no deadline on the chain: nothing to read the clock for
	}
	var now time.Time
	for x := s; x != nil; x = x.parent {
		if x.hasDeadline && !x.cancelCalled {
			if now.IsZero() {
				now = s.r.loop.Now()
			}
			if !x.deadline.After(now) {
				x.cancel(reasonDeadline, "")
			}
		}
		if x.shield {
			break
		}
	}
}
