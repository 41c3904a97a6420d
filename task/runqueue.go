package task

import (
	"math/rand/v2"

	"github.com/f04742a6/reactor/loop"
)

// runQueue is the FIFO of runnable tasks, a ring (push and pop O(1), no
// allocation once grown to the run's peak of runnable tasks).
type runQueue = ring[*Task]

// The runner is the loop's Scheduler (see loop.Scheduler): its runnable
// tasks wait in r.runq, not in the loop's callback queue.
var _ loop.Scheduler = (*runner)(nil)

// Runnable starts a batch: the tasks runnable now, shuffled with WithSeed.
func (r *runner) Runnable() int {
	n := r.runq.len()
	if r.rng != nil && n > 1 {
		r.rng.Shuffle(n, func(i, j int) {
			a, b := r.runq.slot(i), r.runq.slot(j)
			*a, *b = *b, *a
		})
	}
	return n
}

// RunNext resumes the next runnable task until it parks, yields or ends.
func (r *runner) RunNext() { r.runq.pop().step() }

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

// newShuffler returns WithSeed's generator, or nil for FIFO batches.
func newShuffler(seed *int64) *rand.Rand {
	if seed == nil {
		return nil
	}
	return rand.New(rand.NewPCG(uint64(*seed), 0x5851f42d4c957f2d))
}
