package streams

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"

	"github.com/f04742a6/reactor/task"
)

// Serve accepts connections from l and runs h on each, as a task of a
// nursery of Serve's own, closing the connection when h returns. A
// handler's error is logged (log/slog's default logger, with the remote
// address) and ends only that connection (a cancellation, or io.EOF from
// a peer that left, is not logged); a handler's panic is not
// swallowed: it cancels the other connections and Serve re-raises it, as
// any nursery does.
//
// Serve returns when ctx is cancelled (with the cancellation error, which
// the cancelling scope catches) or when Accept fails for good (l was
// closed: an error matching task.ErrClosedResource), and only after every
// connection's task has finished. It does not close l.
func Serve(ctx context.Context, l Listener, h Handler) error {
	return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
		for {
			s, err := l.Accept(ctx)
			if err != nil {
				return err
			}
			n.Go(func(ctx context.Context) error {
				defer s.Close()
				if err := h(ctx, s); err != nil && !errors.Is(err, task.ErrCancelled) && err != io.EOF {
					slog.Default().Warn("streams: connection handler failed",
						"remote", remoteAddr(s), "error", err.Error())
				}
				return nil
			}, task.Name("conn "+remoteAddr(s)))
		}
	})
}

// remoteAddr names a stream's peer for logs, if it has an address.
func remoteAddr(s Stream) string {
	if a, ok := s.(interface{ RemoteAddr() net.Addr }); ok && a.RemoteAddr() != nil {
		return a.RemoteAddr().String()
	}
	return "?"
}

// ServeTCP listens on address, calls started (if not nil) with the bound
// address, and serves connections with h until ctx is cancelled; it
// closes the listener when it returns. started composes with task.Start:
//
//	addr, err := task.Start(ctx, n, func(ctx context.Context, started func(net.Addr)) error {
//		return streams.ServeTCP(ctx, "127.0.0.1:0", h, started)
//	})
func ServeTCP(ctx context.Context, address string, h Handler, started func(net.Addr)) error {
	l, err := ListenTCP(ctx, address)
	if err != nil {
		return err
	}
	defer l.Close()
	if started != nil {
		started(l.Addr())
	}
	return Serve(ctx, l, h)
}
