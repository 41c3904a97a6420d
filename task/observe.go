package task

import (
	"context"
	"fmt"
	"io"
	"time"
)

// Instrument observes every task state transition, on the loop's
// goroutine; it must not block or call into the task package.
type Instrument func(t *Task, from, to State)

// WithInstrument adds an instrument to the run.
func WithInstrument(in Instrument) Option {
	return func(cfg *config) { cfg.instruments = append(cfg.instruments, in) }
}

// instrumentTransition is the single place every state change passes.
func (r *runner) instrumentTransition(t *Task, from, to State) {
	for _, in := range r.cfg.instruments {
		in(t, from, to)
	}
}

// Statistics returns the run's counters: tasks started, task switches,
// coroutine goroutines created, and the loop's counters.
func Statistics(ctx context.Context) Stats {
	c, _ := ctx.Value(ctxKey{}).(*scopeCtx)
	if c == nil {
		panic("task: Statistics needs a ctx from task.Run, a nursery or a scope")
	}
	s := c.t.r.stats
	s.Loop = c.t.r.loop.Stats()
	s.Live = c.t.r.live
	return s
}

// Dump writes the task tree: every live task, indented under the task
// whose nursery it belongs to, with its state and what it waits on.
func Dump(ctx context.Context, w io.Writer) {
	c, _ := ctx.Value(ctxKey{}).(*scopeCtx)
	if c == nil {
		panic("task: Dump needs a ctx from task.Run, a nursery or a scope")
	}
	c.t.r.dump(w)
}

func (r *runner) dump(w io.Writer) {
	children := map[*Task][]*Task{}
	var roots []*Task
	for t := r.all.head; t != nil; t = r.all.next(t) {
		if t.nursery == nil {
			roots = append(roots, t)
		} else {
			children[t.nursery.owner] = append(children[t.nursery.owner], t)
		}
	}
	var walk func(t *Task, depth int)
	walk = func(t *Task, depth int) {
		fmt.Fprintf(w, "%*s- %s [%s", 2*depth, "", t.Name(), t.state)
		if wt := t.wait; wt != nil && !wt.done {
			fmt.Fprintf(w, ": %s", wt.op)
			if wt.op == "Sleep" {
				fmt.Fprintf(w, " until %s", r.epoch.Add(time.Duration(wt.deadline)).Format(time.RFC3339Nano))
			}
		}
		fmt.Fprintln(w, "]")
		kids := children[t]
		for i := len(kids) - 1; i >= 0; i-- {
			walk(kids[i], depth+1)
		}
	}
	for i := len(roots) - 1; i >= 0; i-- {
		walk(roots[i], 0)
	}
}
