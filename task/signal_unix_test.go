//go:build linux || darwin || freebsd

package task

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// SIGINT and SIGTERM cancel every task; deferred cleanup runs; Run
// returns one readable line matching ErrInterrupted (before: SIGTERM was
// not caught, and the error took two lines). The signal is sent to the
// test process from a worker.
func TestSignalsCancelRun(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(signalName(sig), func(t *testing.T) {
			cleaned := false
			err := Run(func(ctx context.Context) error {
				return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
					n.Go(func(ctx context.Context) error {
						defer func() { cleaned = true }()
						return Sleep(ctx, time.Hour) // real clock: only the signal ends it
					})
					return ToThread(ctx, func(context.Context) error {
						return syscall.Kill(syscall.Getpid(), sig)
					})
				})
			})
			want := "task: interrupted by " + signalName(sig)
			if !errors.Is(err, ErrInterrupted) || !cleaned || err.Error() != want {
				t.Fatalf("err=%q cleaned=%v; want %q", err, cleaned, want)
			}
		})
	}
}

// WithSignals chooses the signals: SIGUSR1 here, so SIGUSR1 interrupts.
func TestWithSignalsChooses(t *testing.T) {
	err := Run(func(ctx context.Context) error {
		if err := ToThread(ctx, func(context.Context) error { return syscall.Kill(syscall.Getpid(), syscall.SIGUSR1) }); err != nil {
			return err
		}
		return Sleep(ctx, time.Hour)
	}, WithSignals(syscall.SIGUSR1))
	if !errors.Is(err, ErrInterrupted) || !strings.Contains(err.Error(), "SIGUSR1") {
		t.Fatalf("err = %v", err)
	}
}

// signalChild is the body of the child process the tests below start:
// TASK_SIGNAL_CHILD says how it runs; it prints "ready" once its signals
// are caught, "cleanup" when its shielded cleanup starts, and Run's error.
func TestSignalChild(t *testing.T) {
	mode := os.Getenv("TASK_SIGNAL_CHILD")
	if mode == "" {
		t.Skip("the child process of TestSignalDispositions")
	}
	var opts []Option
	if mode == "none" {
		opts = append(opts, WithSignals())
	}
	err := Run(func(ctx context.Context) error {
		defer Shield(ctx, func(ctx context.Context) error {
			fmt.Println("cleanup")
			return Sleep(ctx, time.Hour) // a cleanup that hangs
		})
		fmt.Println("ready")
		return Sleep(ctx, time.Hour)
	}, opts...)
	fmt.Println("Run:", err)
}

// A second signal while cleanup hangs ends the process by that signal;
// WithSignals() leaves the default disposition (the process dies at once).
func TestSignalDispositions(t *testing.T) {
	for _, tc := range []struct {
		mode    string
		signals int    // how many SIGINTs to send
		waitFor string // the line to wait for before each
	}{
		{"twice", 2, "cleanup"},
		{"none", 1, ""},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestSignalChild$", "-test.v")
			cmd.Env = append(os.Environ(), "TASK_SIGNAL_CHILD="+tc.mode)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// A bound for a failing test (a child that hangs), not a synchronisation.
			defer time.AfterFunc(20*time.Second, func() { cmd.Process.Kill() }).Stop()
			lines := bufio.NewScanner(out)
			waitLine := func(want string) {
				for lines.Scan() {
					if lines.Text() == want {
						return
					}
				}
				t.Fatalf("the child never printed %q", want)
			}
			waitLine("ready")
			cmd.Process.Signal(syscall.SIGINT)
			if tc.signals == 2 {
				waitLine(tc.waitFor)
				cmd.Process.Signal(syscall.SIGINT)
			}
			io.Copy(io.Discard, out)
			err = cmd.Wait()
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("child: %v, want killed by SIGINT", err)
			}
			ws := exit.Sys().(syscall.WaitStatus)
			if !ws.Signaled() || ws.Signal() != syscall.SIGINT {
				t.Fatalf("child ended with %v, want killed by SIGINT", ws)
			}
		})
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

// CONFORMANCE.md C109: coalescing, first-arrival order, one receiver at a
// time, errors after close, no signals is an error.
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
