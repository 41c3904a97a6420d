package loop

import "math/rand/v2"

// Scheduler is the one seam between the loop and a layer that runs its own
// work on it: package task keeps its runnable tasks in a run queue of its
// own and the loop runs them in its batch phase, so waking a task costs a
// queue push instead of a callback record, and a task switch is one
// RunNext instead of a callback hand-off. See "Building a scheduler on
// the loop" in the package documentation.
//
// The loop calls the methods on its own goroutine, and only while Run
// runs.
type Scheduler interface {
	// Runnable returns how many items are ready to run. The loop calls it
	// once at the start of each batch (and when deciding whether to poll
	// or block); the items counted then are the batch: items made ready
	// while it runs wait for the next iteration, as callbacks do. A
	// scheduler that reorders its batches (a seeded shuffle) does it here.
	Runnable() int
	// RunNext runs the next item of the batch and returns how many are
	// left in it; the loop calls it until none is. The watchdog times
	// each call, and instruments see it, as a callback of KindScheduled.
	RunNext() (left int)
	// Idle is called each time the loop is idle as CallWhenIdle defines it
	// (nothing ready, no I/O ready, no cross-thread callback waiting, no
	// Hold outstanding) and about to block or autojump. If it makes
	// nothing ready, the loop goes on to block.
	Idle()
	// WokeGoroutines reports, and forgets, whether the items run since
	// the last call made goroutines runnable (started one, or sent it
	// work). The loop then yields its P before it blocks in the poller,
	// so that they run now rather than when the runtime retakes the P;
	// a yield it skips otherwise, since on a thread locked with
	// runtime.LockOSThread a yield costs two thread hand-offs.
	WokeGoroutines() bool
}

// SetScheduler installs s (nil removes it). Call it before Run.
func (l *Loop) SetScheduler(s Scheduler) {
	l.checkOwner("SetScheduler")
	l.sched = s
}

// runnable is how many scheduler items are ready.
func (l *Loop) runnable() int {
	if l.sched == nil {
		return 0
	}
	return l.sched.Runnable()
}

// scheduledItem is how the watchdog and instruments see a scheduler item.
var scheduledItem = Callback{Kind: KindScheduled}

// ElideTurn lets a scheduler go on from inside RunNext with its next
// batch of n items, without returning to the loop for a turn, when that
// turn would do nothing else: no callback is ready or handed over, no
// timer is due, no I/O poll is due, the loop is not stopping and no
// Instruments are installed (they see every turn). It then counts the
// turn as run (Stats, and n items toward the next I/O poll) and reports
// true; the scheduler runs the batch's items in place, calling NextItem
// before each. Call it only once the current batch has run (RunNext would
// return 0). Cost: a few loads, and a clock read when timers are pending.
//
// This is what makes a task switch cost one coroutine switch instead of
// two (see package task): a task that yields runs the next batch itself.
func (l *Loop) ElideTurn(n int) bool {
	if l.stopping || len(l.instruments) > 0 || l.ready.Len() > 0 ||
		l.sincePoll >= l.pollEvery || l.inbox.pending() {
		return false
	}
	if l.timers.Len() > 0 {
		if next, _ := l.timers.Next(); next <= l.now() {
			return false
		}
	}
	l.sincePoll += n
	l.stats.elidedTurns++
	l.stats.elidedItems += uint64(n)
	return true
}

// NextItem marks where one scheduler item run in place (after ElideTurn)
// ends and the next begins, so the watchdog times each on its own.
func (l *Loop) NextItem() {
	l.batch.ended(l, scheduledItem)
	l.batch.starting(l)
}

// Rand returns the generator WithSeed seeded, or nil if batches run
// first in, first out. A Scheduler shuffles its batches with it (see
// ring.Ring.Shuffle), so that one seed orders everything a loop runs.
func (l *Loop) Rand() *rand.Rand { return l.rng }
