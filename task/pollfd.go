package task

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/f04742a6/reactor"
	"github.com/f04742a6/reactor/loop"
)

// PollFD is an fd registered with a task's loop for as long as it is open:
// what a stream or listener sits on. It is the layer above task's seam for
// non-blocking I/O: the caller makes the system call; when it would block,
// the caller waits on the PollFD for the direction, which costs no system
// call (the registration was made once, in RegisterFD, and readiness is
// kept on it).
//
// One task at a time may wait on each direction: a reader and a writer
// may wait at once (full duplex), a second reader gets ErrBusyResource.
//
// Readiness starts optimistic (both directions ready), so the first read
// or write is tried at once. It is cleared only by Consume (the caller saw
// a call would block, or come up short) and set by the poller's events;
// hang-up and error, once reported, stay set: they are the kernel's last
// word, and a waiter on a hung-up fd never parks.
//
// Methods other than Close must be called from tasks of the loop that
// registered the fd.
type PollFD struct {
	r   *runner
	reg *loop.Registration
	fd  uintptr

	// ready is what the caller may try without waiting. Invariant: the
	// bits set since the last Consume of each, starting from both.
	ready reactor.Ready
	// waiting holds the parked reader ([0]) and writer ([1]).
	waiting [2]Slot

	closed    atomic.Bool // Close was called: every later wait fails at once
	closeOnce sync.Once
}

// Directions of a PollFD.
const (
	dirRead  = 0
	dirWrite = 1
)

// readBits and writeBits are the readiness that ends a wait per direction.
var dirBits = [2]reactor.Ready{
	reactor.Readable | reactor.HangUp | reactor.Error,
	reactor.Writable | reactor.Error,
}

// RegisterFD registers fd (a non-blocking socket, pipe or other pollable
// fd) with the calling task's loop until Close. Registering an fd twice,
// or one AddReader/WaitReadable also watches, is an error.
func RegisterFD(ctx context.Context, fd uintptr) (*PollFD, error) {
	t, _ := current(ctx, "RegisterFD")
	f := &PollFD{r: t.r, fd: fd, ready: reactor.Readable | reactor.Writable}
	reg, err := t.r.loop.Register(fd, f.notify)
	if err != nil {
		return nil, fmt.Errorf("task: RegisterFD: %w", err)
	}
	f.reg = reg
	return f, nil
}

// FD returns the registered fd.
func (f *PollFD) FD() uintptr { return f.fd }

// notify is the registration's event callback, from the poll phase: it
// records the readiness and wakes the waiter it ends. A queue push, no
// more.
func (f *PollFD) notify(r reactor.Ready) {
	f.ready |= r
	for dir, bits := range dirBits {
		if r&bits != 0 {
			f.waiting[dir].Wake(nil)
		}
	}
}

// Ready reports what the registration says can be tried without waiting:
// Readable, Writable, and the sticky HangUp and Error. No system call.
func (f *PollFD) Ready() reactor.Ready { return f.ready }

// Consume clears bits of the readiness: the caller saw a call would
// block, or a read come up short (the kernel had no more). HangUp and
// Error cannot be cleared. On Windows it also re-arms the AFD request.
func (f *PollFD) Consume(bits reactor.Ready) {
	bits &^= reactor.HangUp | reactor.Error
	f.ready &^= bits
	f.reg.Consume(bits)
}

// WaitReadable parks the calling task until the fd is readable, hung up or
// in error, and returns at once if it already is (see Ready). It is the
// wait half of a checkpoint: a cancelled task's wait fails with the
// cancellation error, and a PollFD closed while it waits (or before)
// fails with an error matching ErrClosedResource. op names the caller's
// operation in errors.
func (f *PollFD) WaitReadable(ctx context.Context, op string) error {
	return f.wait(ctx, dirRead, op)
}

// WaitWritable is WaitReadable for writing.
func (f *PollFD) WaitWritable(ctx context.Context, op string) error {
	return f.wait(ctx, dirWrite, op)
}

func (f *PollFD) wait(ctx context.Context, dir int, op string) error {
	t, c := current(ctx, op)
	if err := t.check(ctx, c, op); err != nil {
		return err
	}
	if f.closed.Load() {
		return f.closedError(op)
	}
	if f.ready&dirBits[dir] != 0 {
		return nil
	}
	f.r.ioWaits++ // a parked reader or writer is I/O that can still come: no deadlock
	err := f.waiting[dir].park(ctx, c, t, op)
	f.r.ioWaits--
	return err
}

func (f *PollFD) closedError(op string) error {
	return fmt.Errorf("task: %s fd %d: %w", op, f.fd, ErrClosedResource)
}

// Closed reports whether Close was called. Safe from any goroutine.
func (f *PollFD) Closed() bool { return f.closed.Load() }

// Close unregisters the fd, wakes its waiters with an error matching
// ErrClosedResource, and then calls closeFD (which closes the fd: the
// registration does not know how). It is idempotent and safe from any
// goroutine: from a task of the fd's loop, it all happens before Close
// returns; from anywhere else, Close marks the PollFD closed at once (no
// later wait starts) and hands the rest to the loop, which runs it on its
// next turn, or, if the run has ended, runs it before returning. It
// returns closeFD's error when closeFD ran before it returned; later calls
// return nil.
func (f *PollFD) Close(closeFD func(fd uintptr) error) error {
	if f.closed.Swap(true) {
		return nil
	}
	l := LoopRef{f.r}
	if l.OnLoop() {
		return f.finishClose(closeFD)
	}
	if err := l.Post(func() { f.finishClose(closeFD) }); err != nil {
		return f.finishClose(closeFD) // the loop is gone, and so is the registration
	}
	return nil
}

// finishClose is the loop's half of Close.
func (f *PollFD) finishClose(closeFD func(fd uintptr) error) (err error) {
	f.closeOnce.Do(func() {
		if !f.r.ended.Load() {
			for dir := range f.waiting {
				if w := f.waiting[dir].w; w != nil {
					f.waiting[dir].Wake(f.closedError(w.op))
				}
			}
			f.reg.Close()
		}
		err = closeFD(f.fd)
	})
	return err
}

// OnLoop reports whether the caller is a task of the fd's loop (about
// 2 µs; see LoopRef.OnLoop).
func (f *PollFD) OnLoop() bool { return LoopRef{f.r}.OnLoop() }
