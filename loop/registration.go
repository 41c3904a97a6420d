package loop

import (
	"cmp"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/f04742a6/reactor"
)

// Registration is an fd registered with the loop's poller for as long as
// the registration is open: the model of an fd that lives as long as a
// stream or listener does, and the one way the loop watches an fd
// (AddReader and AddWriter make one for their callbacks). It costs one
// epoll_ctl (or kevent, or AFD request) when it opens and one when it
// closes, and nothing per wait.
//
// The fd's readiness is kept once, by the poller (see reactor.Poller's
// Readiness and Consume), and read here with Ready. A new registration
// says both directions are ready (nothing is known to block yet): a user
// reads or writes until the call would block, then Consumes the bit and
// waits for notify to report new readiness. Hang-up and error bits stay
// set until consumed, so a short read never hides a pending EOF.
//
// All methods must be called on the loop's goroutine.
type Registration struct {
	l  *Loop
	fd uintptr
	// notify is called in the poll phase with the new readiness bits of
	// each event. Invariant: nil once the registration is closed (by
	// Close, or by the loop's Close), and then l.fds no longer holds it.
	notify func(reactor.Ready)
	// awaited is the directions something waits for (SetAwaited).
	// Invariant: while it is not 0 and the registration is open, the
	// registration counts once in l.sources.
	awaited reactor.Ready
	// watch is set on the registration AddReader or AddWriter made for
	// their callbacks, nil on one made by Register.
	watch *watch
	// seq orders registrations by when they were made (Registrations).
	seq uint64
	// owner is the layer above's record of the fd (SetOwner).
	owner any
}

// registrationSeq numbers registrations, process-wide: one atomic add per
// Register, so that Registrations can list them in the order they were
// made without a list to maintain on every open and close.
var registrationSeq atomic.Uint64

// Register registers fd for read and write readiness and calls notify on
// the loop's goroutine, from the poll phase, with the bits each new event
// sets. notify runs inside the poll phase, before timers and callbacks: it
// must only record the event or make work ready (a scheduler's queue
// push), never block or run user code. An fd is registered once: a second
// Register, or Register of an fd that AddReader or AddWriter watches (or
// the other way round), is an error matching reactor.ErrRegistered.
func (l *Loop) Register(fd uintptr, notify func(reactor.Ready)) (*Registration, error) {
	l.checkOwner("Register")
	if notify == nil {
		panic(fmt.Sprintf("loop: Register fd %d: nil notify function", fd))
	}
	return l.register("Register", fd, notify)
}

// register is Register on behalf of op.
func (l *Loop) register(op string, fd uintptr, notify func(reactor.Ready)) (*Registration, error) {
	if l.closed {
		return nil, fmt.Errorf("loop: %s fd %d: %w", op, fd, ErrClosed)
	}
	if g := l.fds[fd]; g != nil {
		by := "Register"
		if g.watch != nil {
			by = "AddReader or AddWriter"
		}
		return nil, fmt.Errorf("loop: %s fd %d: %w (by %s)", op, fd, reactor.ErrRegistered, by)
	}
	if err := l.poller.Register(fd); err != nil {
		return nil, fmt.Errorf("loop: %s fd %d: %w", op, fd, err)
	}
	g := &Registration{l: l, fd: fd, notify: notify, seq: registrationSeq.Add(1)}
	l.fds[fd] = g
	return g, nil
}

// SetOwner records v as what the fd belongs to in the layer above (task
// records its PollFD), for whoever walks Registrations. It costs nothing
// per event.
func (g *Registration) SetOwner(v any) { g.owner = v }

// Owner returns what SetOwner recorded, or nil.
func (g *Registration) Owner() any { return g.owner }

// Registrations returns the loop's open registrations made by Register,
// oldest first: what a layer above closes and reports when it is done
// with the loop (task's Run closes every socket still open when it
// returns). The loop keeps every registration in its fd table anyway, so
// opening and closing one costs nothing more; this call is O(n log n) in
// the fds the loop watches, for the end of a run, not for every turn.
// Call it on the loop's goroutine. After Close it returns none.
func (l *Loop) Registrations() []*Registration {
	l.checkOwner("Registrations")
	var regs []*Registration
	for _, g := range l.fds {
		if g.watch == nil {
			regs = append(regs, g)
		}
	}
	slices.SortFunc(regs, func(a, b *Registration) int { return cmp.Compare(a.seq, b.seq) })
	return regs
}

// Ready returns the readiness bits set on the registration: what the
// poller reported since the bits were last consumed, starting from both
// directions. O(1), no system call; 0 once closed.
func (g *Registration) Ready() reactor.Ready {
	if g.notify == nil {
		return 0
	}
	return g.l.poller.Readiness(g.fd)
}

// Consume clears the bits r: the caller saw an operation would block. The
// next transition to ready is reported to notify again.
func (g *Registration) Consume(r reactor.Ready) {
	if g.notify != nil {
		g.l.poller.Consume(g.fd, r)
	}
}

// Probe asks the kernel which of read and write readiness hold for the
// fd right now: level-triggered, one system call, and it changes nothing
// on the registration. It is for a caller that reads and writes behind
// the registration's back and so cannot trust its bits (AddReader's
// re-added callbacks, task's WaitReadable).
func (g *Registration) Probe() (reactor.Ready, error) { return g.l.poller.Probe(g.fd) }

// SetAwaited records the directions (reactor.Readable, reactor.Writable,
// both, or 0 for none) in which something now waits on the fd: a parked
// task, a callback. While it awaits any, the registration is one of the
// loop's wake sources (see Pending): a layer that finds all its work
// blocked knows that I/O can still bring more. It changes neither the
// readiness nor what notify hears. O(1), no system call; ignored once
// closed.
func (g *Registration) SetAwaited(r reactor.Ready) {
	if g.notify == nil {
		return
	}
	was := g.awaited != 0
	g.awaited = r
	switch now := r != 0; {
	case now && !was:
		g.l.sources++
	case was && !now:
		g.l.sources--
	}
}

// Close unregisters the fd (before the caller closes it); it does not
// close it. Closing twice is harmless, and so is Close after the loop
// closed.
func (g *Registration) Close() {
	if g.notify == nil {
		return
	}
	g.l.checkOwner("Registration.Close")
	g.forget()
	g.l.poller.Unregister(g.fd) // a closed fd has left the poller already
}

// forget closes the registration on the loop's side: Close, and the
// loop's Close, which closes the poller instead.
func (g *Registration) forget() {
	g.SetAwaited(0)
	g.notify = nil
	delete(g.l.fds, g.fd)
}
