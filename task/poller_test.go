package task

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/f04742a6/reactor"
	"github.com/f04742a6/reactor/internal/sock"
)

// countingPoller is a backend of its own, as a test gives Run one: the
// operating system's poller, with its waits and closes counted.
type countingPoller struct {
	reactor.Poller
	waits, closes atomic.Int32
}

func (p *countingPoller) Wait(events []reactor.Event, timeout time.Duration) (int, error) {
	p.waits.Add(1)
	return p.Poller.Wait(events, timeout)
}

func (p *countingPoller) Close() error {
	p.closes.Add(1)
	return p.Poller.Close()
}

func newCountingPoller(t *testing.T) *countingPoller {
	t.Helper()
	p, err := reactor.New()
	if err != nil {
		t.Fatal(err)
	}
	return &countingPoller{Poller: p}
}

// WithPoller runs the loop on the given backend, which Run closes.
func TestWithPollerRunsTheLoopOnIt(t *testing.T) {
	p := newCountingPoller(t)
	a, b := socketPair(t)
	mustRun(t, func(ctx context.Context) error {
		f, err := RegisterFD(ctx, a)
		if err != nil {
			return err
		}
		defer f.Close(func(uintptr) error { return nil })
		f.Consume(reactor.Readable) // nothing to read yet: wait for the backend's word
		if _, err := sock.Write(b, []byte("x")); err != nil {
			return err
		}
		return f.WaitReadable(ctx, "test")
	}, WithPoller(p))
	expect(t, p.waits.Load() > 0, "the loop never waited on the given poller")
	expect(t, p.closes.Load() == 1, "Run closed the given poller %d times, want once", p.closes.Load())
}

// RunParallel cannot share one poller between loops.
func TestRunParallelRefusesOnePollerForMany(t *testing.T) {
	p := newCountingPoller(t)
	defer p.Poller.Close()
	v := catchPanic(func() {
		RunParallel(2, func(context.Context, int) error { return nil }, WithPoller(p))
	})
	msg, _ := v.(string)
	expect(t, strings.Contains(msg, "WithPoller") && strings.Contains(msg, "a poller of its own"), "panic %v", v)
}

// One raw fd waited on in both directions is one registration: a reader
// and a writer wait at once, each is woken by its own direction, and a
// wait for a direction that already holds returns at once
// (level-triggered) while the other direction keeps the registration.
func TestWaitReadableAndWritableShareAnFD(t *testing.T) {
	a, b := socketPair(t)
	fill(t, a) // a's send buffer is full: WaitWritable(a) parks
	mustRun(t, func(ctx context.Context) error {
		return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			writable := false
			n.Go(func(ctx context.Context) error {
				err := WaitWritable(ctx, a)
				writable = true
				return err
			})
			n.Go(func(ctx context.Context) error {
				if err := WaitReadable(ctx, a); err != nil { // woken by the write below
					return err
				}
				expect(t, !writable, "the writer woke with the reader")
				expect(t, len(runnerOf(ctx).fdWatches) == 1, "the writer's registration is gone")
				// Still readable, and the registration is the writer's:
				// the kernel is asked, and the wait returns at once.
				if err := WaitReadable(ctx, a); err != nil {
					return err
				}
				drainFD(t, a)
				drainFD(t, b) // room in a's send buffer: the writer wakes
				return nil
			})
			for range 3 {
				Checkpoint(ctx) // both are parked now
			}
			expect(t, len(runnerOf(ctx).fdWatches) == 1, "%d registrations for one fd, want 1", len(runnerOf(ctx).fdWatches))
			_, err := sock.Write(b, []byte("ping"))
			return err
		})
	})
}

// A task parked on a raw fd is not a deadlock: the fd can still wake
// it. The backend writes to the fd's peer only once the loop blocks in
// it, which it does only if the run was not found deadlocked first.
func TestRawFDWaitIsAWakeSource(t *testing.T) {
	a, b := socketPair(t)
	p := &onBlockPoller{Poller: newCountingPoller(t), onBlock: func() { sock.Write(b, []byte("x")) }}
	mustRun(t, func(ctx context.Context) error { return WaitReadable(ctx, a) }, WithPoller(p))
	expect(t, p.onBlock == nil, "the loop never blocked")
}

// onBlockPoller calls onBlock (once) when the loop first blocks in it.
type onBlockPoller struct {
	reactor.Poller
	onBlock func()
}

func (p *onBlockPoller) Wait(events []reactor.Event, timeout time.Duration) (int, error) {
	if fn := p.onBlock; fn != nil && timeout < 0 {
		p.onBlock = nil
		fn()
	}
	return p.Poller.Wait(events, timeout)
}

// fill writes to fd until its send buffer is full.
func fill(t *testing.T, fd uintptr) {
	t.Helper()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := sock.Write(fd, chunk); errors.Is(err, sock.ErrWouldBlock) {
			return
		} else if err != nil {
			t.Fatal(err)
		}
	}
}

// drainFD reads fd until a read would block.
func drainFD(t *testing.T, fd uintptr) {
	t.Helper()
	buf := make([]byte, 64<<10)
	for {
		if _, err := sock.Read(fd, buf); errors.Is(err, sock.ErrWouldBlock) {
			return
		} else if err != nil {
			t.Fatal(err)
		}
	}
}
