package timer

import (
	"math"

	"github.com/google/btree"
)

// Timer is one entry of a [Queue]. Its zero value is an idle timer; embed
// or pool it freely, but do not copy it while it is scheduled.
type Timer[T any] struct {
	// Value is the caller's payload, e.g. the callback to run.
	Value T
	when  int64
	seq   uint64
	state state
	slot  int // index in the staging list while staged
}

type state uint8

const (
	idle   state = iota
	staged       // added this turn, not yet in the tree
	queued       // in the tree
)

// When returns the deadline the timer was last added with.
func (t *Timer[T]) When() int64 { return t.when }

// Scheduled reports whether the timer is in a queue.
func (t *Timer[T]) Scheduled() bool { return t.state != idle }

// Queue orders timers by deadline, then by the order they were added.
//
// New timers wait in a staging list (unsorted; add and remove are O(1))
// and enter the B-tree only when the list outgrows stageLimit or when one
// of them comes due: most timeouts are cancelled before they fire, often
// a few loop turns after they were set, and those never touch the tree.
type Queue[T any] struct {
	tree   *btree.BTreeG[*Timer[T]]
	staged []*Timer[T]
	seq    uint64
	// Invariant: when minOK, minWhen is the earliest deadline in staged
	// (math.MaxInt64 if it is empty); removing that timer clears minOK,
	// and the next look recomputes it (O(len(staged))).
	minWhen int64
	minOK   bool
}

// stageLimit bounds the staging list: past it, every staged timer moves
// to the tree, so a look for the earliest deadline stays cheap.
const stageLimit = 256

// degree of the B-tree: wide nodes keep it shallow (4 levels for a
// million timers) and cache-friendly.
const degree = 32

// New returns an empty queue.
func New[T any]() *Queue[T] {
	// A free list keeps split and merged nodes for reuse: a timer added
	// and removed at the front of a full leaf would otherwise allocate.
	free := btree.NewFreeListG[*Timer[T]](64)
	return &Queue[T]{tree: btree.NewWithFreeListG(degree, less[T], free), minWhen: math.MaxInt64, minOK: true}
}

func less[T any](a, b *Timer[T]) bool {
	if a.when != b.when {
		return a.when < b.when
	}
	return a.seq < b.seq
}

// Len returns the number of scheduled timers.
func (q *Queue[T]) Len() int { return q.tree.Len() + len(q.staged) }

// Add schedules t for deadline when. It panics if t is already scheduled:
// remove it first to move it.
func (q *Queue[T]) Add(t *Timer[T], when int64) {
	if t.state != idle {
		panic("timer: Add of a timer that is already scheduled; Remove it first to move it")
	}
	q.seq++
	t.when, t.seq = when, q.seq
	t.state, t.slot = staged, len(q.staged)
	q.staged = append(q.staged, t)
	if q.minOK && when < q.minWhen {
		q.minWhen = when
	}
	if len(q.staged) > stageLimit {
		q.flush()
	}
}

// Remove unschedules t and reports whether it was scheduled.
func (q *Queue[T]) Remove(t *Timer[T]) bool {
	switch t.state {
	case staged:
		last := len(q.staged) - 1
		moved := q.staged[last]
		q.staged[t.slot] = moved
		moved.slot = t.slot
		q.staged[last] = nil
		q.staged = q.staged[:last]
		if t.when == q.minWhen {
			q.minOK = false
		}
	case queued:
		q.tree.Delete(t)
	default:
		return false
	}
	t.state = idle
	return true
}

// flush moves the staged timers into the tree.
func (q *Queue[T]) flush() {
	for i, t := range q.staged {
		t.state = queued
		q.tree.ReplaceOrInsert(t)
		q.staged[i] = nil
	}
	q.staged = q.staged[:0]
	q.minWhen, q.minOK = math.MaxInt64, true
}

// stagedMin returns the earliest deadline in the staging list
// (math.MaxInt64 if empty).
func (q *Queue[T]) stagedMin() int64 {
	if !q.minOK {
		q.minWhen = math.MaxInt64
		for _, t := range q.staged {
			q.minWhen = min(q.minWhen, t.when)
		}
		q.minOK = true
	}
	return q.minWhen
}

// Next returns the earliest deadline, if any timer is scheduled.
func (q *Queue[T]) Next() (when int64, ok bool) {
	when = q.stagedMin()
	if t, inTree := q.tree.Min(); inTree && t.when < when {
		when = t.when
	}
	return when, q.Len() > 0
}

// PopDue removes and returns the earliest timer whose deadline is at or
// before now, or nil if there is none. Call it until nil to collect every
// due timer in firing order.
func (q *Queue[T]) PopDue(now int64) *Timer[T] {
	if len(q.staged) > 0 && q.stagedMin() <= now {
		q.flush() // due timers fire in (deadline, order added) order: the tree's
	}
	t, ok := q.tree.Min()
	if !ok || t.when > now {
		return nil
	}
	q.tree.DeleteMin()
	t.state = idle
	return t
}
