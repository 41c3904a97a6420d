package ring

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestRingAgainstSlice runs random operations on a Ring and on a slice
// and compares them after each.
func TestRingAgainstSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var q Ring[int]
	var model []int
	for step := range 20000 {
		switch op := rng.IntN(10); {
		case op < 4:
			q.Push(step)
			model = append(model, step)
		case op < 5:
			q.PushFront(step)
			model = slices.Insert(model, 0, step)
		case op < 8 && len(model) > 0:
			if got := q.Pop(); got != model[0] {
				t.Fatalf("step %d: Pop = %d, want %d", step, got, model[0])
			}
			model = model[1:]
		case op < 9 && len(model) > 0:
			i := rng.IntN(len(model))
			q.RemoveAt(i)
			model = slices.Delete(model, i, i+1)
		case op < 10 && len(model) > 1 && step%97 == 0:
			q.Clear()
			model = model[:0]
		}
		if q.Len() != len(model) {
			t.Fatalf("step %d: Len = %d, want %d", step, q.Len(), len(model))
		}
		for i, v := range model {
			if *q.At(i) != v {
				t.Fatalf("step %d: At(%d) = %d, want %d", step, i, *q.At(i), v)
			}
		}
	}
}

// TestRingDropsReferences: a value popped or removed leaves no reference
// behind in the buffer.
func TestRingDropsReferences(t *testing.T) {
	var q Ring[*int]
	for i := range 5 {
		q.Push(&i)
	}
	q.Pop()
	q.RemoveAt(1)
	live := 0
	for _, p := range q.buf {
		if p != nil {
			live++
		}
	}
	if live != q.Len() {
		t.Fatalf("%d references in the buffer for %d values", live, q.Len())
	}
}

// TestShuffleReplaysAndKeepsTheRest: one seed, one order; values past n
// keep their places.
func TestShuffleReplaysAndKeepsTheRest(t *testing.T) {
	order := func(seed uint64) []int {
		var q Ring[int]
		for i := range 20 {
			q.Push(i)
		}
		q.Shuffle(10, rand.New(rand.NewPCG(seed, 0)))
		var got []int
		for q.Len() > 0 {
			got = append(got, q.Pop())
		}
		return got
	}
	a, b := order(7), order(7)
	if !slices.Equal(a, b) {
		t.Fatalf("one seed, two orders: %v, %v", a, b)
	}
	if slices.IsSorted(a[:10]) {
		t.Fatalf("the batch was not shuffled: %v", a)
	}
	if !slices.Equal(a[10:], []int{10, 11, 12, 13, 14, 15, 16, 17, 18, 19}) {
		t.Fatalf("values past the batch moved: %v", a[10:])
	}
}

func TestFreeList(t *testing.T) {
	var f FreeList[*int]
	if _, ok := f.Get(); ok {
		t.Fatal("Get on an empty list succeeded")
	}
	x, y := new(int), new(int)
	f.Put(x)
	f.Put(y)
	if v, _ := f.Get(); v != y {
		t.Fatal("not last in, first out")
	}
	if v, _ := f.Get(); v != x {
		t.Fatal("second Get")
	}
	if len(f[:cap(f)][0:1]) == 1 && f[:cap(f)][0] != nil {
		t.Fatal("a record taken stays referenced")
	}
}
