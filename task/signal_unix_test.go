//go:build linux || darwin || freebsd

package task

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"
)

// SIGINT cancels every task; deferred cleanup runs; Run returns
// ErrInterrupted. The signal is sent to the test process from a worker.
func TestSIGINTCancelsRun(t *testing.T) {
	cleaned := false
	err := Run(func(ctx context.Context) error {
		return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			n.Go(func(ctx context.Context) error {
				defer func() { cleaned = true }()
				return Sleep(ctx, time.Hour) // real clock: only SIGINT ends it
			})
			return ToThread(ctx, func(context.Context) error {
				return syscall.Kill(syscall.Getpid(), syscall.SIGINT)
			})
		})
	})
	if !errors.Is(err, ErrInterrupted) || !cleaned {
		t.Fatalf("err=%v cleaned=%v", err, cleaned)
	}
}
