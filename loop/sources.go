package loop

import "time"

// Wake sources.
//
// A loop blocked in its poller with nothing ready wakes for a timer, for
// an event on a watched fd, or for a callback another goroutine hands
// over. A layer above that finds all its work blocked (package task's
// deadlock detection) must know whether any of these can still come. The
// loop knows its timers; for the rest it keeps one count, l.sources, with
// one invariant: it is the number of
//
//   - open registrations that await a direction (SetAwaited: a task
//     parked on the fd; AddReader and AddWriter await theirs while their
//     callback is installed), and
//   - Expect and Hold calls not yet released: something outside the loop
//     that may hand it work (a thread worker, a token another goroutine
//     holds, a signal receiver, a foreign context's cancellation).
//
// l.busy counts the Holds among them: work in flight that is sure to
// hand something back, during which the loop is not idle.

// Pending returns how many timers are scheduled and how many wake
// sources are open: what could still make work ready on an idle loop. A
// layer above that sees all its work blocked and both at zero knows that
// nothing ever will (a deadlock).
func (l *Loop) Pending() (timers, sources int) { return l.timers.Len(), l.sources }

// Expect opens a wake source: something outside the loop (a token another
// goroutine holds, a signal receiver, a foreign context's cancellation)
// may still hand the loop work, so Pending counts it until release is
// called. Unlike Hold, it leaves the loop free to count as idle. Call
// both Expect and release from the loop; release is idempotent.
func (l *Loop) Expect() (release func()) { return l.source("Expect", false) }

// Hold is Expect for work in flight outside the loop that will surely
// hand something back (a thread worker): until release is called, the
// loop is also not idle, so idle callbacks and Scheduler.Idle wait and an
// autojumping clock does not jump. Call both from the loop.
func (l *Loop) Hold() (release func()) { return l.source("Hold", true) }

func (l *Loop) source(op string, busy bool) func() {
	l.checkOwner(op)
	l.sources++
	if busy {
		l.busy++
	}
	released := false
	return func() {
		if released {
			return
		}
		released = true
		l.sources--
		if busy {
			l.busy--
			l.idleSince = time.Time{}
		}
	}
}
