package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// Dial opens a connection to the upstream server.
type Dial func(ctx context.Context) (streams.Stream, error)

// handler proxies each client connection to a new upstream connection:
// one task per direction, each end's half-close passed on to the other,
// and the whole connection ended once idle for idle (nothing moved either
// way), as a scope deadline that every transfer pushes back. The dial is
// under the same deadline: an upstream that does not answer costs the
// client idle, not the system's connect timeout (minutes).
func handler(dial Dial, idle time.Duration) streams.Handler {
	return func(ctx context.Context, client streams.Stream) error {
		dialed := false
		var timeout *task.Scope
		err := task.WithScope(ctx, func(ctx context.Context, sc *task.Scope) error {
			timeout = sc
			touch := func() { sc.SetDeadline(task.Now(ctx).Add(idle)) }
			touch()
			up, err := dial(ctx)
			if err != nil {
				return err
			}
			defer up.Close()
			dialed = true
			return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
				n.Go(func(ctx context.Context) error { return pipe(ctx, up, client, touch) })
				n.Go(func(ctx context.Context) error { return pipe(ctx, client, up, touch) })
				return nil
			})
		}) // an idle connection: the scope catches its own deadline, the handler returns nil
		if !dialed && timeout.Outcome() == task.OutcomeDeadline {
			return fmt.Errorf("proxy: the upstream did not answer within %v", idle)
		}
		return err
	}
}

// pipe copies src to dst until src ends, then half-closes dst (or closes
// it, if it cannot half-close), so the other side sees the same EOF.
func pipe(ctx context.Context, dst, src streams.Stream, touch func()) error {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(ctx, buf)
		if err == io.EOF {
			if hc, ok := dst.(streams.HalfCloser); ok {
				return hc.CloseWrite(ctx)
			}
			return dst.Close()
		}
		if err != nil {
			return err
		}
		touch()
		if _, err := dst.Write(ctx, buf[:n]); err != nil {
			if errors.Is(err, task.ErrBrokenResource) {
				return nil // the other side left: the other direction ends too
			}
			return err
		}
	}
}
