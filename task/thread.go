package task

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// ThreadOption configures ToThread.
type ThreadOption func(*threadConfig)

type threadConfig struct{ abandon bool }

// AbandonOnCancel makes a cancelled ToThread return at once with the
// cancellation instead of waiting for fn; fn's ctx is still cancelled, and
// its eventual result is discarded.
func AbandonOnCancel() ThreadOption { return func(c *threadConfig) { c.abandon = true } }

// DefaultThreadLimit is how many ToThread workers of one Run may run at
// once; further calls wait their turn (FIFO).
const DefaultThreadLimit = 40

type threadKey struct{}

// threadCall is what a worker's ctx carries, so FromThread can find the
// loop and the scope of the task that called ToThread.
type threadCall struct {
	r       *runner
	scope   *Scope          // the caller's scope: FromThread tasks run under it
	ctx     context.Context // the caller's ctx, for values
	abandon bool
	gone    bool // the caller stopped waiting (abandoned): run detached
}

// ToThread runs fn on another goroutine and waits for it, without
// blocking the loop. fn's ctx is cancelled when the caller's scope is
// cancelled (cooperative cancellation: by default the caller still waits
// for fn to return, and gets fn's result); with AbandonOnCancel the caller
// returns at once. A call made in a cancelled scope does not start fn. At
// most DefaultThreadLimit workers run at once. While a worker runs, the
// loop is not idle: a mock clock does not autojump and
// WaitAllTasksBlocked waits. Run waits for every worker to return.
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
	if err := r.threads.acquire(ctx, c, t); err != nil {
		return err
	}
	call := &threadCall{r: r, scope: t.scope, ctx: ctx, abandon: cfg.abandon}
	wctx, cancel := context.WithCancel(context.WithValue(context.WithoutCancel(ctx), threadKey{}, call))
	release := r.loop.Hold()
	w := &waiter{what: "ToThread " + funcName(fn)}
	cancelAsked := false
	w.abort = func() bool {
		cancelAsked = true
		cancel() // ask fn to stop
		if cfg.abandon {
			call.gone = true
		}
		return cfg.abandon
	}
	r.workers.Add(1)
	go func() {
		defer r.workers.Done()
		var p *PanicError
		err := func() (err error) {
			defer func() {
				if v := recover(); v != nil {
					p = newPanicError(v, "ToThread worker")
				}
			}()
			return fn(wctx)
		}()
		cancel()
		r.loop.CallSoonThreadsafe(func() {
			release()
			r.threads.release()
			w.value = p
			r.wake(w, err) // no-op if the caller abandoned it
		})
	}()
	err := r.block(ctx, c, t, w, "ToThread")
	if p, ok := w.value.(*PanicError); ok && p != nil {
		panic(p)
	}
	if cancelAsked && errors.Is(err, context.Canceled) {
		// fn stopped because we asked it to: that is the caller's
		// cancellation, which its scope catches.
		if ce := t.cancelErr("ToThread"); ce != nil {
			return ce
		}
	}
	return err
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
	err := r.loop.CallSoonThreadsafe(func() {
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
	return &Token{r: t.r, release: t.r.wakeSource()}
}

// Run runs fn as a task on the loop, detached from any caller's scope
// (under the run's root), and waits for it. Call it from any goroutine but
// the loop's own. After the run has finished it returns an error matching
// ErrRunFinished.
func (tk *Token) Run(fn func(ctx context.Context) error) error {
	return tk.r.runFromOutside(fn, func() (*Scope, context.Context) { return tk.r.top, tk.r.top.ctx })
}

// Close releases the token; closing twice is harmless. Safe from any
// goroutine.
func (tk *Token) Close() {
	tk.once.Do(func() { tk.r.loop.CallSoonThreadsafe(tk.release) })
}

// threadLimiter bounds the running workers, FIFO.
type threadLimiter struct {
	busy    int
	waiters []*waiter
}

func (l *threadLimiter) acquire(ctx context.Context, c *scopeCtx, t *Task) error {
	if l.busy < DefaultThreadLimit && len(l.waiters) == 0 {
		l.busy++
		return nil
	}
	w := &waiter{what: "ToThread: waiting for a worker slot"}
	w.abort = func() bool {
		for i, x := range l.waiters {
			if x == w {
				l.waiters = append(l.waiters[:i], l.waiters[i+1:]...)
			}
		}
		return true
	}
	l.waiters = append(l.waiters, w)
	return t.r.block(ctx, c, t, w, "ToThread") // release hands the slot over
}

func (l *threadLimiter) release() {
	if len(l.waiters) > 0 {
		w := l.waiters[0]
		l.waiters = l.waiters[1:]
		w.t.r.wake(w, nil) // the slot passes straight to the first waiter
		return
	}
	l.busy--
}
