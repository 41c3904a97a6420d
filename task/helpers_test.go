package task

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// run runs main on an autojumping mock clock: timeouts take no real time.
func run(t *testing.T, main func(ctx context.Context) error, opts ...Option) error {
	t.Helper()
	clock := NewMockClock(epoch)
	clock.SetAutojump(0)
	opts = append([]Option{WithClock(clock), WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	return Run(main, opts...)
}

func mustRun(t *testing.T, main func(ctx context.Context) error, opts ...Option) {
	t.Helper()
	if err := run(t, main, opts...); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// elapsed is the mock time since the run started.
func elapsed(ctx context.Context) time.Duration { return Now(ctx).Sub(epoch) }

func catchPanic(fn func()) (v any) {
	defer func() { v = recover() }()
	fn()
	return nil
}

func expect(t *testing.T, cond bool, format string, args ...any) {
	t.Helper()
	if !cond {
		t.Errorf(format, args...)
	}
}

var _ = fmt.Sprint
