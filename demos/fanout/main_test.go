package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/f04742a6/reactor/task"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A consumer that fails mid-item loses nothing: every item is processed
// to the end exactly once, whatever the failures.
func TestFanoutLosesNothing(t *testing.T) {
	clock := task.NewMockClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	clock.SetAutojump(0)
	cfg := config{items: 200, consumers: 5, flaky: 2, stuck: -1, work: time.Millisecond, lease: time.Second}
	err := task.Run(func(ctx context.Context) error {
		st, err := run(ctx, cfg)
		if err != nil {
			return err
		}
		if st.failures == 0 {
			t.Error("the flaky consumer never failed: the test proves nothing")
		}
		for i := range cfg.items {
			if st.done[i] != 1 {
				t.Errorf("item %d processed %d times; want exactly once", i, st.done[i])
			}
		}
		var out strings.Builder
		report(&out, cfg, st)
		if !strings.Contains(out.String(), "200 of 200 items processed exactly once") {
			t.Errorf("report: %s", out.String())
		}
		return nil
	}, task.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
}

// A consumer stuck on an item loses it when its lease runs out, exactly
// then, and is restarted; the item is done once by another, and the run
// ends one lease time after the start.
func TestStuckConsumerLosesItsLease(t *testing.T) {
	clock := task.NewMockClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	clock.SetAutojump(0)
	cfg := config{items: 50, consumers: 5, flaky: -1, stuck: 0, work: time.Millisecond, lease: time.Second}
	err := task.Run(func(ctx context.Context) error {
		start := task.Now(ctx)
		st, err := run(ctx, cfg)
		if err != nil {
			return err
		}
		if st.timeouts != 1 || st.failures != 0 {
			t.Errorf("%d leases ran out, %d failures; want 1 and 0", st.timeouts, st.failures)
		}
		for i := range cfg.items {
			if st.done[i] != 1 {
				t.Errorf("item %d processed %d times; want exactly once", i, st.done[i])
			}
		}
		if took := task.Now(ctx).Sub(start); took != cfg.lease+cfg.work {
			t.Errorf("the run took %v; want the lease and one more item's work, %v", took, cfg.lease+cfg.work)
		}
		return nil
	}, task.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
}
