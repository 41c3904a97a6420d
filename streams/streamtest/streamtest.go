// Package streamtest is the conformance battery for streams.Stream
// implementations: our port of Trio's check_one_way_stream,
// check_two_way_stream and check_half_closeable_stream. Every stream type
// of package streams runs it (memory pairs, TCP, Unix, TLS), and so can
// any Stream a user writes.
//
// Each check runs its cases as subtests, each case in a task.Run of its
// own with a fresh pair, under a 20 s deadline so that a stream that
// hangs fails instead of stalling the test binary.
package streamtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// Pair makes two connected streams in the calling task: for CheckOneWay,
// the first writes and the second reads; for the two-way checks, either
// end does both.
//
// A clogged Pair makes streams whose first Write blocks until the other
// end reads (MemoryPair(0), or sockets whose buffers were filled first),
// in both directions for CheckTwoWay and CheckHalfCloseable (as Trio's
// check_two_way_stream requires, since it flips the pair);
// what a clogged reader receives first may be filler, and the cases that
// use it do not look at the bytes. A nil clogged Pair skips those cases.
type Pair func(ctx context.Context) (streams.Stream, streams.Stream, error)

// caseDeadline bounds each case: a hang is a failure. It is on a mock
// clock that jumps once the loop has been idle for idleJump of real
// time, so a case whose tasks all wait for something that never comes
// fails after idleJump, not after the deadline; real I/O, which arrives
// within microseconds, never lets it jump.
const (
	caseDeadline = 20 * time.Second
	idleJump     = time.Second
)

// run runs one case in a task.Run of its own with a fresh pair, closing
// both ends when it returns. A case's body runs in a task: it reports
// with t.Errorf, never t.Fatal (whose runtime.Goexit would end the task's
// goroutine under the loop).
func run(t *testing.T, name string, make Pair, body func(t *checker, ctx context.Context, a, b streams.Stream)) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		clock := task.NewMockClock(time.Now())
		clock.SetAutojump(idleJump)
		err := task.Run(func(ctx context.Context) error {
			return task.FailAfter(ctx, caseDeadline, func(ctx context.Context) error {
				return task.WithScope(ctx, func(ctx context.Context, s *task.Scope) error {
					a, b, err := make(ctx)
					if err != nil {
						return fmt.Errorf("making the pair: %w", err)
					}
					defer a.Close()
					defer b.Close()
					body(&checker{T: t, scope: s}, ctx, a, b)
					return nil
				})
			})
		}, task.WithClock(clock))
		if err != nil {
			t.Fatal(err)
		}
	})
}

// checker is a case's *testing.T: its first failure also cancels the
// case, so that a broken stream fails fast instead of leaving the case's
// other tasks blocked until the deadline; what fails after that (the
// cancellation, seen by those tasks) is logged, not reported again.
type checker struct {
	*testing.T
	scope *task.Scope
}

func (c *checker) Errorf(format string, args ...any) {
	c.Helper()
	if c.scope.CancelCalled() {
		c.Logf("after the first failure: "+format, args...)
		return
	}
	c.T.Errorf(format, args...)
	c.scope.Cancel()
}

// CheckOneWay checks the behaviours of a stream used in one direction: a
// writes, b reads.
func CheckOneWay(t *testing.T, pair, clogged Pair) {
	t.Helper()
	oneWay(t, pair, clogged)
}

// CheckTwoWay checks CheckOneWay's behaviours in both directions, and
// full duplex traffic.
func CheckTwoWay(t *testing.T, pair, clogged Pair) {
	t.Helper()
	t.Run("forward", func(t *testing.T) { oneWay(t, pair, clogged) })
	t.Run("backward", func(t *testing.T) { oneWay(t, flip(pair), flip(clogged)) })
	twoWay(t, pair)
}

// CheckHalfCloseable checks CheckTwoWay's behaviours and CloseWrite's:
// both ends must be streams.HalfCloser.
func CheckHalfCloseable(t *testing.T, pair, clogged Pair) {
	t.Helper()
	CheckTwoWay(t, pair, clogged)
	halfClose(t, pair, clogged)
}

// flip swaps the ends a Pair makes.
func flip(p Pair) Pair {
	if p == nil {
		return nil
	}
	return func(ctx context.Context) (streams.Stream, streams.Stream, error) {
		a, b, err := p(ctx)
		return b, a, err
	}
}

// writeAll writes p, failing the test on error.
func writeAll(t *checker, ctx context.Context, s streams.Stream, p []byte) bool {
	t.Helper()
	n, err := s.Write(ctx, p)
	if err != nil || n != len(p) {
		t.Errorf("Write(%d bytes) = %d, %v; want %d, nil", len(p), n, err, len(p))
		return false
	}
	return true
}

// readExactly reads n bytes, failing on EOF or error.
func readExactly(t *checker, ctx context.Context, s streams.Stream, n int) []byte {
	t.Helper()
	buf := make([]byte, n)
	got := 0
	for got < n {
		k, err := s.Read(ctx, buf[got:])
		if k == 0 && err == nil {
			t.Errorf("Read returned (0, nil) for a %d-byte buffer: a Read returns at least one byte or an error", n-got)
			return buf[:got]
		}
		got += k
		if err != nil {
			t.Errorf("Read after %d of %d bytes: %v", got, n, err)
			return buf[:got]
		}
	}
	return buf
}

// readToEOF reads until io.EOF and returns what came.
func readToEOF(t *checker, ctx context.Context, s streams.Stream) []byte {
	t.Helper()
	var out []byte
	buf := make([]byte, 4096)
	for {
		n, err := s.Read(ctx, buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			if n != 0 {
				t.Errorf("Read returned %d bytes with io.EOF; want (0, io.EOF)", n)
			}
			return out
		}
		if err != nil {
			t.Errorf("Read after %d bytes: %v; want data, then (0, io.EOF)", len(out), err)
			return out
		}
		if n == 0 {
			t.Errorf("Read returned (0, nil)")
			return out
		}
	}
}

// drain reads and discards until EOF or error (a clogged pair's filler).
func drain(ctx context.Context, s streams.Stream) error {
	buf := make([]byte, 64<<10)
	for {
		if _, err := s.Read(ctx, buf); err != nil {
			return err
		}
	}
}

// wantErr fails unless err matches target.
func wantErr(t *checker, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got error %v; want one matching %v", what, err, target)
	}
}

// background runs fn in a new task of n and returns a channel its result
// arrives on (a task channel: receiving from it parks, never blocks).
func background(n *task.Nursery, fn func(ctx context.Context) error) *task.Receiver[error] {
	send, recv := task.NewChannel[error](1)
	n.Go(func(ctx context.Context) error {
		send.TrySend(fn(ctx))
		return nil
	})
	return recv
}

// blocked is background, returning once every task is blocked: fn is
// then parked inside the stream (or done).
func blocked(ctx context.Context, n *task.Nursery, fn func(ctx context.Context) error) *task.Receiver[error] {
	r := background(n, fn)
	task.WaitAllTasksBlocked(ctx)
	return r
}

// atOnce runs fn, which must return without waiting for another task,
// and returns its error; if it blocks, the case fails (and is cancelled,
// which unblocks it).
func atOnce(t *checker, ctx context.Context, n *task.Nursery, what string, fn func(ctx context.Context) error) error {
	t.Helper()
	r := blocked(ctx, n, fn)
	err, rerr := r.TryReceive()
	if rerr != nil {
		t.Errorf("%s blocked; want it to return at once", what)
		return nil
	}
	return err
}

// blockedWrite starts a 1 MiB Write of s and returns once it blocks.
func blockedWrite(ctx context.Context, n *task.Nursery, s streams.Stream) *task.Receiver[error] {
	return blocked(ctx, n, func(ctx context.Context) error {
		_, err := s.Write(ctx, make([]byte, 1<<20))
		return err
	})
}

// blockedRead starts a Read of size bytes from s and returns once it
// blocks.
func blockedRead(ctx context.Context, n *task.Nursery, s streams.Stream, size int) *task.Receiver[error] {
	return blocked(ctx, n, func(ctx context.Context) error {
		_, err := s.Read(ctx, make([]byte, size))
		return err
	})
}

// stillBlocked fails if the task behind r has returned.
func stillBlocked(t *checker, what string, r *task.Receiver[error]) {
	t.Helper()
	if err, rerr := r.TryReceive(); rerr == nil {
		t.Errorf("%s returned %v; want it still blocked", what, err)
	}
}

// result waits for the task behind r.
func result(t *checker, ctx context.Context, r *task.Receiver[error]) error {
	t.Helper()
	err, rerr := r.Receive(ctx)
	if rerr != nil {
		t.Errorf("waiting for a task's result: %v", rerr)
		return rerr
	}
	return err
}
