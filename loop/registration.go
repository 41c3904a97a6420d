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
// stream or listener does. Unlike AddReader and AddWriter, which register
// the fd with their first callback and unregister it with their last
// (two system calls per wait), a Registration costs one epoll_ctl (or
// kevent, or AFD request) when it opens and one when it closes, and
// nothing per wait.
//
// The loop keeps the fd's readiness on the registration (the poller's
// bits: see reactor.Poller's Readiness and Consume). A user reads or
// writes until the call would block, then Consumes the bit and waits for
// the notify function to report new readiness. Hang-up and error bits
// stay set until consumed, so a short read never hides a pending EOF.
//
// All methods must be called on the loop's goroutine.
type Registration struct {
	l  *Loop
	fd uintptr
	// notify is called in the poll phase with the new readiness bits of
	// each event. Invariant: nil once the registration is closed.
	notify func(reactor.Ready)
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
// Register, or AddReader/AddWriter on a registered fd, is an error.
func (l *Loop) Register(fd uintptr, notify func(reactor.Ready)) (*Registration, error) {
	l.checkOwner("Register")
	if notify == nil {
		panic(fmt.Sprintf("loop: Register fd %d: nil notify function", fd))
	}
	if l.closed {
		return nil, fmt.Errorf("loop: Register fd %d: %w", fd, ErrClosed)
	}
	if l.fds[fd] != nil {
		return nil, fmt.Errorf("loop: Register fd %d: %w", fd, reactor.ErrRegistered)
	}
	if err := l.poller.Register(fd); err != nil {
		return nil, fmt.Errorf("loop: Register fd %d: %w", fd, err)
	}
	g := &Registration{l: l, fd: fd, notify: notify, seq: registrationSeq.Add(1)}
	l.fds[fd] = &watch{reg: g}
	l.registered++
	return g, nil
}

// FD returns the registered fd.
func (g *Registration) FD() uintptr { return g.fd }

// SetOwner records v as what the fd belongs to in the layer above (task
// records its PollFD), for whoever walks Registrations. It costs nothing
// per event.
func (g *Registration) SetOwner(v any) { g.owner = v }

// Owner returns what SetOwner recorded, or nil.
func (g *Registration) Owner() any { return g.owner }

// Closed reports whether Close was called (or the loop closed).
func (g *Registration) Closed() bool { return g.notify == nil }

// Registrations returns the loop's open registrations, oldest first: what
// a layer above closes and reports when it is done with the loop (task's
// Run closes every socket still open when it returns). The loop keeps
// every registration in its fd table anyway, so opening and closing one
// costs nothing more; this call is O(n log n) in the fds the loop
// watches, for the end of a run, not for every turn. Call it on the
// loop's goroutine. After Close it returns none.
func (l *Loop) Registrations() []*Registration {
	l.checkOwner("Registrations")
	var regs []*Registration
	for _, w := range l.fds {
		if w.reg != nil {
			regs = append(regs, w.reg)
		}
	}
	slices.SortFunc(regs, func(a, b *Registration) int { return cmp.Compare(a.seq, b.seq) })
	return regs
}

// Ready returns the readiness bits set on the registration: what the
// poller reported since the bits were last consumed. O(1), no system call.
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

// Close unregisters the fd (before the caller closes it); it does not
// close it. Closing twice is harmless, and so is Close after the loop
// closed.
func (g *Registration) Close() {
	if g.notify == nil {
		return
	}
	g.l.checkOwner("Registration.Close")
	g.notify = nil
	if w := g.l.fds[g.fd]; w != nil && w.reg == g {
		delete(g.l.fds, g.fd)
		g.l.registered--
		g.l.poller.Unregister(g.fd)
	}
}
