package a

import (
	"context"
	"net"
	"net/netip"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// Every way a function becomes a task.
func entries(ctx context.Context, n *task.Nursery, tk *task.Token, l streams.Listener) {
	_ = task.RunParallel(2, func(ctx context.Context, i int) error {
		time.Sleep(time.Millisecond) // want `time\.Sleep blocks the event loop`
		return nil
	})
	_ = task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
		time.Sleep(time.Millisecond) // want `time\.Sleep blocks the event loop`
		return nil
	})
	n.Go(func(ctx context.Context) error {
		time.Sleep(time.Millisecond) // want `time\.Sleep blocks the event loop`
		return nil
	})
	n.GoService(func(ctx context.Context) error {
		time.Sleep(time.Millisecond) // want `time\.Sleep blocks the event loop`
		return nil
	})
	_, _ = task.Start(ctx, n, func(ctx context.Context, started func(int)) error {
		time.Sleep(time.Millisecond) // want `time\.Sleep blocks the event loop`
		return nil
	})
	_ = task.Spawn(n, func(ctx context.Context) (int, error) {
		time.Sleep(time.Millisecond) // want `time\.Sleep blocks the event loop`
		return 0, nil
	})
	_ = task.WithScope(ctx, func(ctx context.Context, s *task.Scope) error {
		time.Sleep(time.Millisecond) // want `time\.Sleep blocks the event loop`
		return nil
	})
	_, _ = task.MoveOnAfter(ctx, time.Second, func(ctx context.Context) error {
		time.Sleep(time.Millisecond) // want `time\.Sleep blocks the event loop`
		return nil
	})
	_, _ = task.MoveOnAt(ctx, time.Time{}, func(ctx context.Context) error {
		time.Sleep(time.Millisecond) // want `time\.Sleep blocks the event loop`
		return nil
	})
	_ = task.FailAfter(ctx, time.Second, func(ctx context.Context) error {
		time.Sleep(time.Millisecond) // want `time\.Sleep blocks the event loop`
		return nil
	})
	_ = task.FailAt(ctx, time.Time{}, func(ctx context.Context) error {
		time.Sleep(time.Millisecond) // want `time\.Sleep blocks the event loop`
		return nil
	})
	_ = task.Shield(ctx, func(ctx context.Context) error {
		time.Sleep(time.Millisecond) // want `time\.Sleep blocks the event loop`
		return nil
	})
	_ = tk.Run(func(ctx context.Context) error {
		time.Sleep(time.Millisecond) // want `time\.Sleep blocks the event loop`
		return nil
	})
	_ = tk.RunContext(ctx, func(ctx context.Context) error {
		time.Sleep(time.Millisecond) // want `time\.Sleep blocks the event loop`
		return nil
	})
	_ = task.CurrentLoop(ctx).Post(func() {
		time.Sleep(time.Millisecond) // want `time\.Sleep blocks the event loop`
	})
	_ = streams.Serve(ctx, l, func(ctx context.Context, s streams.Stream) error {
		time.Sleep(time.Millisecond) // want `time\.Sleep blocks the event loop`
		return nil
	})
	_ = streams.ServeTCP(ctx, "127.0.0.1:0", func(ctx context.Context, s streams.Stream) error {
		time.Sleep(time.Millisecond) // want `time\.Sleep blocks the event loop`
		return nil
	}, func(a net.Addr) {
		time.Sleep(time.Millisecond) // want `time\.Sleep blocks the event loop`
	})
	_ = streams.WithAttempt(func(ctx context.Context, ap netip.AddrPort) (*streams.SocketStream, error) {
		time.Sleep(time.Millisecond) // want `time\.Sleep blocks the event loop`
		return nil, nil
	})
	// FromThread's function runs back on the loop, also from a worker.
	_ = task.ToThread(ctx, func(ctx context.Context) error {
		time.Sleep(time.Millisecond)
		return task.FromThread(ctx, func(ctx context.Context) error {
			time.Sleep(time.Millisecond) // want `time\.Sleep blocks the event loop`
			return nil
		})
	})
}

// A named function, a method value, a variable holding a literal and a
// function that returns the handler are tasks too.
func named(ctx context.Context) error {
	time.Sleep(time.Millisecond) // want `time\.Sleep blocks the event loop`
	return nil
}

type server struct{}

func (s *server) handle(ctx context.Context, st streams.Stream) error {
	time.Sleep(time.Millisecond) // want `time\.Sleep blocks the event loop`
	return nil
}

func handler(d time.Duration) streams.Handler {
	return func(ctx context.Context, s streams.Stream) error {
		time.Sleep(d) // want `time\.Sleep blocks the event loop`
		return nil
	}
}

func byName(ctx context.Context, n *task.Nursery, l streams.Listener) {
	_ = task.Run(named)
	s := &server{}
	_ = streams.Serve(ctx, l, s.handle)
	body := func(ctx context.Context) error {
		time.Sleep(time.Millisecond) // want `time\.Sleep blocks the event loop`
		return nil
	}
	n.Go(body)
	_ = streams.Serve(ctx, l, handler(time.Second))
}

// A function passed on to a helper that starts it is a task too.
func throughHelper(ctx context.Context, l streams.Listener) error {
	ended := make(chan error, 1)
	h := func(ctx context.Context, s streams.Stream) error {
		ended <- nil // want `send on a Go channel blocks the event loop`
		return nil
	}
	return serveWith(ctx, l, h)
}

func serveWith(ctx context.Context, l streams.Listener, h streams.Handler) error {
	return streams.Serve(ctx, l, h)
}
