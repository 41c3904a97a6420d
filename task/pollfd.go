package task

import (
	"context"
	"fmt"
	"path"
	"reflect"
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
// The readiness is the registration's (loop.Registration.Ready, which
// reads the poller's one record of it): it starts optimistic (both
// directions ready), so the first read or write is tried at once. It is
// cleared only by Consume (the caller saw a call would block, or come up
// short) and set by the poller's events; hang-up and error, once
// reported, stay set: they are the kernel's last word, and a waiter on a
// hung-up fd never parks. CanRead, CanWrite and HungUp say what the bits
// mean for a caller.
//
// A PollFD belongs to the Run whose task registered it. Methods other
// than Close, Closed, FD and InTask must be called from that Run's tasks;
// CheckCancelled and the waits, called from a task of another Run (one
// running at the same time, or one started after this one ended), panic
// with a message that names the fd (its owner, see Own), the task that
// made it and what to do instead. Close is safe from anywhere and at any
// time, also after the Run returned, and idempotent.
//
// When Run returns, a PollFD still open is unregistered and reported
// (one log record, through the Run's logger: what it is, its addresses,
// the task that registered it), and closed if it has an owner; see
// RegisterFD and Own.
type PollFD struct {
	// home ties the PollFD to its Run's loop, for good: set by RegisterFD
	// (see run). Close reaches the loop through it (Binding.Do).
	home Binding
	reg  *loop.Registration
	fd   uintptr
	// waiting holds the parked reader ([dirRead]) and writer ([dirWrite]).
	// Invariant: the registration awaits exactly the directions that have
	// a waiter (see awaited).
	waiting [2]Slot

	closed atomic.Bool // Close was called: every later wait fails at once

	// owner is what the fd belongs to (Own): it names the fd in misuse
	// panics and Run's report, and closes it when Run ends with it open.
	// nil: a raw registration, which Run only unregisters.
	owner FDOwner
	// madeBy and madePC name the task that registered the fd (its given
	// name, else its function's), for misuse panics and Run's report.
	madeBy string
	madePC uintptr
}

// FDOwner is what a PollFD's fd belongs to: a stream, a listener, a
// datagram socket. See PollFD.Own.
type FDOwner interface {
	// String says what it is, with its addresses, for people ("TCP
	// stream 127.0.0.1:41234->127.0.0.1:5000"). It must not block: it is
	// called by misuse panics and by Run's report of what was left open.
	String() string
	// Close closes it, and the fd with it, through PollFD.Close. Run
	// calls it on the loop's goroutine, after its last task has ended,
	// for an owner still open when it returns; it must not block.
	Close() error
}

// Directions of a wait on an fd (a PollFD's, or a raw fd's: see fd.go).
const (
	dirRead  = 0
	dirWrite = 1
)

// dirBits is, per direction, the readiness that ends a wait: a read is
// worth trying once the fd is readable, hung up or in error; a write,
// once it is writable or in error. dirReady is the direction's own bit,
// the one a caller consumes and a registration awaits.
var (
	dirBits  = [2]reactor.Ready{reactor.Readable | reactor.HangUp | reactor.Error, reactor.Writable | reactor.Error}
	dirReady = [2]reactor.Ready{reactor.Readable, reactor.Writable}
)

// stickyBits is readiness that Consume cannot clear: the kernel's last
// word on the fd.
const stickyBits = reactor.HangUp | reactor.Error

// RegisterFD registers fd (a non-blocking socket, pipe or other pollable
// fd) with the calling task's loop until Close. Registering an fd twice,
// or one AddReader/WaitReadable also watches, is an error. The PollFD
// belongs to the calling task's Run: its tasks alone may wait on it.
//
// If the PollFD is still open when Run returns, Run unregisters it and
// reports it: one log record (warning level, through the Run's logger)
// naming it and the task that registered it. Whether Run also closes fd
// depends on Own. Without Own it does not: fd stays open and is its
// owner's to close, for Run cannot know how (Close is told, with
// closeFD), and closing an fd that something else still holds (an
// *os.File, a net.Conn) would later close whatever file reuses its
// number. A type that owns its fd (every stream and listener of package
// streams) says so with Own, and Run closes it through the owner.
func RegisterFD(ctx context.Context, fd uintptr) (*PollFD, error) {
	t, _ := current(ctx, "RegisterFD")
	f := &PollFD{fd: fd, madeBy: t.name, madePC: t.pc}
	f.home.bindTo(t.r)
	reg, err := t.r.loop.Register(fd, f.notify)
	if err != nil {
		return nil, fmt.Errorf("task: RegisterFD: %w", err)
	}
	reg.SetOwner(f) // what Run's end finds among the loop's registrations
	f.reg = reg
	return f, nil
}

// Own hands the fd to owner, the object it belongs to (a stream, a
// listener): misuse panics and Run's report name the fd by
// owner.String(), and if the PollFD is still open when its Run returns,
// Run closes it with owner.Close(), which must close this PollFD (and
// must not block). Call it once, right after RegisterFD, from the task
// that registered the fd.
func (f *PollFD) Own(owner FDOwner) { f.owner = owner }

// Adopt records the calling task, instead of the one that registered the
// fd, as the task that made it (named by misuse panics and Run's report):
// for a layer that registers fds in helper tasks and hands the result to
// its caller (a dial's attempts). The caller must be a task of the fd's
// Run.
func (f *PollFD) Adopt(ctx context.Context) {
	t, _ := current(ctx, "Adopt")
	if t.r != f.run() {
		panic(f.misuse("Adopt"))
	}
	f.madeBy, f.madePC = t.name, t.pc
}

// CheckCancelled is CheckCancelled for an operation on the fd: the cancel
// half of a checkpoint, which an operation with a ctx calls first. It
// panics if the calling task is not of the fd's Run (another Run, or one
// that started after the fd's ended), naming the fd and saying what to
// do instead. One comparison more than CheckCancelled.
func (f *PollFD) CheckCancelled(ctx context.Context, op string) error {
	t, c := current(ctx, op)
	if t.r != f.run() {
		panic(f.misuse(op))
	}
	return t.check(ctx, c, op)
}

// run is the fd's Run: home's loop, which never changes.
func (f *PollFD) run() *runner { return f.home.r.Load() }

// FD returns the registered fd.
func (f *PollFD) FD() uintptr { return f.fd }

// notify is the registration's event callback, from the poll phase: it
// wakes the waiters the new readiness r ends (the registration has
// recorded r already). A queue push, no more.
func (f *PollFD) notify(r reactor.Ready) {
	for dir, bits := range dirBits {
		if r&bits != 0 {
			f.waiting[dir].Wake(nil)
		}
	}
}

// Ready reports what the registration says can be tried without waiting:
// Readable, Writable, and the sticky HangUp and Error. No system call.
func (f *PollFD) Ready() reactor.Ready { return f.reg.Ready() }

// CanRead reports whether a read is worth trying without waiting: the fd
// is readable, hung up or in error (the read tells which). It is what
// ends WaitReadable. No system call.
func (f *PollFD) CanRead() bool { return f.reg.Ready()&dirBits[dirRead] != 0 }

// CanWrite reports whether a write is worth trying without waiting: the
// fd is writable or in error. It is what ends WaitWritable.
func (f *PollFD) CanWrite() bool { return f.reg.Ready()&dirBits[dirWrite] != 0 }

// HungUp reports whether the fd is hung up or in error: the kernel's
// last word, which Consume cannot clear. A read that comes up short then
// does not mean drained (EOF or the error comes next), and a call that
// would block will never stop blocking: fail it rather than wait.
func (f *PollFD) HungUp() bool { return f.reg.Ready()&stickyBits != 0 }

// Consume clears bits of the readiness: the caller saw a call would
// block, or a read come up short (the kernel had no more). HangUp and
// Error cannot be cleared. On Windows it also re-arms the AFD request.
func (f *PollFD) Consume(bits reactor.Ready) { f.reg.Consume(bits &^ stickyBits) }

// WaitReadable parks the calling task until the fd is readable, hung up or
// in error, and returns at once if it already is (see Ready). It is the
// wait half of a checkpoint: a cancelled task's wait fails with the
// cancellation error, and a PollFD closed while it waits (or before)
// fails with an error matching ErrClosedResource. op names the caller's
// operation in errors. Called from a task of another Run it panics (see
// CheckCancelled).
func (f *PollFD) WaitReadable(ctx context.Context, op string) error {
	return f.wait(ctx, dirRead, op)
}

// WaitWritable is WaitReadable for writing.
func (f *PollFD) WaitWritable(ctx context.Context, op string) error {
	return f.wait(ctx, dirWrite, op)
}

func (f *PollFD) wait(ctx context.Context, dir int, op string) error {
	t, c := current(ctx, op)
	if t.r != f.run() {
		panic(f.misuse(op))
	}
	if err := t.check(ctx, c, op); err != nil {
		return err
	}
	if f.closed.Load() {
		return f.closedError(op)
	}
	if f.reg.Ready()&dirBits[dir] != 0 {
		return nil
	}
	// A parked reader or writer is I/O that can still come: the
	// registration is a wake source while it waits (no deadlock).
	f.reg.SetAwaited(f.awaited() | dirReady[dir])
	err := f.waiting[dir].park(ctx, c, t, op)
	f.reg.SetAwaited(f.awaited())
	return err
}

// awaited is the directions a task waits in.
func (f *PollFD) awaited() reactor.Ready {
	var r reactor.Ready
	for dir := range f.waiting {
		if f.waiting[dir].Waiting() {
			r |= dirReady[dir]
		}
	}
	return r
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
// later wait starts) and hands the rest to the loop (Binding.Do), which
// runs it on its next turn, or, if the run ends first, when Run returns.
// Tasks of other Runs may call it too, and so may anyone after the Run
// returned: a PollFD that Run closed (see Own) is closed already, and
// Close returns nil. It returns closeFD's error when closeFD ran before
// it returned; later calls return nil.
func (f *PollFD) Close(closeFD func(fd uintptr) error) error {
	if f.closed.Swap(true) {
		return nil
	}
	var err error
	if f.home.Do(func() { err = f.finishClose(closeFD) }) {
		return err
	}
	return nil
}

// finishClose is the loop's half of Close, run once. Once the run has
// ended, the loop may be closing on Run's goroutine: it leaves the
// registration to Run (see leftover) and only closes the fd.
func (f *PollFD) finishClose(closeFD func(fd uintptr) error) error {
	if !f.run().ended.Load() {
		for dir := range f.waiting {
			if w := f.waiting[dir].w; w != nil {
				f.waiting[dir].Wake(f.closedError(w.op))
			}
		}
		f.reg.Close()
	}
	return closeFD(f.fd)
}

// InTask reports whether the caller is a task of the fd's loop (about
// 2 µs; see LoopRef.InTask).
func (f *PollFD) InTask() bool { return LoopRef{f.run()}.InTask() }

// what names the fd for people: its owner's description, or the bare fd.
func (f *PollFD) what() string {
	if f.owner != nil {
		return f.owner.String()
	}
	return fmt.Sprintf("fd %d (RegisterFD)", f.fd)
}

// maker names the task that registered the fd.
func (f *PollFD) maker() string {
	if f.madeBy != "" {
		return f.madeBy
	}
	return funcNameAt(f.madePC)
}

// misusePrefix is the package a misuse panic speaks for: the owner's
// ("streams: Read on TCP stream ..."), or task's for a raw registration.
func (f *PollFD) misusePrefix() string {
	if f.owner != nil {
		t := reflect.TypeOf(f.owner)
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if p := t.PkgPath(); p != "" {
			return path.Base(p)
		}
	}
	return "task"
}

// misuse is the panic message for op called from a task of a Run other
// than the fd's.
func (f *PollFD) misuse(op string) string {
	head := fmt.Sprintf("%s: %s on %s, made by task %q", f.misusePrefix(), op, f.what(), f.maker())
	if f.run().ended.Load() {
		fate := "closes it"
		if f.owner == nil {
			fate = "unregisters it"
		}
		return fmt.Sprintf("%s in a Run that has ended; it belongs to the Run that made it, which %s when it returns: open it inside this Run, or pass data between runs with a Token (task.CurrentToken)", head, fate)
	}
	return fmt.Sprintf("%s in another Run, which is still running; it belongs to the Run that made it: use it from that Run's tasks (hand them the work with a Token of that Run, task.CurrentToken), or open one inside this Run", head)
}
