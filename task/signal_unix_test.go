//go:build linux || darwin || freebsd

package task

import (
	"context"
	"errors"
	"fmt"
	"os"
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

// A receiver gets the signals it asked for, ranged over; while it is open
// for SIGINT, Run leaves SIGINT to it.
func TestSignalReceiver(t *testing.T) {
	err := Run(func(ctx context.Context) error {
		rx, err := OpenSignalReceiver(ctx, syscall.SIGUSR1, os.Interrupt)
		if err != nil {
			return err
		}
		defer rx.Close()
		send := func(sig syscall.Signal) error {
			return ToThread(ctx, func(context.Context) error { return syscall.Kill(syscall.Getpid(), sig) })
		}
		var got []os.Signal
		if err := send(syscall.SIGUSR1); err != nil {
			return err
		}
		for sig := range rx.All(ctx) {
			got = append(got, sig)
			if len(got) == 1 {
				if err := send(syscall.SIGINT); err != nil {
					return err
				}
				continue
			}
			break
		}
		if len(got) != 2 || got[0] != syscall.SIGUSR1 || got[1] != os.Interrupt {
			return fmt.Errorf("received %v", got)
		}
		return Checkpoint(ctx) // SIGINT did not cancel the run
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Contract 140: coalescing, first-arrival order, one receiver at a time,
// errors after close, no signals is an error.
func TestSignalReceiverRules(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		if _, err := OpenSignalReceiver(ctx); err == nil {
			t.Error("no signals: no error")
		}
		rx, err := OpenSignalReceiver(ctx, syscall.SIGUSR1, syscall.SIGUSR2)
		if err != nil {
			return err
		}
		rx.deliver(syscall.SIGUSR2)
		rx.deliver(syscall.SIGUSR1)
		rx.deliver(syscall.SIGUSR2) // coalesces with the first
		a, _ := rx.Receive(ctx)
		b, _ := rx.Receive(ctx)
		expect(t, a == syscall.SIGUSR2 && b == syscall.SIGUSR1 && len(rx.pending) == 0, "got %v %v, pending %v", a, b, rx.pending)
		err = WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			n.Go(func(ctx context.Context) error { _, err := rx.Receive(ctx); return err })
			WaitAllTasksBlocked(ctx)
			_, err := rx.Receive(ctx)
			expect(t, errors.Is(err, ErrBusyResource), "second receiver: %v", err)
			rx.Close()
			return nil
		})
		expect(t, errors.Is(err, ErrClosedResource), "waiting receiver after Close: %v", err)
		_, err = rx.Receive(ctx)
		expect(t, errors.Is(err, ErrClosedResource), "Receive after Close: %v", err)
		return nil
	})
}
