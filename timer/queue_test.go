package timer

import (
	"math/rand/v2"
	"slices"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func popAll(q *Queue[int], now int64) []int {
	var got []int
	for t := q.PopDue(now); t != nil; t = q.PopDue(now) {
		got = append(got, t.Value)
	}
	return got
}

func TestDeadlineOrderAndEqualDeadlinesFIFO(t *testing.T) {
	q := New[int]()
	timers := make([]Timer[int], 6)
	deadlines := []int64{30, 10, 20, 10, 30, 10}
	for i := range timers {
		timers[i].Value = i
		q.Add(&timers[i], deadlines[i])
		if i == 2 {
			q.Next() // flush half-way: order must not depend on staging
		}
	}
	if got, want := popAll(q, 100), []int{1, 3, 5, 2, 0, 4}; !slices.Equal(got, want) {
		t.Fatalf("fired %v, want %v", got, want)
	}
}

func TestPopDueStopsAtNow(t *testing.T) {
	q := New[int]()
	var a, b Timer[int]
	a.Value, b.Value = 1, 2
	q.Add(&a, 5)
	q.Add(&b, 6)
	if got := popAll(q, 4); len(got) != 0 {
		t.Fatalf("popped %v before their deadline", got)
	}
	if got := popAll(q, 5); !slices.Equal(got, []int{1}) {
		t.Fatalf("at 5 popped %v, want [1] (deadline inclusive)", got)
	}
	if when, ok := q.Next(); !ok || when != 6 {
		t.Fatalf("Next = %d, %v; want 6", when, ok)
	}
	if a.Scheduled() {
		t.Fatal("a popped timer is still marked scheduled")
	}
}

func TestRemoveIsRealRemoval(t *testing.T) {
	for _, flushFirst := range []bool{false, true} {
		q := New[int]()
		timers := make([]Timer[int], 1000)
		for i := range timers {
			timers[i].Value = i
			q.Add(&timers[i], int64(i))
		}
		if flushFirst {
			q.Next()
		}
		for i := range timers {
			if i%3 != 0 && !q.Remove(&timers[i]) {
				t.Fatalf("Remove(%d) = false", i)
			}
		}
		if q.Remove(&timers[1]) {
			t.Fatal("second Remove reported true")
		}
		if q.Len() != 334 {
			t.Fatalf("Len = %d after removals, want 334 (no tombstones)", q.Len())
		}
		if q.tree.Len()+len(q.staged) != 334 {
			t.Fatal("removed timers still held by the queue")
		}
		got := popAll(q, 1<<40)
		for i, v := range got {
			if v != 3*i {
				t.Fatalf("flush=%v: fired %v at %d, want %d", flushFirst, v, i, 3*i)
			}
		}
	}
}

func TestRemovedTimerCanBeReAdded(t *testing.T) {
	q := New[int]()
	var a Timer[int]
	q.Add(&a, 10)
	q.Remove(&a)
	q.Add(&a, 3)
	if when, ok := q.Next(); !ok || when != 3 {
		t.Fatalf("Next = %d, %v; want 3", when, ok)
	}
}

func TestAddScheduledPanics(t *testing.T) {
	q := New[int]()
	var a Timer[int]
	q.Add(&a, 1)
	defer func() {
		if recover() == nil {
			t.Fatal("double Add did not panic")
		}
	}()
	q.Add(&a, 2)
}

// TestRandomAgainstModel drives the queue with random adds, removes and
// pops and compares every pop with a sorted reference list.
func TestRandomAgainstModel(t *testing.T) {
	for seed := range uint64(20) {
		r := rand.New(rand.NewPCG(seed, 1))
		ops := make([]byte, 6000)
		for i := range ops {
			ops[i] = byte(r.Uint32())
		}
		againstModel(t, ops)
	}
}

// FuzzQueueAgainstSortedSlice is TestRandomAgainstModel with the
// operations chosen by the fuzzer: each pair of bytes is an operation
// (add, remove, advance and pop) and its argument.
func FuzzQueueAgainstSortedSlice(f *testing.F) {
	f.Add([]byte{0, 5, 0, 5, 2, 9, 1, 3, 0, 7, 2, 200})
	f.Fuzz(againstModel)
}

// againstModel runs the operations ops describes on a queue and on a
// sorted slice and fails at the first difference.
func againstModel(t *testing.T, ops []byte) {
	q := New[int]()
	timers := make([]Timer[int], 64)
	type ref struct {
		when int64
		seq  int
		id   int
	}
	var model []ref
	seq, now := 0, int64(0)
	for ; len(ops) >= 2; ops = ops[2:] {
		op, arg := ops[0]%4, int(ops[1])
		id := arg % len(timers)
		tm := &timers[id]
		switch {
		case op == 0 && !tm.Scheduled():
			tm.Value = id
			when := now + int64(arg%50)
			q.Add(tm, when)
			seq++
			model = append(model, ref{when, seq, id})
		case op == 1:
			removed := q.Remove(tm)
			i := slices.IndexFunc(model, func(m ref) bool { return m.id == id })
			if removed != (i >= 0) {
				t.Fatalf("Remove(%d) = %v, model has it: %v", id, removed, i >= 0)
			}
			if i >= 0 {
				model = slices.Delete(model, i, i+1)
			}
		case op == 2:
			now += int64(arg % 10)
			slices.SortFunc(model, func(a, b ref) int {
				if a.when != b.when {
					return int(a.when - b.when)
				}
				return a.seq - b.seq
			})
			for len(model) > 0 && model[0].when <= now {
				got := q.PopDue(now)
				if got == nil || got.Value != model[0].id {
					t.Fatalf("popped %v, want timer %d", got, model[0].id)
				}
				model = model[1:]
			}
			if q.PopDue(now) != nil {
				t.Fatal("popped a timer the model says is not due")
			}
		case op == 3:
			if when, ok := q.Next(); ok != (len(model) > 0) || ok && when != slices.MinFunc(model, func(a, b ref) int { return int(a.when - b.when) }).when {
				t.Fatalf("Next = %d, %v; model %v", when, ok, model)
			}
		}
		if q.Len() != len(model) {
			t.Fatalf("Len %d, model %d", q.Len(), len(model))
		}
	}
}
