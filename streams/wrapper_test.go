package streams_test

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// A context.Context wrapped around a task ctx bounds ServeTCP and the
// connection handlers it runs, as an enclosing scope would: the server
// stops at the wrapper's deadline, the handler blocked in Read is
// cancelled, and the error matches ErrCancelled and DeadlineExceeded.
func TestServeTCPUnderAWrappedDeadline(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var handlerErr, serveErr error
		start := time.Now()
		err := task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			addr, err := task.Start(ctx, n, func(ctx context.Context, started func(net.Addr)) error {
				wrapped, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
				defer cancel()
				serveErr = streams.ServeTCP(wrapped, "127.0.0.1:0", func(ctx context.Context, s streams.Stream) error {
					_, handlerErr = s.Read(ctx, make([]byte, 1))
					return handlerErr
				}, started)
				return nil
			})
			if err != nil {
				return err
			}
			c, err := streams.DialTCP(ctx, addr.String())
			if err != nil {
				return err
			}
			n.Go(func(ctx context.Context) error {
				defer c.Close()
				_, err := c.Read(ctx, make([]byte, 1)) // EOF once the server's handler is gone
				if !errors.Is(err, io.EOF) {
					return err
				}
				return nil
			})
			return nil
		})
		if err != nil {
			return err
		}
		if took := time.Since(start); took > 20*time.Second {
			t.Errorf("ServeTCP ran %v past its wrapper's 50ms", took)
		}
		if !errors.Is(serveErr, task.ErrCancelled) || !errors.Is(serveErr, context.DeadlineExceeded) {
			t.Errorf("ServeTCP: %v, want ErrCancelled and DeadlineExceeded", serveErr)
		}
		if !errors.Is(handlerErr, task.ErrCancelled) {
			t.Errorf("the blocked handler: %v, want ErrCancelled", handlerErr)
		}
		return nil
	})
}
