package streams_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// TestTLSCloseFromAnotherGoroutine closes a TLS stream over TCP from a
// goroutine of its own while one task of the loop writes to it and
// another reads from it, both busy. Close must touch nothing the tasks
// use (run under -race: a read of the stream's write state before Close
// knows where it runs is reported), and both tasks must end with an
// error matching task.ErrClosedResource.
func TestTLSCloseFromAnotherGoroutine(t *testing.T) {
	for i := range 5 {
		t.Run(fmt.Sprint("round ", i), func(t *testing.T) {
			run(t, func(ctx context.Context) error {
				c, s, err := tlsOver(tcpPair)(ctx)
				if err != nil {
					return err
				}
				defer s.Close()
				defer c.Close()
				var flowing task.Event // both directions have moved data
				var wrote, read int
				var writeErr, readErr error
				err = task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
					// The peer echoes nothing: it drains, and sends on its own.
					n.Go(func(ctx context.Context) error { drain(ctx, s); return nil })
					n.Go(func(ctx context.Context) error { spray(ctx, s, 1024, nil); return nil })
					n.Go(func(ctx context.Context) error {
						// Small writes: the peer keeps up, and the writing task
						// keeps changing the stream's write state while Close
						// runs, instead of waiting with a full socket buffer.
						writeErr = spray(ctx, c, 64, func(n int) {
							if wrote = n; read > 0 {
								flowing.Set()
							}
						})
						return nil
					})
					n.Go(func(ctx context.Context) error {
						readErr = drainCounting(ctx, c, func(n int) {
							if read = n; wrote > 0 {
								flowing.Set()
							}
						})
						return nil
					})
					if err := flowing.Wait(ctx); err != nil {
						return err
					}
					// Close from a goroutine that is not the loop's, while the
					// tasks keep going.
					return task.ToThread(ctx, func(context.Context) error { return c.Close() })
				})
				if err != nil {
					return err
				}
				if !errors.Is(writeErr, task.ErrClosedResource) {
					t.Errorf("the writing task ended with %v; want an error matching task.ErrClosedResource", writeErr)
				}
				if !errors.Is(readErr, task.ErrClosedResource) {
					t.Errorf("the reading task ended with %v; want an error matching task.ErrClosedResource", readErr)
				}
				return nil
			})
		})
	}
}

// spray writes chunks of size bytes to s until a write fails, telling
// progress (bytes written so far) after each, and returns the failure.
func spray(ctx context.Context, s streams.Stream, size int, progress func(int)) error {
	p := make([]byte, size)
	total := 0
	for {
		n, err := s.Write(ctx, p)
		total += n
		if err != nil {
			return err
		}
		if progress != nil {
			progress(total)
		}
	}
}

// drain reads s until a read fails.
func drain(ctx context.Context, s streams.Stream) error { return drainCounting(ctx, s, nil) }

// drainCounting reads s until a read fails, telling progress (bytes read
// so far) after each read, and returns the failure.
func drainCounting(ctx context.Context, s streams.Stream, progress func(int)) error {
	p := make([]byte, 4096)
	total := 0
	for {
		n, err := s.Read(ctx, p)
		total += n
		if err != nil {
			return err
		}
		if progress != nil {
			progress(total)
		}
	}
}
