package reactor

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Ready is a set of readiness conditions reported for a registered fd.
type Ready uint8

const (
	// Readable: a read (or accept) will not block. Also set on hang-up and
	// error, so that a reader finds out by reading.
	Readable Ready = 1 << iota
	// Writable: a write (or a connect's completion) will not block. Also set
	// on error, so that a writer finds out by writing.
	Writable
	// HangUp: the peer shut its side down; reads will reach EOF.
	HangUp
	// Error: the fd has a pending error (for a socket, SO_ERROR).
	Error
)

// String lists the conditions, e.g. "readable|hangup".
func (r Ready) String() string {
	if r == 0 {
		return "none"
	}
	names := [...]string{"readable", "writable", "hangup", "error"}
	s := ""
	for i, n := range names {
		if r&(1<<i) != 0 {
			if s != "" {
				s += "|"
			}
			s += n
		}
	}
	return s
}

// Event reports new readiness on a registered fd.
type Event struct {
	FD    uintptr
	Ready Ready
}

// Poller is the readiness interface every backend implements. All methods
// but Wake must be called from the goroutine that owns the poller.
type Poller interface {
	// Register starts watching fd for read and write readiness. An fd is
	// registered once; registering it again is an error. The new
	// registration's readiness is Readable|Writable: nothing is known to
	// block yet, so its user tries a call first and Consumes what would
	// block (a caller that wants the kernel's word instead Consumes both
	// at once: the kernel reports the fd's current state as its first
	// event).
	Register(fd uintptr) error
	// Unregister stops watching fd and forgets its readiness. Unregistering
	// an fd that the caller already closed succeeds.
	Unregister(fd uintptr) error
	// Readiness returns the readiness bits set on fd's registration (0 for
	// an fd not registered). The poller keeps the one record of an fd's
	// readiness: the layers above read it here rather than keep a copy.
	// Invariant: the bits Register set, plus those of every event since,
	// minus those consumed since.
	Readiness(fd uintptr) Ready
	// Consume clears the bits r of fd's readiness: the caller saw an
	// operation would block. A later transition to ready is reported again.
	Consume(fd uintptr, r Ready)
	// Probe asks the kernel, without blocking, which of read and write
	// readiness hold for fd right now. It is level-triggered and costs a
	// system call; it does not touch the registration.
	Probe(fd uintptr) (Ready, error)
	// Wait blocks until at least one event or a Wake, or until timeout has
	// passed (a negative timeout blocks indefinitely, zero does not block),
	// and fills events. The timeout is rounded up to the backend's unit.
	// A Wake is not reported as an event.
	Wait(events []Event, timeout time.Duration) (int, error)
	// Wake makes a concurrent or the next Wait return. Safe from any
	// goroutine; calls made before the poller wakes coalesce into one.
	Wake() error
	// Close releases the poller. Registered fds are not closed.
	Close() error
}

// ErrClosed is returned by a Poller's methods after Close.
var ErrClosed = errors.New("reactor: poller closed")

// ErrRegistered is returned by Register for an fd that is already registered.
var ErrRegistered = errors.New("already registered")

// ErrNotRegistered is returned by Unregister for an fd that is not registered.
var ErrNotRegistered = errors.New("not registered")

// opError names the operation and the fd in an error that wraps cause.
func opError(op string, fd uintptr, cause error) error {
	return fmt.Errorf("reactor: %s fd %d: %w", op, fd, cause)
}

// roundUp returns d in units of unit, rounded up, so a waiter never wakes
// before d has passed. Negative d means "forever" and gives -1.
func roundUp(d, unit time.Duration) int64 {
	if d < 0 {
		return -1
	}
	if d > math.MaxInt64-unit {
		return int64(math.MaxInt64 / unit)
	}
	return int64((d + unit - 1) / unit)
}
