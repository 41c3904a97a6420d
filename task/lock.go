package task

import (
	"context"
	"fmt"
)

// Lock is a mutual-exclusion lock for tasks: FIFO, owned by the task that
// holds it, and not reentrant. The zero value is ready for every method.
// If the owner ends without unlocking, waiters and later callers get
// ErrBrokenResource instead of waiting forever. A Lock is tied to a loop
// while it is held: through its owner, and through b while tasks wait
// (an uncontended Lock and Unlock cost no atomic store).
type Lock struct {
	b     Binding // in use while tasks wait
	owner *Task   // Invariant: nil, or a live task that has l on its list of locks (owner.locks)
	// l's place on owner's list of locks: intrusive, so taking and
	// releasing an uncontended lock is pointer work, not a slice search.
	prevHeld, nextHeld *Lock
	broken             string
	q                  waitQueue // Invariant: empty unless owner != nil (Unlock hands over)
}

func (l *Lock) settle(r *runner) { l.b.settle(r, l.q.Len() > 0) }

// loop returns the loop the lock is in use on (nil if free), panicking if
// the caller is plainly foreign (see Binding.checkedLoop).
func (l *Lock) loop(op string) *runner {
	if o := l.owner; o != nil {
		if o.r.loop.Polling() {
			panic(foreignMisuse(op, "Lock"))
		}
		if r := l.b.r.Load(); r == nil || r == o.r { // waiters, if any, are on the owner's loop
			return o.r
		}
	}
	return l.b.checkedLoop(op, "Lock")
}

// Lock acquires the lock, waiting in FIFO order.
func (l *Lock) Lock(ctx context.Context) error {
	t, c := current(ctx, "Lock.Lock")
	if err := t.check(ctx, c, "Lock.Lock"); err != nil {
		return err
	}
	if l.broken != "" {
		return fmt.Errorf("task: Lock.Lock: %w: %s", ErrBrokenResource, l.broken)
	}
	switch {
	case l.owner == t:
		panic(fmt.Sprintf("task: Lock.Lock by task %q, which already holds it: the lock is not reentrant", t.Name()))
	case l.owner == nil: // no owner, so no waiters: the lock is in use nowhere
		l.acquired(t)
		t.r.spend(t)
		return nil
	case l.owner.r != t.r:
		panic(otherLoopMisuse("Lock"))
	}
	l.b.use(t.r, "Lock")
	// Unlock makes us the owner before waking us.
	return l.b.park(ctx, c, t, &l.q, "Lock.Lock")
}

func (l *Lock) acquired(t *Task) {
	l.owner = t
	l.prevHeld, l.nextHeld = nil, t.locks
	if t.locks != nil {
		t.locks.prevHeld = l
	}
	t.locks = l
}

// released takes l off its owner's list of locks.
func (l *Lock) released() {
	t := l.owner
	if l.prevHeld != nil {
		l.prevHeld.nextHeld = l.nextHeld
	} else {
		t.locks = l.nextHeld
	}
	if l.nextHeld != nil {
		l.nextHeld.prevHeld = l.prevHeld
	}
	l.prevHeld, l.nextHeld = nil, nil
	l.owner = nil
}

// taskEnded breaks the lock: its owner ended while holding it.
func (l *Lock) taskEnded(t *Task) {
	if l.owner != t {
		return
	}
	l.released()
	l.broken = fmt.Sprintf("its owner, task %q, ended without unlocking", t.Name())
	for l.q.handOff(fmt.Errorf("task: Lock.Lock: %w: %s", ErrBrokenResource, l.broken)) != nil {
	}
	l.settle(t.r)
}

// TryLock acquires the lock if it is free, without blocking, and reports
// whether it did. It is not a checkpoint. Call it from a task: on a lock
// nobody holds, finding the calling task costs a goroutine lookup (about
// 2 µs), since there is no ctx to say who calls.
func (l *Lock) TryLock() bool {
	t := callerOn(l.loop("Lock.TryLock"), "Lock.TryLock")
	if l.owner != nil || l.broken != "" {
		return false
	}
	l.acquired(t)
	return true
}

// Unlock releases the lock, handing it straight to the first waiter. Only
// the owner may unlock: anyone else panics. Not a checkpoint.
func (l *Lock) Unlock() {
	r := l.loop("Lock.Unlock")
	if l.owner == nil {
		panic("task: Lock.Unlock of a Lock that is not locked; Unlock only after a successful Lock or TryLock")
	}
	if cur := r.current; cur != l.owner {
		panic(fmt.Sprintf("task: Lock.Unlock by %s; only the owner, task %q, may unlock it", taskName(cur), l.owner.Name()))
	}
	l.released()
	if w := l.q.first(); w != nil {
		l.acquired(w.t)
		l.q.handOff(nil)
	}
	l.settle(r)
}

func taskName(t *Task) string {
	if t == nil {
		return "code outside any task"
	}
	return fmt.Sprintf("task %q", t.Name())
}

// Locked reports whether the lock is held.
func (l *Lock) Locked() bool { return l.owner != nil }

// Condition lets tasks wait for a notification while holding a Lock. It is
// tied to a loop only while tasks wait on it.
type Condition struct {
	b Binding
	l *Lock
	q waitQueue
}

// NewCondition returns a condition that uses l.
func NewCondition(l *Lock) *Condition { return &Condition{l: l} }

// Wait releases the lock, waits for Notify, and re-acquires the lock
// before returning, also when cancelled: the lock is held on every return.
// The caller must hold the lock.
func (c *Condition) Wait(ctx context.Context) error {
	t, sc := current(ctx, "Condition.Wait")
	if c.l.owner != t {
		panic("task: Condition.Wait without holding its lock; Lock it first")
	}
	c.b.use(t.r, "Condition")
	if err := t.check(ctx, sc, "Condition.Wait"); err != nil {
		return err
	}
	c.l.Unlock()
	err := c.b.park(ctx, sc, t, &c.q, "Condition.Wait")
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
	r := c.l.loop("Condition.Notify")
	if c.l.owner == nil || r.current != c.l.owner {
		panic("task: Condition.Notify without holding its lock; Lock it first")
	}
	for ; n > 0 && c.q.handOff(nil) != nil; n-- {
	}
	c.b.settle(r, c.q.Len() > 0)
}

// NotifyAll wakes every waiter.
func (c *Condition) NotifyAll() { c.Notify(c.q.Len()) }
