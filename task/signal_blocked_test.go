//go:build linux || darwin || freebsd

package task

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"
)

//go:noinline
func blockTheLoopUntil(c chan struct{}) { <-c }

// TestSignalBlockedChild is the body of the child process the tests below
// start; TASK_SIGNAL_BLOCKED_CHILD says how it runs. It logs to stderr
// and prints "ready" once Run catches its signals, and Run's error.
//
//   - blocked: a task named "blocker" prints "ready" and blocks the loop
//     (a Go channel receive) until a byte arrives on stdin.
//   - ignored: main prints "ready" and sleeps, on the loop, until cancelled;
//     after Run the child says whether SIGINT is still ignored.
func TestSignalBlockedChild(t *testing.T) {
	mode := os.Getenv("TASK_SIGNAL_BLOCKED_CHILD")
	if mode == "" {
		t.Skip("the child process of the TestSignal*Blocked* and TestSignalIgnored* tests")
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	var err error
	switch mode {
	case "blocked":
		release := make(chan struct{})
		go func() {
			os.Stdin.Read(make([]byte, 1))
			close(release)
		}()
		err = Run(func(ctx context.Context) error {
			return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
				n.Go(func(ctx context.Context) error {
					fmt.Println("ready") // the loop is blocked from here on
					blockTheLoopUntil(release)
					return Checkpoint(ctx)
				}, Name("blocker"))
				return nil
			})
		}, WithLogger(logger))
	case "ignored":
		err = Run(func(ctx context.Context) error {
			fmt.Println("ready")
			return Sleep(ctx, time.Hour)
		}, WithLogger(logger))
		fmt.Println("SIGINT ignored after Run:", signal.Ignored(os.Interrupt))
	default:
		t.Fatalf("unknown mode %q", mode)
	}
	fmt.Println("Run:", err)
}

// child is a running TestSignalBlockedChild.
type child struct {
	t              *testing.T
	cmd            *exec.Cmd
	stdin          io.WriteCloser
	stdout, stderr chan string
	seen           []string
}

// startChild starts TestSignalBlockedChild in mode; with ignoreSIGINT, a
// shell starts it with SIGINT ignored, as "cmd &" in a script does.
func startChild(t *testing.T, mode string, ignoreSIGINT bool) *child {
	t.Helper()
	args := []string{"-test.run=^TestSignalBlockedChild$", "-test.v"}
	cmd := exec.Command(os.Args[0], args...)
	if ignoreSIGINT {
		// An ignored signal stays ignored across exec.
		cmd = exec.Command("/bin/sh", append([]string{"-c", `trap "" INT; exec "$0" "$@"`, os.Args[0]}, args...)...)
	}
	cmd.Env = append(os.Environ(), "TASK_SIGNAL_BLOCKED_CHILD="+mode,
		"GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0") // a race-enabled child exits at once
	c := &child{t: t, cmd: cmd, stdout: make(chan string, 100), stderr: make(chan string, 100)}
	stdin, err1 := cmd.StdinPipe()
	stdout, err2 := cmd.StdoutPipe()
	stderr, err3 := cmd.StderrPipe()
	if err := errors.Join(err1, err2, err3); err != nil {
		t.Fatal(err)
	}
	c.stdin = stdin
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := func(r io.Reader, out chan<- string) {
		defer close(out)
		for s := bufio.NewScanner(r); s.Scan(); {
			out <- s.Text()
		}
	}
	go lines(stdout, c.stdout)
	go lines(stderr, c.stderr)
	// A bound for a failing test (a child that hangs), not a synchronisation.
	bound := time.AfterFunc(20*time.Second, func() { cmd.Process.Kill() })
	t.Cleanup(func() {
		bound.Stop()
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			c.wait()
		}
	})
	return c
}

// waitFor returns the next line of out that contains want.
func (c *child) waitFor(out <-chan string, want string) string {
	c.t.Helper()
	for line := range out {
		c.seen = append(c.seen, line)
		if strings.Contains(line, want) {
			return line
		}
	}
	c.t.Fatalf("the child never printed %q; it printed:\n%s", want, strings.Join(c.seen, "\n"))
	return ""
}

// wait waits for the child to end, once it has printed everything.
func (c *child) wait() syscall.WaitStatus {
	for line := range c.stdout {
		c.seen = append(c.seen, line)
	}
	for line := range c.stderr {
		c.seen = append(c.seen, line)
	}
	c.cmd.Wait()
	return c.cmd.ProcessState.Sys().(syscall.WaitStatus)
}

func (c *child) signal(sig syscall.Signal) {
	c.t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		c.t.Fatal(err)
	}
}

// untakenReport waits for Run's report of a SIGINT that the blocked loop
// has not taken, and checks that it names the task and its line.
func (c *child) untakenReport() {
	c.t.Helper()
	sent := time.Now()
	report := c.waitFor(c.stderr, "SIGINT waits for a blocked loop")
	c.t.Logf("reported %v after the signal: %s", time.Since(sent), report)
	file, line := funcLine(blockTheLoopUntil)
	for _, want := range []string{
		"task=blocker",
		fmt.Sprintf("at=%s:%d ", file, line),
		fmt.Sprintf(`stack.0="task.blockTheLoopUntil signal_blocked_test.go:%d"`, line),
		"waiting=100ms",
	} {
		if !strings.Contains(report, want) {
			c.t.Errorf("the report lacks %s:\n%s", want, report)
		}
	}
}

// A SIGINT that a blocked loop cannot take is reported at the threshold,
// naming the task and its line, while the loop is still blocked (the
// test unblocks it only after); once the task yields, the run is
// cancelled and Run returns ErrInterrupted. (Before: nothing was said.)
func TestSignalBlockedLoopReported(t *testing.T) {
	c := startChild(t, "blocked", false)
	c.waitFor(c.stdout, "ready")
	c.signal(syscall.SIGINT)
	c.untakenReport()
	if _, err := c.stdin.Write([]byte{1}); err != nil { // the task unblocks
		t.Fatal(err)
	}
	c.waitFor(c.stdout, "Run: task: interrupted by SIGINT")
	if ws := c.wait(); ws.Signaled() || ws.ExitStatus() != 0 {
		t.Fatalf("child ended with %v, want exit status 0:\n%s", ws, strings.Join(c.seen, "\n"))
	}
}

// A second SIGINT ends the process by SIGINT although its loop is blocked
// and never takes the first (before: both waited for the loop, so Ctrl-C
// did nothing to a program stuck in time.Sleep).
func TestSignalBlockedLoopSecondSignalKills(t *testing.T) {
	c := startChild(t, "blocked", false)
	c.waitFor(c.stdout, "ready")
	c.signal(syscall.SIGINT)
	c.untakenReport() // the first has arrived, and the loop is still blocked
	c.signal(syscall.SIGINT)
	if ws := c.wait(); !ws.Signaled() || ws.Signal() != syscall.SIGINT {
		t.Fatalf("child ended with %v, want killed by SIGINT:\n%s", ws, strings.Join(c.seen, "\n"))
	}
}

// Started with SIGINT ignored, Run leaves it ignored: a SIGINT does
// nothing (the run goes on and is ended by the SIGTERM sent after it), and
// SIGINT is still ignored after Run. (Before: Run caught it, the SIGINT
// interrupted the run, and the next SIGINT put back "ignore" instead of
// ending the process.)
func TestSignalIgnoredAtStartStaysIgnored(t *testing.T) {
	c := startChild(t, "ignored", true)
	c.waitFor(c.stdout, "ready")
	c.signal(syscall.SIGINT) // discarded by the kernel when kill returns: it is ignored
	c.signal(syscall.SIGTERM)
	c.waitFor(c.stdout, "SIGINT ignored after Run: true")
	c.waitFor(c.stdout, "Run: task: interrupted by SIGTERM")
	if ws := c.wait(); ws.Signaled() || ws.ExitStatus() != 0 {
		t.Fatalf("child ended with %v, want exit status 0:\n%s", ws, strings.Join(c.seen, "\n"))
	}
}
