package sim

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/f04742a6/reactor/task"
)

func TestReplayCommand(t *testing.T) {
	got := replayCommand("TestChat/burst", 5)
	want := "REACTOR_SIM_SEED=5 go test -run '^TestChat$/^burst$' ./sim/"
	if got != want {
		t.Errorf("replayCommand = %q, want %q", got, want)
	}
}

func TestSeedsFromEnv(t *testing.T) {
	t.Setenv(EnvSeeds, "3")
	s, err := testSeeds()
	if err != nil || len(s) != 3 || s[2] != 3 {
		t.Errorf("seeds %v %v", s, err)
	}
	t.Setenv(EnvSeed, "77")
	s, err = testSeeds()
	if err != nil || len(s) != 1 || s[0] != 77 {
		t.Errorf("seeds %v %v", s, err)
	}
}

// Test runs every seed; a failure names the seed, the replay command and
// the trace's tail (checked here on the failure message itself).
func TestTestRunsSeeds(t *testing.T) {
	t.Setenv(EnvSeeds, "") // the default count, whatever the caller asked for (make sim)
	t.Setenv(EnvSeed, "")
	var seen []time.Duration
	Test(t, func(ctx context.Context, w *World) error {
		seen = append(seen, w.linkLatency())
		return task.Sleep(ctx, time.Millisecond)
	})
	if len(seen) != DefaultSeeds {
		t.Errorf("ran %d seeds", len(seen))
	}
	r := newRing(3)
	err := Run(func(ctx context.Context, w *World) error {
		w.Host("x", func(ctx context.Context) error { return nil })
		task.Sleep(ctx, time.Second)
		return errors.New("boom")
	}, func(c *config) { c.ring = r })
	if err == nil || !strings.Contains(r.String(), "x exit") {
		t.Errorf("err %v, tail:\n%s", err, r)
	}
}

// linkLatency draws one latency of the default link (a use of the PRNG).
func (w *World) linkLatency() time.Duration {
	l, _ := w.linkOf("a", "b")
	return w.latency(l)
}
