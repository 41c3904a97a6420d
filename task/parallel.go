package task

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
)

// RunParallel runs n independent loops, each on an OS thread of its own
// (locked with runtime.LockOSThread), each running main(ctx, i) with its
// index i as Run would, with the same options: shard-per-core, the way to
// use more than one core. Tasks never move between loops; loops hand work
// to each other through a Token (CurrentToken on one loop, Token.Run from
// a ToThread worker of another) or any goroutine-safe Go value.
//
// Run's guarantees hold for the set: RunParallel returns once every loop
// has finished, with nothing left running. The first loop whose main
// fails (or panics) cancels the mains of the others, whose cancellation is
// caught (they return nil unless they fail on their own); the errors are
// joined, each said once. A panic in any loop is re-raised, after every
// loop has ended. SIGINT and SIGTERM (or WithSignals' choice) reach every
// loop, so an interrupt cancels them all.
//
// With listeners opened with streams.ReusePort, each loop can accept its
// share of one address's connections.
func RunParallel(n int, main func(ctx context.Context, i int) error, opts ...Option) error {
	if n < 1 {
		panic(fmt.Sprintf("task: RunParallel(%d): need at least one loop", n))
	}
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.poller != nil && n > 1 {
		panic(fmt.Sprintf("task: RunParallel(%d) with WithPoller: each loop needs a poller of its own; run a loop per poller with Run instead", n))
	}
	g := &loopGroup{members: make([]groupMember, n)}
	errs := make([]error, n)
	panics := make([]any, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread() // one loop, one thread: released when the goroutine ends
			defer func() {
				if v := recover(); v != nil {
					panics[i] = v
					g.fail(i)
				}
			}()
			errs[i] = Run(func(ctx context.Context) error {
				return WithScope(ctx, func(ctx context.Context, s *Scope) error {
					g.join(i, CurrentLoop(ctx), s)
					err := main(ctx, i)
					if err != nil && !errors.Is(err, ErrCancelled) {
						g.fail(i)
					}
					return err
				})
			}, opts...)
			if errs[i] != nil {
				g.fail(i)
			}
		}()
	}
	wg.Wait()
	for _, p := range panics {
		if p != nil {
			panic(p)
		}
	}
	return joinDistinct(errs)
}

// loopGroup is the set of loops of one RunParallel.
type loopGroup struct {
	mu      sync.Mutex
	members []groupMember
	failed  bool // a loop failed: every member's scope is (to be) cancelled
}

type groupMember struct {
	loop   LoopRef
	scope  *Scope // the scope around member i's main; nil until it joined
	joined bool
}

// join records loop i's scope; it is cancelled at once if another loop
// already failed. It runs in loop i's main task.
func (g *loopGroup) join(i int, l LoopRef, s *Scope) {
	g.mu.Lock()
	g.members[i] = groupMember{loop: l, scope: s, joined: true}
	failed := g.failed
	g.mu.Unlock()
	if failed {
		s.Cancel()
	}
}

// fail cancels every other loop's main, once. Safe from any goroutine:
// each cancellation is handed to its own loop.
func (g *loopGroup) fail(i int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.failed {
		return
	}
	g.failed = true
	for j, m := range g.members {
		if j != i && m.joined {
			m.loop.Post(m.scope.Cancel) // a loop that already ended needs none
		}
	}
}

// joinDistinct joins the non-nil errors, each message once (an interrupt
// reaches every loop, and would otherwise be said n times).
func joinDistinct(errs []error) error {
	var out []error
	seen := map[string]bool{}
	for _, err := range errs {
		if err != nil && !seen[err.Error()] {
			seen[err.Error()] = true
			out = append(out, err)
		}
	}
	return errors.Join(out...)
}
