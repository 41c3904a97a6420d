package task

import (
	"context"
	"fmt"
)

// CapacityLimiter limits how many tasks use a resource at once; each
// borrower holds at most one token. SetTotal resizes it at any time. A
// fresh limiter is ready for every method; it is tied to a loop only
// while tokens are borrowed or tasks wait.
type CapacityLimiter struct {
	b     Binding
	total int
	// Invariant: borrowers holds each borrower of a token (a task, or for
	// ToThread the call it made), at most total of them unless SetTotal
	// lowered it; waiters' borrowers are in waiter.owner.
	borrowers map[any]struct{}
	q         waitQueue // Invariant: empty unless no token is free
}

// NewCapacityLimiter returns a limiter with n tokens; n < 0 panics.
func NewCapacityLimiter(n int) *CapacityLimiter {
	if n < 0 {
		panic(fmt.Sprintf("task: NewCapacityLimiter(%d): the total must be 0 or more", n))
	}
	return &CapacityLimiter{total: n, borrowers: map[any]struct{}{}}
}

func (l *CapacityLimiter) settle(r *runner) {
	l.b.settle(r, len(l.borrowers) > 0 || l.q.Len() > 0)
}

// Acquire borrows a token for the calling task, waiting FIFO. A task that
// already holds one panics. A cancelled Acquire borrows nothing.
func (l *CapacityLimiter) Acquire(ctx context.Context) error {
	t, c := current(ctx, "CapacityLimiter.Acquire")
	if _, ok := l.borrowers[t]; ok {
		panic(fmt.Sprintf("task: CapacityLimiter.Acquire: task %q already holds a token of this limiter; Release it first", t.Name()))
	}
	return l.acquireFor(ctx, c, t, t, "CapacityLimiter.Acquire")
}

// acquireFor borrows a token for borrower, made by task t.
func (l *CapacityLimiter) acquireFor(ctx context.Context, c *scopeCtx, t *Task, borrower any, op string) error {
	l.b.use(t.r, "CapacityLimiter")
	if l.borrowers == nil {
		l.borrowers = map[any]struct{}{} // a zero CapacityLimiter: no tokens, but usable
	}
	if err := t.check(ctx, c, op); err != nil {
		return err
	}
	if len(l.borrowers) < l.total && l.q.Len() == 0 {
		l.borrowers[borrower] = struct{}{}
		l.settle(t.r)
		t.r.spend(t)
		return nil
	}
	w := t.newWait(op)
	w.queue, w.owner = &l.q, borrower
	l.q.Push(w)
	l.settle(t.r)
	err := t.r.block(ctx, c, t, w, op) // admit records the borrower
	l.settle(t.r)
	return err
}

// Release returns the calling task's token. It panics if the task holds
// none. Not a checkpoint.
func (l *CapacityLimiter) Release() {
	r := l.b.checkedLoop("CapacityLimiter.Release", "CapacityLimiter")
	t := callerOn(r, "CapacityLimiter.Release")
	if _, ok := l.borrowers[t]; !ok {
		panic(fmt.Sprintf("task: CapacityLimiter.Release by task %q, which holds no token of this limiter; Release only after a successful Acquire", t.Name()))
	}
	l.releaseFor(t.r, t)
}

// releaseFor returns borrower's token, on the loop.
func (l *CapacityLimiter) releaseFor(r *runner, borrower any) {
	delete(l.borrowers, borrower)
	l.admit()
	l.settle(r)
}

// admit hands free tokens to waiters, FIFO.
func (l *CapacityLimiter) admit() {
	for len(l.borrowers) < l.total {
		w := l.q.first()
		if w == nil {
			return
		}
		l.borrowers[w.owner] = struct{}{}
		l.q.handOff(nil)
	}
}

// SetTotal changes the number of tokens. Raising it admits waiters at
// once; lowering it evicts nobody.
func (l *CapacityLimiter) SetTotal(n int) {
	if n < 0 {
		panic(fmt.Sprintf("task: CapacityLimiter.SetTotal(%d): the total must be 0 or more", n))
	}
	r := l.b.checkedLoop("CapacityLimiter.SetTotal", "CapacityLimiter")
	l.total = n
	l.admit()
	if r != nil {
		l.settle(r)
	}
}

// Total returns the number of tokens.
func (l *CapacityLimiter) Total() int { return l.total }

// Borrowed returns the tokens in use.
func (l *CapacityLimiter) Borrowed() int { return len(l.borrowers) }

// Available returns total minus borrowed (0 if the total was lowered
// below what is borrowed).
func (l *CapacityLimiter) Available() int { return max(l.total-len(l.borrowers), 0) }
