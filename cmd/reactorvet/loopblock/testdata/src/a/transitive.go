package a

import (
	"context"
	"sync"
	"time"

	"github.com/f04742a6/reactor/task"
)

// Functions of the package that a task calls are checked, transitively.
func transitive() error {
	return task.Run(func(ctx context.Context) error {
		helper()
		var c counter
		c.add()
		return task.ToThread(ctx, func(ctx context.Context) error {
			threadOnly()
			return nil
		})
	})
}

func helper() {
	time.Sleep(time.Millisecond) // want `time\.Sleep blocks the event loop: use task\.Sleep\(ctx, d\) \[in helper, called from a task at transitive\.go:14\]`
	deeper()
}

func deeper() {
	ch := make(chan int)
	<-ch // want `receive from a Go channel blocks the event loop.*\[in deeper, called from a task at transitive\.go:26\]`
}

type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) add() {
	c.mu.Lock() // want `\(\*sync\.Mutex\)\.Lock blocks the event loop.*\[in counter\.add, called from a task at transitive\.go:16\]`
	c.n++
	c.mu.Unlock()
}

// Called only from a worker thread: not task code.
func threadOnly() {
	time.Sleep(time.Millisecond)
	go helperOnGoroutine()
}

func helperOnGoroutine() {
	time.Sleep(time.Millisecond)
}
