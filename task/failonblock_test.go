package task

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

//go:noinline
func sleepBlockingTheLoop(d time.Duration) { time.Sleep(d) }

// WithFailOnBlock: a task that blocks the loop past the threshold fails
// the run with ErrBlockedLoop, naming the task, how long it ran and its
// line; every other task is cancelled once it yields, so a sibling
// sleeping for 10s unwinds at once. (time.Sleep is what is tested
// here, not a synchronisation.)
func TestFailOnBlock(t *testing.T) {
	var siblingErr error
	start := time.Now()
	err := Run(func(ctx context.Context) error {
		return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			n.Go(func(ctx context.Context) error {
				siblingErr = Sleep(ctx, 10*time.Second) // a bound if the run is not cancelled
				return siblingErr
			}, Name("sibling"))
			n.Go(func(ctx context.Context) error {
				sleepBlockingTheLoop(300 * time.Millisecond)
				return nil
			}, Name("hog"))
			return nil
		})
	}, WithSlowTask(50*time.Millisecond), WithFailOnBlock(), WithLogger(slog.New(slog.DiscardHandler)))
	file, line := funcLine(sleepBlockingTheLoop)
	if !errors.Is(err, ErrBlockedLoop) {
		t.Fatalf("Run: %v, want ErrBlockedLoop", err)
	}
	msg := err.Error()
	for _, want := range []string{`task "hog" ran `, "without reaching a checkpoint", fmt.Sprintf("at %s:%d", file, line)} {
		if !strings.Contains(msg, want) {
			t.Errorf("Run: %q, want it to say %q", msg, want)
		}
	}
	var ran time.Duration
	if i := strings.Index(msg, " ran "); i >= 0 {
		ran, _ = time.ParseDuration(strings.Fields(msg[i+5:])[0])
	}
	if ran < 200*time.Millisecond || ran > time.Since(start) {
		t.Errorf("Run: %q: says it ran %v, want about 300ms", msg, ran)
	}
	if !errors.Is(siblingErr, ErrCancelled) {
		t.Errorf("sibling: %v, want it cancelled", siblingErr)
	}
}

// Without WithFailOnBlock, blocking the loop is reported, not an error.
func TestFailOnBlockIsOptIn(t *testing.T) {
	err := Run(func(ctx context.Context) error {
		sleepBlockingTheLoop(300 * time.Millisecond)
		return nil
	}, WithSlowTask(50*time.Millisecond), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// Under a MockClock the slow task is found when it yields (there is no
// live stack): the run still fails, naming the task and its mock time.
func TestFailOnBlockMockClock(t *testing.T) {
	clock := NewMockClock(epoch)
	err := Run(func(ctx context.Context) error {
		clock.Jump(150 * time.Millisecond) // "works" without a checkpoint
		return Checkpoint(ctx)
	}, WithClock(clock), WithFailOnBlock(), WithLogger(slog.New(slog.DiscardHandler)))
	if !errors.Is(err, ErrBlockedLoop) || !strings.Contains(err.Error(), "ran 150ms") || !strings.Contains(err.Error(), "TestFailOnBlockMockClock") {
		t.Fatalf("Run: %v, want ErrBlockedLoop naming the task and 150ms", err)
	}
}
