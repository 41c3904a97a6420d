package task

import (
	"context"
	"syscall"
	"testing"
)

// Each loop runs on an OS thread of its own, for its whole run.
func TestRunParallelOneThreadPerLoop(t *testing.T) {
	tids := make([]map[int]bool, 3) // per loop, the threads seen: each loop writes its own
	err := RunParallel(3, func(ctx context.Context, i int) error {
		return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			for range 4 {
				n.Go(func(ctx context.Context) error {
					for range 200 {
						if err := Sleep(ctx, 0); err != nil { // through the poller: a thread could change here
							return err
						}
						if tids[i] == nil {
							tids[i] = map[int]bool{}
						}
						tids[i][syscall.Gettid()] = true
						if err := Checkpoint(ctx); err != nil {
							return err
						}
					}
					return nil
				})
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	all := map[int]int{}
	for loop, seen := range tids {
		if len(seen) != 1 {
			t.Errorf("loop %d ran on %d threads; want 1", loop, len(seen))
		}
		for tid := range seen {
			if other, dup := all[tid]; dup {
				t.Errorf("loops %d and %d share thread %d", other, loop, tid)
			}
			all[tid] = loop
		}
	}
	if len(all) != 3 {
		t.Errorf("%d threads ran loops; want 3", len(all))
	}
}
