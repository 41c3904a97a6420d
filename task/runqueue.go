package task

import (
	"math/rand/v2"

	"github.com/f04742a6/reactor/loop"
)

// runQueue is the FIFO of runnable tasks: a ring buffer that grows by
// doubling and never shrinks. push and pop are O(1) and allocate nothing
// once it has grown to the run's peak of runnable tasks. The zero value
// is empty.
type runQueue struct {
	buf        []*Task // len is a power of two, or 0
	head, size int
}

func (q *runQueue) push(t *Task) {
	if q.size == len(q.buf) {
		grown := make([]*Task, max(2*len(q.buf), 64))
		for i := range q.size {
			grown[i] = q.buf[(q.head+i)&(len(q.buf)-1)]
		}
		q.buf, q.head = grown, 0
	}
	q.buf[(q.head+q.size)&(len(q.buf)-1)] = t
	q.size++
}

func (q *runQueue) pop() *Task {
	t := q.buf[q.head]
	q.buf[q.head] = nil
	q.head = (q.head + 1) & (len(q.buf) - 1)
	q.size--
	return t
}

// slot returns the i-th queued task's place, for shuffling.
func (q *runQueue) slot(i int) **Task { return &q.buf[(q.head+i)&(len(q.buf)-1)] }

// The runner is the loop's Scheduler (see loop.Scheduler): its runnable
// tasks wait in r.runq, not in the loop's callback queue.
var _ loop.Scheduler = (*runner)(nil)

// Runnable starts a batch: the tasks runnable now, shuffled with WithSeed.
func (r *runner) Runnable() int {
	n := r.runq.size
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

// newShuffler returns WithSeed's generator, or nil for FIFO batches.
func newShuffler(seed *int64) *rand.Rand {
	if seed == nil {
		return nil
	}
	return rand.New(rand.NewPCG(uint64(*seed), 0x5851f42d4c957f2d))
}
