package task

import (
	"context"
	"fmt"
)

// bound ties a synchronisation object to the loop it is first used on:
// tasks of one loop never race, but another loop runs on another thread.
type bound struct{ r *runner }

func (b *bound) bind(r *runner, what string) {
	if b.r == nil {
		b.r = r
	} else if b.r != r {
		panic(fmt.Sprintf("task: a %s belongs to the loop it was first used on; between loops (task.Run calls) use a Token or ToThread", what))
	}
}

// Event is a flag that tasks can wait for. The zero value is ready.
// There is no Clear: make a new Event instead.
type Event struct {
	bound
	set     bool
	waiters []*waiter
}

// Set sets the event and wakes every waiter. Idempotent, not a checkpoint.
func (e *Event) Set() {
	if e.set {
		return
	}
	e.set = true
	for _, w := range e.waiters {
		w.t.r.wake(w, nil)
	}
	e.waiters = nil
}

// IsSet reports whether Set was called.
func (e *Event) IsSet() bool { return e.set }

// Wait blocks until the event is set (one checkpoint if it already is).
func (e *Event) Wait(ctx context.Context) error {
	t, c := current(ctx, "Event.Wait")
	e.bind(t.r, "Event")
	if err := t.check(ctx, c, "Event.Wait"); err != nil {
		return err
	}
	if e.set {
		return t.r.checkpoint(ctx, c, t, "Event.Wait")
	}
	w := &waiter{what: "Event.Wait", queue: &e.waiters}
	e.waiters = append(e.waiters, w)
	return t.r.block(ctx, c, t, w, "Event.Wait")
}

// queue is a FIFO of parked tasks with hand-off: a freed resource goes
// straight to the first waiter, so nobody can barge in (a "parking lot").
type queue struct{ waiters []*waiter }

func (q *queue) park(ctx context.Context, c *scopeCtx, t *Task, what, op string) error {
	w := &waiter{what: what, queue: &q.waiters}
	q.waiters = append(q.waiters, w)
	return t.r.block(ctx, c, t, w, op)
}

// handOff wakes the first waiter with err, reporting whether there was one.
func (q *queue) handOff(err error) *waiter {
	if len(q.waiters) == 0 {
		return nil
	}
	w := q.waiters[0]
	q.waiters = q.waiters[1:]
	w.t.r.wake(w, err)
	return w
}

// Lock is a mutual-exclusion lock for tasks: FIFO, owned by the task that
// holds it, and not reentrant. The zero value is ready. If the owner ends
// without unlocking, waiters and later callers get ErrBrokenResource
// instead of waiting forever.
type Lock struct {
	bound  // by the first Lock(ctx): how TryLock finds its task
	owner  *Task
	broken string
	q      queue
}

// Lock acquires the lock, waiting in FIFO order.
func (l *Lock) Lock(ctx context.Context) error {
	t, c := current(ctx, "Lock.Lock")
	l.bind(t.r, "Lock")
	if err := t.check(ctx, c, "Lock.Lock"); err != nil {
		return err
	}
	if l.broken != "" {
		return fmt.Errorf("task: Lock.Lock: %w: %s", ErrBrokenResource, l.broken)
	}
	if l.owner == t {
		panic(fmt.Sprintf("task: Lock.Lock by task %q, which already holds it: the lock is not reentrant", t.Name()))
	}
	if l.owner == nil && len(l.q.waiters) == 0 {
		l.acquired(t)
		return t.r.checkpoint(ctx, c, t, "Lock.Lock")
	}
	// Unlock makes us the owner before waking us.
	return l.q.park(ctx, c, t, "Lock.Lock (held by "+l.owner.Name()+")", "Lock.Lock")
}

func (l *Lock) acquired(t *Task) {
	l.owner = t
	t.hold(l)
}

// taskEnded breaks the lock: its owner ended while holding it.
func (l *Lock) taskEnded(t *Task) {
	if l.owner != t {
		return
	}
	l.owner = nil
	l.broken = fmt.Sprintf("its owner, task %q, ended without unlocking", t.Name())
	for l.q.handOff(fmt.Errorf("task: Lock.Lock: %w: %s", ErrBrokenResource, l.broken)) != nil {
	}
}

// TryLock acquires the lock if it is free and nobody waits, without
// blocking. It must be called from a task, on a lock already used with
// Lock(ctx) (that is how it knows its loop and so the calling task).
func (l *Lock) TryLock() bool {
	if l.r == nil || l.r.current == nil {
		panic("task: Lock.TryLock needs the calling task: call it from a task, on a lock that has been used with Lock(ctx)")
	}
	t := l.r.current
	if l.owner != nil || len(l.q.waiters) > 0 || l.broken != "" {
		return false
	}
	l.acquired(t)
	return true
}

// Unlock releases the lock, handing it straight to the first waiter. Only
// the owner may unlock: anyone else panics. Not a checkpoint.
func (l *Lock) Unlock() {
	if l.owner == nil {
		panic("task: Lock.Unlock of a lock that is not locked")
	}
	cur := l.owner.r.current
	if cur != l.owner {
		panic(fmt.Sprintf("task: Lock.Unlock by %s; only the owner, task %q, may unlock", taskName(cur), l.owner.Name()))
	}
	l.owner.unhold(l)
	l.owner = nil
	if len(l.q.waiters) > 0 {
		w := l.q.waiters[0]
		l.acquired(w.t)
		l.q.handOff(nil)
	}
}

func taskName(t *Task) string {
	if t == nil {
		return "code outside any task"
	}
	return fmt.Sprintf("task %q", t.Name())
}

// Locked reports whether the lock is held.
func (l *Lock) Locked() bool { return l.owner != nil }

// Semaphore counts permits. Acquire takes one, waiting FIFO; Release
// returns one, straight to the first waiter if there is one.
type Semaphore struct {
	bound
	value int
	q     queue
}

// NewSemaphore returns a semaphore with n permits; n < 0 panics.
func NewSemaphore(n int) *Semaphore {
	if n < 0 {
		panic(fmt.Sprintf("task: NewSemaphore(%d): the value must be 0 or more", n))
	}
	return &Semaphore{value: n}
}

// Acquire takes a permit. A cancelled Acquire takes nothing.
func (s *Semaphore) Acquire(ctx context.Context) error {
	t, c := current(ctx, "Semaphore.Acquire")
	s.bind(t.r, "Semaphore")
	if err := t.check(ctx, c, "Semaphore.Acquire"); err != nil {
		return err
	}
	if s.value > 0 && len(s.q.waiters) == 0 {
		s.value--
		return t.r.checkpoint(ctx, c, t, "Semaphore.Acquire")
	}
	return s.q.park(ctx, c, t, "Semaphore.Acquire", "Semaphore.Acquire")
}

// TryAcquire takes a permit if one is free and nobody waits.
func (s *Semaphore) TryAcquire() bool {
	if s.value > 0 && len(s.q.waiters) == 0 {
		s.value--
		return true
	}
	return false
}

// Release returns a permit. Not a checkpoint.
func (s *Semaphore) Release() {
	if s.q.handOff(nil) == nil {
		s.value++
	}
}

// Value returns the number of free permits.
func (s *Semaphore) Value() int { return s.value }

// Condition lets tasks wait for a notification while holding a Lock.
type Condition struct {
	l *Lock
	q queue
}

// NewCondition returns a condition bound to l.
func NewCondition(l *Lock) *Condition { return &Condition{l: l} }

// Wait releases the lock, waits for Notify, and re-acquires the lock
// before returning, also when cancelled: the lock is held on every return.
// The caller must hold the lock.
func (c *Condition) Wait(ctx context.Context) error {
	t, sc := current(ctx, "Condition.Wait")
	if c.l.owner != t {
		panic("task: Condition.Wait without holding its lock")
	}
	if err := t.check(ctx, sc, "Condition.Wait"); err != nil {
		return err
	}
	c.l.Unlock()
	err := c.q.park(ctx, sc, t, "Condition.Wait", "Condition.Wait")
	// Re-acquire shielded: a cancellation must not leave us without it.
	lerr := Shield(ctx, func(ctx context.Context) error { return c.l.Lock(ctx) })
	if lerr != nil {
		return lerr
	}
	return err
}

// Notify wakes up to n waiters (they then queue for the lock, FIFO). The
// caller must hold the lock.
func (c *Condition) Notify(n int) {
	if c.l.owner == nil || c.l.owner.r.current != c.l.owner {
		panic("task: Condition.Notify without holding its lock")
	}
	for ; n > 0 && c.q.handOff(nil) != nil; n-- {
	}
}

// NotifyAll wakes every waiter.
func (c *Condition) NotifyAll() { c.Notify(len(c.q.waiters)) }

// CapacityLimiter limits how many tasks use a resource at once; each
// borrower (task) holds at most one token. SetTotal resizes it at any
// time.
type CapacityLimiter struct {
	bound     // by the first Acquire: how Release finds its task
	total     int
	borrowers map[*Task]bool
	q         queue
}

// NewCapacityLimiter returns a limiter with n tokens; n < 0 panics.
func NewCapacityLimiter(n int) *CapacityLimiter {
	if n < 0 {
		panic(fmt.Sprintf("task: NewCapacityLimiter(%d): the total must be 0 or more", n))
	}
	return &CapacityLimiter{total: n, borrowers: map[*Task]bool{}}
}

// Acquire borrows a token for the calling task, waiting FIFO. A task that
// already holds one panics. A cancelled Acquire borrows nothing.
func (l *CapacityLimiter) Acquire(ctx context.Context) error {
	t, c := current(ctx, "CapacityLimiter.Acquire")
	l.bind(t.r, "CapacityLimiter")
	if l.borrowers[t] {
		panic(fmt.Sprintf("task: CapacityLimiter.Acquire: task %q already holds a token", t.Name()))
	}
	if err := t.check(ctx, c, "CapacityLimiter.Acquire"); err != nil {
		return err
	}
	if len(l.borrowers) < l.total && len(l.q.waiters) == 0 {
		l.borrowers[t] = true
		return t.r.checkpoint(ctx, c, t, "CapacityLimiter.Acquire")
	}
	return l.q.park(ctx, c, t, "CapacityLimiter.Acquire", "CapacityLimiter.Acquire") // the releaser records us
}

// Release returns the calling task's token. It panics if the task holds
// none. Not a checkpoint.
func (l *CapacityLimiter) Release() {
	var t *Task
	if l.r != nil {
		t = l.r.current
	}
	if t == nil || !l.borrowers[t] {
		panic(fmt.Sprintf("task: CapacityLimiter.Release by %s, which holds no token", taskName(t)))
	}
	delete(l.borrowers, t)
	l.admit()
}

// admit hands free tokens to waiters, FIFO.
func (l *CapacityLimiter) admit() {
	for len(l.borrowers) < l.total && len(l.q.waiters) > 0 {
		l.borrowers[l.q.waiters[0].t] = true
		l.q.handOff(nil)
	}
}

// SetTotal changes the number of tokens. Raising it admits waiters at
// once; lowering it evicts nobody.
func (l *CapacityLimiter) SetTotal(n int) {
	if n < 0 {
		panic(fmt.Sprintf("task: CapacityLimiter.SetTotal(%d): the total must be 0 or more", n))
	}
	l.total = n
	l.admit()
}

// Borrowed returns the tokens in use; Available the ones free.
func (l *CapacityLimiter) Borrowed() int { return len(l.borrowers) }

// Available returns total minus borrowed (0 if the total was lowered
// below what is borrowed).
func (l *CapacityLimiter) Available() int { return max(l.total-len(l.borrowers), 0) }
