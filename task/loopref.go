package task

import (
	"context"
	"fmt"
)

// LoopRef names the loop of a run for code that must reach it from any
// goroutine: a stream's Close, which Go code calls from wherever it likes
// (crypto/tls's HandshakeContext closes its transport from a goroutine of
// its own), hands its work over with Post. The zero value is not usable;
// get one with CurrentLoop.
type LoopRef struct{ r *runner }

// CurrentLoop returns a reference to the calling task's loop.
func CurrentLoop(ctx context.Context) LoopRef {
	t, _ := current(ctx, "CurrentLoop")
	return LoopRef{t.r}
}

// OnLoop reports whether the caller is a task of this loop. It is safe
// from any goroutine and costs about 2 µs (it looks the calling goroutine
// up): for Close paths, not for every Read.
func (l LoopRef) OnLoop() bool {
	t := callerTask()
	return t != nil && t.r == l.r
}

// Post runs fn on the loop's goroutine on its next turn, as a callback
// (not a task: fn must not block, and may Wake a Slot or Close a PollFD).
// It is safe from any goroutine and does not wait for fn. After the run
// ended it returns an error matching ErrRunFinished and fn does not run.
func (l LoopRef) Post(fn func()) error {
	if !l.r.ended.Load() {
		if err := l.r.loop.CallSoonThreadsafe(fn); err == nil {
			return nil
		}
	}
	return fmt.Errorf("task: LoopRef.Post: %w", ErrRunFinished)
}
