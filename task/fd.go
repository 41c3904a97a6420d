package task

import (
	"context"
	"fmt"

	"github.com/f04742a6/reactor"
	"github.com/f04742a6/reactor/loop"
)

// fdKey names one direction of a raw fd wait: what a waiter of
// WaitReadable or WaitWritable is parked on.
type fdKey struct {
	fd  uintptr
	dir int // dirRead or dirWrite
}

// fdWatch is a raw fd some task waits on (WaitReadable, WaitWritable): a
// loop.Registration made for the waits, the loop's one way to watch an
// fd. The fd is the caller's, who may close it or hand it on as soon as a
// wait returns, so it is registered only while a task waits on it, in
// either direction: one epoll_ctl (or kevent) when the first wait starts
// and one when the last ends, as a loop reader's would cost. The records
// are pooled per run.
//
// Invariant: an fdWatch is in runner.fdWatches exactly while its
// registration is open, which is while waiting holds a waiter; the
// registration awaits exactly the directions that have one.
type fdWatch struct {
	r       *runner
	fd      uintptr
	reg     *loop.Registration
	waiting [2]*waiter
	// notifyFn is notify, made once per record: a wait costs no closure.
	notifyFn func(reactor.Ready)
}

// WaitReadable blocks until fd is readable (or hung up, or in error: a
// read will tell). It works for any pollable fd or socket: pipes, netlink,
// raw sockets. It is level-triggered: it returns at once when data is
// already waiting. One task at a time may wait on each direction of an
// fd; a second gets ErrBusyResource. An fd registered with RegisterFD is
// waited on through its PollFD instead: here it is an error.
//
// Closing an fd does not wake its waiter: the kernel's poller forgets a
// closed fd without an event, and the task would wait forever. Call
// NotifyClosing(ctx, fd) first; it wakes the waiters with
// ErrClosedResource.
func WaitReadable(ctx context.Context, fd uintptr) error { return waitFD(ctx, fd, dirRead) }

// WaitWritable blocks until fd is writable; see WaitReadable.
func WaitWritable(ctx context.Context, fd uintptr) error { return waitFD(ctx, fd, dirWrite) }

// waitOps names the waits per direction, in errors.
var waitOps = [2]string{"WaitReadable", "WaitWritable"}

func waitFD(ctx context.Context, fd uintptr, dir int) error {
	op := waitOps[dir]
	t, c := current(ctx, op)
	if err := t.check(ctx, c, op); err != nil {
		return err
	}
	r := t.r
	x := r.fdWatches[fd]
	if x == nil {
		var err error
		if x, err = r.watchFD(fd); err != nil {
			return fmt.Errorf("task: %s: %w", op, err)
		}
	} else if x.waiting[dir] != nil {
		return fmt.Errorf("task: %s fd %d: %w: another task is waiting on it", op, fd, ErrBusyResource)
	} else {
		// Registered for the other direction's wait, long enough for
		// this direction's bit to say nothing (the caller reads and
		// writes without telling us): ask the kernel, level-triggered,
		// and wait for the next edge if it says no.
		x.reg.Consume(dirReady[dir])
		ready, err := x.reg.Probe()
		if err != nil {
			return fmt.Errorf("task: %s fd %d: %w", op, fd, err)
		}
		if ready&dirBits[dir] != 0 {
			r.spend(t)
			return nil
		}
	}
	w := t.newWait(op)
	w.fd, w.onFD = fdKey{fd, dir}, true
	x.waiting[dir] = w
	x.reg.SetAwaited(x.awaited())
	return r.block(ctx, c, t, w, op)
}

// watchFD registers fd for raw waits. A new registration says both
// directions are ready; a level-triggered wait wants the kernel's word
// instead, which its first event gives (the fd's state when it was
// added), so it consumes both.
func (r *runner) watchFD(fd uintptr) (*fdWatch, error) {
	x, ok := r.fdWatchPool.Get()
	if !ok {
		x = &fdWatch{r: r}
		x.notifyFn = x.notify
	}
	reg, err := r.loop.Register(fd, x.notifyFn)
	if err != nil {
		r.fdWatchPool.Put(x)
		return nil, err
	}
	reg.Consume(reactor.Readable | reactor.Writable)
	x.fd, x.reg = fd, reg
	if r.fdWatches == nil {
		r.fdWatches = make(map[uintptr]*fdWatch)
	}
	r.fdWatches[fd] = x
	return x, nil
}

// awaited is the directions a task waits in.
func (x *fdWatch) awaited() reactor.Ready {
	var r reactor.Ready
	for dir, w := range x.waiting {
		if w != nil {
			r |= dirReady[dir]
		}
	}
	return r
}

// notify is the registration's event function: it wakes the waiters the
// event's readiness ends.
func (x *fdWatch) notify(ready reactor.Ready) {
	for dir, bits := range dirBits {
		if w := x.waiting[dir]; w != nil && ready&bits != 0 {
			x.r.unwatchFD(fdKey{x.fd, dir})
			x.r.wake(w, nil)
		}
	}
}

// unwatchFD ends the wait on one direction of a raw fd: the direction's
// readiness is consumed (it was reported; the next wait asks afresh), and
// the registration closed once no direction is waited on.
func (r *runner) unwatchFD(key fdKey) {
	x := r.fdWatches[key.fd]
	x.waiting[key.dir] = nil
	if x.awaited() != 0 {
		x.reg.Consume(dirReady[key.dir])
		x.reg.SetAwaited(x.awaited())
		return
	}
	x.reg.Close()
	delete(r.fdWatches, key.fd)
	x.fd, x.reg = 0, nil
	r.fdWatchPool.Put(x)
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
	for dir, op := range waitOps {
		x := r.fdWatches[fd]
		if x == nil || x.waiting[dir] == nil {
			continue
		}
		w := x.waiting[dir]
		r.undo(w) // unregisters the wait
		r.wake(w, fmt.Errorf("task: %s fd %d: %w: closed by another task (NotifyClosing)", op, fd, ErrClosedResource))
	}
}
