package task

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
)

// LoopRef names the loop of a run for code that must reach it from any
// goroutine: a stream's Close, which Go code calls from wherever it likes
// (crypto/tls's HandshakeContext closes its transport from a goroutine of
// its own), hands its work over with Post. The zero value is not usable;
// get one with CurrentLoop. An object that has no ctx at hand when it
// needs its loop (a Close) keeps a Binding instead.
type LoopRef struct{ r *runner }

// CurrentLoop returns a reference to the calling task's loop.
func CurrentLoop(ctx context.Context) LoopRef {
	t, _ := current(ctx, "CurrentLoop")
	return LoopRef{t.r}
}

// InTask reports whether the caller is a task of this loop. It is safe
// from any goroutine and costs about 2 µs (it looks the calling goroutine
// up): for Close paths, not for every Read.
func (l LoopRef) InTask() bool {
	t := callerTask()
	return t != nil && t.r == l.r
}

// Post runs fn on the loop's goroutine, as a callback (not a task: fn
// must not block, and may Wake a Slot or Close a PollFD), and does not
// wait for it. fn runs exactly once: on the loop's next turn, or, if the
// run ends before the loop has a turn left for it, when Run returns (on
// Run's goroutine, after its last task and before it closes what was
// left open). Once the run has ended Post returns an error matching
// ErrRunFinished and fn does not run. Safe from any goroutine.
func (l LoopRef) Post(fn func()) error {
	r := l.r
	p := &posted{fn: fn, in: &r.posts}
	if r.ended.Load() || !r.posts.add(p) {
		return fmt.Errorf("task: LoopRef.Post: %w", ErrRunFinished)
	}
	// If the loop has closed, Run's end has run fn already (drain): the
	// list is closed before the loop is.
	_ = r.loop.CallSoonThreadsafe(p.run)
	return nil
}

// posts are the callbacks handed over with Post that have not run yet.
// Invariant: a callback is in queued from Post until it runs, by the
// loop (posted.run) or by Run's end (drain), whichever takes it out
// first; once closed is set, nothing is added.
type posts struct {
	mu     sync.Mutex
	closed bool
	seq    uint64
	queued map[*posted]struct{}
}

// posted is one callback handed over with Post.
type posted struct {
	fn  func()
	in  *posts
	seq uint64 // the order of Posts, for drain
}

// add queues p, and reports false once the list is closed.
func (s *posts) add(p *posted) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.queued == nil {
		s.queued = make(map[*posted]struct{})
	}
	s.seq++
	p.seq = s.seq
	s.queued[p] = struct{}{}
	return true
}

// run is the loop's callback for p: it runs fn unless drain took it.
func (p *posted) run() {
	s := p.in
	s.mu.Lock()
	_, ok := s.queued[p]
	delete(s.queued, p)
	s.mu.Unlock()
	if ok {
		p.fn()
	}
}

// drain closes the list and runs what the loop had no turn left for, in
// the order it was posted. Run calls it once its last task has ended.
func (s *posts) drain() {
	s.mu.Lock()
	s.closed = true
	left := make([]*posted, 0, len(s.queued))
	for p := range s.queued {
		left = append(left, p)
	}
	clear(s.queued)
	s.mu.Unlock()
	slices.SortFunc(left, func(a, b *posted) int { return cmp.Compare(a.seq, b.seq) })
	for _, p := range left {
		p.fn()
	}
}
