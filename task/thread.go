package task

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// ThreadOption configures ToThread.
type ThreadOption func(*threadConfig)

type threadConfig struct {
	abandon bool
	limiter *CapacityLimiter
}

// AbandonOnCancel makes a cancelled ToThread return at once with the
// cancellation instead of waiting for fn; fn's ctx is still cancelled, and
// its eventual result is discarded.
func AbandonOnCancel() ThreadOption { return func(c *threadConfig) { c.abandon = true } }

// Limiter makes ToThread take its token from l instead of the run's
// DefaultThreadLimiter.
func Limiter(l *CapacityLimiter) ThreadOption { return func(c *threadConfig) { c.limiter = l } }

// DefaultThreadLimit is the size of a run's DefaultThreadLimiter.
const DefaultThreadLimit = 40

// DefaultThreadLimiter returns the run's limiter for ToThread workers:
// DefaultThreadLimit tokens to start with, resizable with SetTotal; calls
// beyond it wait their turn (FIFO).
func DefaultThreadLimiter(ctx context.Context) *CapacityLimiter {
	c, _ := ctx.Value(ctxKey{}).(*scopeCtx)
	if c == nil {
		panic("task: DefaultThreadLimiter needs a ctx from task.Run, a nursery or a scope")
	}
	return c.t.r.threads
}

type threadKey struct{}

// threadCall is what a worker's ctx carries, so FromThread can find the
// loop and the scope of the task that called ToThread. It is also the
// borrower of the call's limiter token.
type threadCall struct {
	r       *runner
	scope   *Scope          // the caller's scope: FromThread tasks run under it
	ctx     context.Context // the caller's ctx, for values
	abandon bool
	gone    bool // the caller stopped waiting (abandoned): run detached
}

// workerCtx is the ctx a ToThread worker gets: the caller's ctx (so its
// Done, Err, Deadline and values, all safe from any goroutine), with the
// call for FromThread. It hides the task ctx from task's blocking calls,
// which would otherwise run on the wrong goroutine.
type workerCtx struct {
	context.Context
	call *threadCall
}

func (w *workerCtx) Value(key any) any {
	switch key {
	case threadKey{}:
		return w.call
	case ctxKey{}:
		return nil
	}
	return w.Context.Value(key)
}

// ToThread runs fn on another goroutine and waits for it, without
// blocking the loop. fn's ctx carries the caller's effective deadline and
// is cancelled with the caller's scope; its Err is
// context.DeadlineExceeded when a deadline was the cause. By default the
// caller waits for fn to return; with AbandonOnCancel a cancelled caller
// returns at once. If the caller's scope is cancelled while fn runs,
// ToThread returns that cancellation joined with fn's error (fn's ctx.Err
// itself is not repeated), so the scope that caused it catches it: a
// MoveOnAfter reports timedOut and a FailAfter's error matches ErrTimeout
// even when fn returns its own error ("signal: killed" from os/exec), and
// errors.Is still finds fn's error. A call made in a cancelled scope does
// not start fn.
//
// Workers are goroutines, limited by a CapacityLimiter (the run's
// DefaultThreadLimiter, or Limiter(l)). While a worker runs, the loop is
// not idle: a mock clock does not autojump and WaitAllTasksBlocked
// waits. Run waits for every worker to return.
func ToThread(ctx context.Context, fn func(ctx context.Context) error, opts ...ThreadOption) error {
	var cfg threadConfig
	for _, o := range opts {
		o(&cfg)
	}
	t, c := current(ctx, "ToThread")
	if err := t.check(ctx, c, "ToThread"); err != nil {
		return err
	}
	r := t.r
	lim := cfg.limiter
	if lim == nil {
		lim = r.threads
	}
	call := &threadCall{r: r, scope: t.scope, ctx: ctx, abandon: cfg.abandon}
	if err := lim.acquireFor(ctx, c, t, call, "ToThread"); err != nil {
		return err
	}
	release := r.loop.Hold()
	w := t.newWait("ToThread")
	gen := w.gen // the worker may report after the caller abandoned it and moved on
	w.abort = func() bool {
		// fn's ctx is already cancelled: it is the caller's.
		call.gone = cfg.abandon
		return cfg.abandon
	}
	wctx := &workerCtx{Context: ctx, call: call}
	r.wokeGoroutines = true
	r.workers.start(func() func() {
		var p *PanicError
		err := func() (err error) {
			defer func() {
				if v := recover(); v != nil {
					p = newPanicError(v, "ToThread worker")
				}
			}()
			return fn(wctx)
		}()
		return func() {
			r.loop.CallSoonThreadsafe(func() {
				release()
				lim.releaseFor(r, call)
				if w.gen == gen { // else abandoned: the record serves another wait now
					w.panicked = p
					r.wake(w, err)
				}
			})
		}
	})
	err := r.block(ctx, c, t, w, "ToThread")
	if w.panicked != nil {
		panic(w.panicked)
	}
	if ce := t.cancelErr("ToThread"); ce != nil {
		if err == nil || isContextErr(err) {
			return ce // fn stopped because we asked it to, or finished anyway
		}
		return errors.Join(ce, err)
	}
	return err
}

// isContextErr reports whether err is only a context's cancellation (fn
// returned ctx.Err(), or wrapped it).
func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// FromThread runs fn as a task on the loop, from a ToThread worker, and
// blocks the worker until it is done. ctx must be the worker's ctx. The
// task runs inside the scope of the task that called ToThread, so
// cancelling that scope cancels fn too (unless the call was abandoned: then
// it runs detached).
func FromThread(ctx context.Context, fn func(ctx context.Context) error) error {
	call, _ := ctx.Value(threadKey{}).(*threadCall)
	if call == nil {
		if _, isTask := ctx.Value(ctxKey{}).(*scopeCtx); isTask {
			panic("task: FromThread called with a task's ctx: it is for ToThread workers (pass the worker's ctx); a task can call fn directly")
		}
		return errors.New("task: FromThread needs the ctx of a ToThread worker; from other goroutines use a Token (CurrentToken)")
	}
	return call.r.runFromOutside(fn, func() (*Scope, context.Context) {
		if call.gone {
			return call.r.top, call.r.top.ctx
		}
		return call.scope, call.ctx
	})
}

// runFromOutside runs fn as a task from a goroutine other than the loop's
// and waits for it.
func (r *runner) runFromOutside(fn func(ctx context.Context) error, where func() (*Scope, context.Context)) error {
	done := make(chan error, 1)
	var p *PanicError
	// Post, not a bare CallSoonThreadsafe: a call that lands too late for
	// the loop's last turn is still answered (ErrRunFinished) when Run
	// returns, instead of waiting forever.
	err := LoopRef{r}.Post(func() {
		if r.live == 0 || r.top.state == scopeExited {
			done <- fmt.Errorf("task: %w", ErrRunFinished)
			return
		}
		parent, pctx := where()
		t := r.spawn(fn, parent, pctx, "", funcPC(fn), nil)
		t.done = append(t.done, func() {
			p = t.panicked
			done <- t.result
		})
	})
	if err != nil {
		return fmt.Errorf("task: %w", ErrRunFinished)
	}
	err = <-done
	if p != nil {
		panic(p)
	}
	return err
}

// Token lets any goroutine run code on a Run's loop. An open Token counts
// as a possible source of work: while one is open, a run whose tasks are
// all blocked is not a deadlock. Close it when done.
type Token struct {
	r       *runner
	once    sync.Once
	release func()
}

// CurrentToken returns a new Token for the running loop.
func CurrentToken(ctx context.Context) *Token {
	t, _ := current(ctx, "CurrentToken")
	return &Token{r: t.r, release: t.r.loop.Expect()}
}

// Run runs fn as a task on the loop, detached from any caller's scope
// (under the run's root), and waits for it. Call it from any goroutine but
// the loop's own. After the run has finished it returns an error matching
// ErrRunFinished.
func (tk *Token) Run(fn func(ctx context.Context) error) error {
	return tk.r.runFromOutside(fn, func() (*Scope, context.Context) { return tk.r.top, tk.r.top.ctx })
}

// RunContext is Run bounded by ctx, a context of the calling goroutine
// (an HTTP request's, say): fn runs inside a scope that stands for ctx,
// so ctx's deadline and cancellation reach fn's blocking calls as an
// enclosing scope's would (errors match ErrCancelled and ctx's cause),
// and ctx's values are visible to fn, before the loop's own:
//
//	func (s *server) ServeHTTP(w http.ResponseWriter, req *http.Request) {
//		err := s.token.RunContext(req.Context(), func(ctx context.Context) error {
//			return s.lookup(ctx, req.URL.Path) // cancelled if the client goes away
//		})
//		...
//	}
func (tk *Token) RunContext(ctx context.Context, fn func(ctx context.Context) error) error {
	r := tk.r
	return r.runFromOutside(func(taskCtx context.Context) error {
		t, _ := current(taskCtx, "Token.RunContext")
		s := r.open(t, t.scope, valuesFirst{ctx, taskCtx})
		s.enterTask(t)
		_, hasDL := ctx.Deadline()
		r.link(s, ctx, hasDL, ctx.Done() != nil, true)
		defer s.closeLink()
		return fn(s.ctx)
	}, func() (*Scope, context.Context) { return r.top, r.top.ctx })
}

// valuesFirst is a ctx whose values come from first, then from the rest.
type valuesFirst struct {
	first context.Context
	context.Context
}

func (v valuesFirst) Value(key any) any {
	if x := v.first.Value(key); x != nil {
		return x
	}
	return v.Context.Value(key)
}

// Close releases the token; closing twice is harmless. Safe from any
// goroutine.
func (tk *Token) Close() {
	tk.once.Do(func() { tk.r.loop.CallSoonThreadsafe(tk.release) })
}
