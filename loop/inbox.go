package loop

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/f04742a6/reactor"
)

// inbox holds callbacks handed over by other goroutines. Producers append
// under a mutex; the loop swaps the whole slice out and then takes at most
// its budget per iteration, so a flood from outside cannot starve the
// callbacks the loop schedules for itself.
type inbox struct {
	mu     sync.Mutex
	items  []func()
	closed bool
	count  atomic.Int64 // len(items), read without the lock

	taken  []func() // owned by the loop
	head   int
	recent bool // the loop's last look found callbacks: spin before blocking (see spinForInbox)
}

// CallSoonThreadsafe schedules fn to run on the loop. It is the one method
// safe to call from any goroutine. It fails with ErrClosed after Close.
func (l *Loop) CallSoonThreadsafe(fn func()) error {
	if fn == nil {
		panic("loop: nil callback")
	}
	if err := l.inbox.push(fn); err != nil {
		return err
	}
	// A loop that is not blocked in its poller will look at the inbox
	// before it blocks (see poll), so only a blocked one needs the
	// system call.
	if !l.polling.Load() {
		return nil
	}
	if err := l.poller.Wake(); err != nil {
		if errors.Is(err, reactor.ErrClosed) {
			return fmt.Errorf("loop: CallSoonThreadsafe: %w", ErrClosed)
		}
		return fmt.Errorf("loop: CallSoonThreadsafe: %w", err)
	}
	return nil
}

func (b *inbox) push(fn func()) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return fmt.Errorf("loop: CallSoonThreadsafe: %w", ErrClosed)
	}
	b.items = append(b.items, fn)
	b.count.Store(int64(len(b.items)))
	return nil
}

func (b *inbox) pending() bool { return b.head < len(b.taken) || b.count.Load() > 0 }

// take moves up to the loop's budget of callbacks to the ready queue.
func (b *inbox) take(l *Loop) {
	if b.head == len(b.taken) {
		if b.count.Load() == 0 {
			return
		}
		b.mu.Lock()
		clear(b.taken)
		b.taken, b.items = b.items, b.taken[:0]
		b.count.Store(0)
		b.mu.Unlock()
		b.head = 0
	}
	b.recent = true
	end := min(len(b.taken), b.head+l.inboxBudget)
	for i := b.head; i < end; i++ {
		l.enqueue(l.newCall(KindThreadsafe, b.taken[i]))
		b.taken[i] = nil
	}
	b.head = end
}

func (b *inbox) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	b.items, b.taken, b.head = nil, nil, 0
	b.count.Store(0)
}
