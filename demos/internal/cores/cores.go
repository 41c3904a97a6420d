// Package cores runs a demo server on one loop per core: n loops
// (task.RunParallel), each with its own listener on the same address
// (SO_REUSEPORT when n > 1), so the kernel spreads connections over them.
package cores

import (
	"context"
	"errors"
	"net"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// Serve listens on addr on each of loops loops and runs serve(ctx, l, i)
// on loop i until it returns, the run is interrupted (SIGINT, SIGTERM),
// or stop is closed (nil: never). An address with port 0 gets a port on
// loop 0, which the other loops then share. ready, if not nil, receives
// the bound address once every loop listens and has started serve: each
// serve has run up to its first blocking call (typically waiting for a
// connection in Accept).
//
// More than one loop needs SO_REUSEPORT: on Windows, which has none,
// Serve fails for loops > 1; on macOS the option exists but the kernel
// gives every connection to one listener, so the other loops idle.
func Serve(addr string, loops int, ready chan<- net.Addr, stop <-chan struct{}, serve func(ctx context.Context, l streams.Listener, i int) error) error {
	var opts []streams.ListenOption
	if loops > 1 {
		opts = append(opts, streams.ReusePort())
	}
	// bound passes loop 0's address on, loop to loop; listening counts
	// the loops whose serve has started. Loops send and receive on them
	// from worker threads (SendOn, WaitFor), never on the loop itself.
	bound := make(chan net.Addr, 1)
	listening := make(chan struct{}, loops)
	return task.RunParallel(loops, func(ctx context.Context, i int) error {
		addr := addr // this loop's: the others' may differ (port 0)
		if i > 0 {
			a, err := WaitFor(ctx, bound)
			if err != nil {
				return err
			}
			if err := SendOn(ctx, bound, a); err != nil {
				return err
			}
			addr = a.String()
		}
		l, err := streams.ListenTCP(ctx, addr, opts...)
		if err != nil {
			return err
		}
		defer l.Close()
		if i == 0 {
			if err := SendOn(ctx, bound, l.Addr()); err != nil {
				return err
			}
		}
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			// Start returns once serve's task has called started and then
			// run on, inside serve, to its first blocking call: one task
			// runs at a time on a loop, and started does not yield. So
			// serve has started before this loop counts as listening.
			_, err := task.Start(ctx, n, func(ctx context.Context, started func(struct{})) error {
				started(struct{}{})
				return serve(ctx, l, i)
			})
			if err != nil {
				return err
			}
			if err := SendOn(ctx, listening, struct{}{}); err != nil {
				return err
			}
			if stop != nil {
				n.Go(func(ctx context.Context) error {
					if _, err := WaitFor(ctx, stop); err != nil {
						return err
					}
					n.Cancel()
					return nil
				})
			}
			if i == 0 && ready != nil {
				for range loops {
					if _, err := WaitFor(ctx, listening); err != nil {
						return err
					}
				}
				return SendOn(ctx, ready, l.Addr())
			}
			return nil
		})
	})
}

// WaitFor receives from a Go channel without blocking the loop: on a
// worker thread (a task must never wait on a Go channel itself).
func WaitFor[T any](ctx context.Context, ch <-chan T) (T, error) {
	var v T
	err := task.ToThread(ctx, func(wctx context.Context) error {
		select {
		case v = <-ch:
			return nil
		case <-wctx.Done():
			return wctx.Err()
		}
	})
	return v, err
}

// SendOn sends v on a Go channel without blocking the loop: on a worker
// thread, as WaitFor receives.
func SendOn[T any](ctx context.Context, ch chan<- T, v T) error {
	return task.ToThread(ctx, func(wctx context.Context) error {
		select {
		case ch <- v:
			return nil
		case <-wctx.Done():
			return wctx.Err()
		}
	})
}

// WithClient runs a demo's server (serve, such as Serve with its
// arguments bound: it serves until stop is closed and sends its address
// on ready) on its own loops and, once it listens, client on a loop of
// its own with a dial function for the server's address; then it stops
// the server and returns both errors. The client's loop does not catch
// signals: the server's loops do, and an interrupt ends both.
func WithClient(serve func(ready chan<- net.Addr, stop <-chan struct{}) error, client func(ctx context.Context, dial func(ctx context.Context) (streams.Stream, error)) error) error {
	ready := make(chan net.Addr, 1)
	stop := make(chan struct{})
	served := make(chan error, 1)
	go func() { served <- serve(ready, stop) }()
	var addr net.Addr
	select {
	case addr = <-ready:
	case err := <-served:
		return err
	}
	err := task.Run(func(ctx context.Context) error {
		return client(ctx, func(ctx context.Context) (streams.Stream, error) { return streams.DialTCP(ctx, addr.String()) })
	}, task.WithSignals())
	close(stop)
	return errors.Join(err, <-served)
}
