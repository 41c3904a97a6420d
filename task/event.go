package task

import "context"

// Event is a flag that tasks can wait for. The zero value is ready for
// every method. There is no Clear: make a new Event instead. An Event is
// tied to a loop only while tasks wait on it.
type Event struct {
	b       Binding
	set     bool
	waiters waitQueue
}

// Set sets the event and wakes every waiter. It is idempotent and not a
// checkpoint. Call it from a task or a callback of the loop whose tasks
// wait (from another goroutine: a Token).
func (e *Event) Set() {
	r := e.b.checkedLoop("Event.Set", "Event")
	if e.set {
		return
	}
	e.set = true
	for e.waiters.handOff(nil) != nil {
	}
	e.b.settle(r, false)
}

// IsSet reports whether Set was called.
func (e *Event) IsSet() bool { return e.set }

// Wait blocks until the event is set (one checkpoint if it already is).
func (e *Event) Wait(ctx context.Context) error {
	t, c := current(ctx, "Event.Wait")
	e.b.use(t.r, "Event")
	if err := t.check(ctx, c, "Event.Wait"); err != nil {
		return err
	}
	if e.set {
		t.r.spend(t)
		return nil
	}
	return e.b.park(ctx, c, t, &e.waiters, "Event.Wait")
}
