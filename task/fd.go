package task

import (
	"context"
	"fmt"
)

type fdKey struct {
	fd    uintptr
	write bool
}

// WaitReadable blocks until fd is readable (or hung up, or in error: a
// read will tell). It works for any pollable fd or socket: pipes, netlink,
// raw sockets. It is level-triggered: it returns at once when data is
// already waiting. One task at a time may wait on each direction of an
// fd; a second gets ErrBusyResource.
//
// Closing an fd does not wake its waiter: the kernel's poller forgets a
// closed fd without an event, and the task would wait forever. Call
// NotifyClosing(ctx, fd) first; it wakes the waiters with
// ErrClosedResource.
func WaitReadable(ctx context.Context, fd uintptr) error { return waitFD(ctx, fd, false) }

// WaitWritable blocks until fd is writable; see WaitReadable.
func WaitWritable(ctx context.Context, fd uintptr) error { return waitFD(ctx, fd, true) }

func waitFD(ctx context.Context, fd uintptr, write bool) error {
	op := "WaitReadable"
	if write {
		op = "WaitWritable"
	}
	t, c := current(ctx, op)
	if err := t.check(ctx, c, op); err != nil {
		return err
	}
	r := t.r
	key := fdKey{fd, write}
	if r.fdWait[key] != nil {
		return fmt.Errorf("task: %s fd %d: %w: another task is waiting on it", op, fd, ErrBusyResource)
	}
	add := r.loop.AddReader
	if write {
		add = r.loop.AddWriter
	}
	w := t.newWait(op)
	if w.fdFn == nil {
		w.fdFn = w.fdReady // made once per record, which tasks reuse
	}
	if err := add(fd, w.fdFn); err != nil {
		return fmt.Errorf("task: %s: %w", op, err)
	}
	w.fd, w.onFD = key, true
	if r.fdWait == nil {
		r.fdWait = make(map[fdKey]*waiter)
	}
	r.fdWait[key] = w
	return r.block(ctx, c, t, w, op)
}

// fdReady is the loop's fd callback of an fd wait (w.fdFn).
func (w *waiter) fdReady() {
	w.t.r.unwatchFD(w.fd)
	w.t.r.wake(w, nil)
}

// unwatchFD ends the watch of an fd wait.
func (r *runner) unwatchFD(key fdKey) {
	if key.write {
		r.loop.RemoveWriter(key.fd)
	} else {
		r.loop.RemoveReader(key.fd)
	}
	delete(r.fdWait, key)
}

// NotifyClosing wakes every task waiting on fd (WaitReadable,
// WaitWritable) with an error matching ErrClosedResource. Call it before
// closing an fd another task may be waiting on (streams do it in Close):
// Go code closes a listener to stop an Accept, and here that must never
// leave a task waiting forever. It is not a checkpoint, and does nothing
// if no task waits on fd.
func NotifyClosing(ctx context.Context, fd uintptr) {
	t, _ := current(ctx, "NotifyClosing")
	r := t.r
	for _, write := range [...]bool{false, true} {
		w := r.fdWait[fdKey{fd, write}]
		if w == nil {
			continue
		}
		op := "WaitReadable"
		if write {
			op = "WaitWritable"
		}
		r.undo(w) // unregisters the wait
		r.wake(w, fmt.Errorf("task: %s fd %d: %w: closed by another task (NotifyClosing)", op, fd, ErrClosedResource))
	}
}
