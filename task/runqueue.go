package task

import (
	"github.com/f04742a6/reactor/loop"
	"github.com/f04742a6/reactor/loop/ring"
)

// runQueue is the FIFO of runnable tasks, a ring (push and pop O(1), no
// allocation once grown to the run's peak of runnable tasks).
type runQueue = ring.Ring[*Task]

// The runner is the loop's Scheduler (see loop.Scheduler): its runnable
// tasks wait in r.runq, not in the loop's callback queue.
var _ loop.Scheduler = (*runner)(nil)

// Runnable starts a batch: the tasks runnable now, shuffled with WithSeed
// (by the loop's generator, which shuffles its callbacks too: one seed
// orders the whole run).
func (r *runner) Runnable() int {
	n := r.runq.Len()
	if rng := r.loop.Rand(); rng != nil {
		r.runq.Shuffle(n, rng)
	}
	r.batchLeft = n
	return n
}

// RunNext resumes the next task of the batch until it parks, yields or
// ends, and returns how many tasks are left in the batch: more than the
// loop counted if the task ended in a batch it ran in place.
func (r *runner) RunNext() int {
	r.batchLeft--
	r.runq.Pop().step()
	r.inPlace = false
	return r.batchLeft
}

// Batches in place. A task switch through the loop is two coroutine
// switches (the task to the loop's goroutine, that to the next task) and a
// loop turn. When the task that yields was resumed by the loop, its
// batch has run and the loop's next turn would only start the next batch
// (loop.ElideTurn), the yielding task runs that batch itself: each task in
// it is resumed from the yielding task's goroutine (one switch there, one
// back), and when the yielding task's own turn comes it simply goes on,
// with no switch at all. A lone task's Checkpoint then costs no switch,
// and two tasks handing a value back and forth cost one switch each way.
//
// Only the task the loop resumed does this: a task it resumes in place
// yields plainly, back to it, so coroutines nest one deep at most and
// every task is parked in a plain yield whenever the loop's goroutine
// runs. Batches keep their meaning (the tasks runnable when one starts,
// shuffled with WithSeed), as does the loop's fairness: ElideTurn refuses
// as soon as a callback, a due timer, an I/O poll or a cross-thread call
// is waiting, and the task then yields to the loop.

// yield switches from the running task to what runs next, and returns
// when the task runs again: the loop's next batch, run in place when it
// can be (see above), or else the loop's goroutine.
func (t *Task) yield() {
	r := t.r
	if !r.nested && (r.batchLeft == 0 || r.inPlace) && r.runInPlace(t) {
		return
	}
	if !t.coro.yield(struct{}{}) {
		panic(teardown{})
	}
}

// runInPlace runs batches in place from the goroutine of t, which is
// yielding; it reports true when t's own turn has come (t is running
// again), false when the loop must take over (t then yields to it, with
// no batch left over).
func (r *runner) runInPlace(t *Task) bool {
	for {
		if r.batchLeft == 0 {
			n := r.runq.Len()
			if n == 0 || !r.loop.ElideTurn(n) {
				return false
			}
			r.Runnable()
			r.inPlace = true
		}
		next := r.runq.Pop()
		r.batchLeft--
		r.loop.NextItem()
		if next == t {
			t.resume()
			return true
		}
		r.nested = true
		next.step()
		r.nested = false
	}
}

// Idle is the loop's idle notice: see runner.idle.
func (r *runner) Idle() { r.idle() }

// WokeGoroutines reports whether tasks handed work to a goroutine (a
// ToThread call started a worker or sent one its job) since the loop last
// asked.
func (r *runner) WokeGoroutines() bool {
	woke := r.wokeGoroutines
	r.wokeGoroutines = false
	return woke
}
