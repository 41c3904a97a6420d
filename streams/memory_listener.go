package streams

import (
	"context"
	"net"
	"sync/atomic"

	"github.com/f04742a6/reactor/task"
)

// MemoryListener is a Listener of in-memory streams: Dial makes a
// MemoryPair, queues one end for Accept and returns the other. Servers
// written against Listener run on it unchanged, on the mock clock, with
// no sockets: the test double for a network. Accept and Dial must be
// called from tasks of one loop; Close from anywhere.
type MemoryListener struct {
	size int
	// queue holds dialled ends not yet accepted. Invariant: empty once closed.
	queue    []Stream
	accepter task.Slot
	closed   atomic.Bool
	home     task.Binding // the loop of the tasks that use it (see memPair)
}

// NewMemoryListener returns a listener whose connections are
// MemoryPair(size).
func NewMemoryListener(size int) *MemoryListener { return &MemoryListener{size: size} }

// Dial connects to the listener: it returns the client's end at once (the
// server's end waits for Accept), or an error matching
// task.ErrClosedResource once the listener is closed.
func (l *MemoryListener) Dial(ctx context.Context) (Stream, error) {
	if err := l.begin(ctx, "dial"); err != nil {
		return nil, err
	}
	client, server := MemoryPair(l.size)
	l.queue = append(l.queue, server)
	l.accepter.Wake(nil)
	task.Progress(ctx)
	return client, nil
}

// Accept waits for a Dial and returns the server's end.
func (l *MemoryListener) Accept(ctx context.Context) (Stream, error) {
	if err := l.begin(ctx, "accept"); err != nil {
		return nil, err
	}
	waited := false
	for len(l.queue) == 0 {
		if err := l.accepter.Wait(ctx, "Accept"); err != nil {
			if l.closed.Load() {
				return nil, closedError("accept", l.Addr())
			}
			return nil, err
		}
		if l.closed.Load() {
			return nil, closedError("accept", l.Addr())
		}
		waited = true
	}
	s := l.queue[0]
	l.queue = l.queue[1:]
	if !waited {
		task.Progress(ctx) // a backlog served without waiting spends the budget
	}
	return s, nil
}

func (l *MemoryListener) begin(ctx context.Context, op string) error {
	if err := task.CheckCancelled(ctx, op); err != nil {
		return err
	}
	if l.closed.Load() {
		task.Progress(ctx)
		return closedError(op, l.Addr())
	}
	l.home.Bind(ctx)
	return nil
}

// Addr names the listener.
func (l *MemoryListener) Addr() net.Addr { return memAddr("memory:listener") }

// Close stops accepting: a blocked Accept and later calls fail with
// task.ErrClosedResource, and connections dialled but not accepted are
// closed. Idempotent; safe from any goroutine.
func (l *MemoryListener) Close() error {
	if l.closed.Swap(true) {
		return nil
	}
	l.home.Do(l.finishClose)
	return nil
}

func (l *MemoryListener) finishClose() {
	for _, s := range l.queue {
		s.Close()
	}
	l.queue = nil
	l.accepter.Wake(closedError("accept", l.Addr()))
}
