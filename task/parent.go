package task

import "context"

// WithParent runs the loop under ctx, as an enclosing scope of the whole
// run: ctx's values are visible to every task, its deadline is the run's,
// and when ctx is done Run cancels every task as a signal would (shields
// still hold), waits for them, and returns an error matching ctx's cause
// (context.Canceled, context.DeadlineExceeded, or WithCancelCause's).
//
// It is how work on a loop is bounded from outside, for instance by an
// HTTP request's ctx:
//
//	func handler(w http.ResponseWriter, req *http.Request) {
//		err := task.Run(func(ctx context.Context) error {
//			return work(ctx) // ends when the client goes away
//		}, task.WithParent(req.Context()), task.WithSignals())
//		...
//	}
//
// ctx's end wakes the loop from another goroutine, but it does not count
// as something that can wake a task: a run whose tasks are all blocked on
// each other is reported as deadlocked, parent or not. A Token's Run
// (see CurrentToken) is the way in for work on a loop that is already
// running.
func WithParent(ctx context.Context) Option { return func(cfg *config) { cfg.parent = ctx } }

// parentError is Run's error when its parent context ended.
type parentError struct{ cause error }

func (e *parentError) Error() string {
	return "task: run stopped by its parent context: " + e.cause.Error()
}

func (e *parentError) Unwrap() error { return e.cause }

// endTop ends the run's top scope once Run is over: its ctx (an ancestor
// of every task's) reports Done, and a parent's callback is stopped.
func (r *runner) endTop() {
	s := r.top
	if s.link != nil {
		s.closeLink()
		return
	}
	s.leave()
	s.markEnded()
}
