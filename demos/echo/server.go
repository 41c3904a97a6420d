package main

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// goodbyeTime bounds the goodbye each connection gets when the server
// stops: written in a shielded scope (the cancellation that stops the
// server must not stop the goodbye), under a deadline (a client that does
// not read must not stop the server).
const goodbyeTime = time.Second

// goodbye is what a connection reads when the server shuts down.
const goodbye = "server shutting down, bye\n"

// readSize is a connection's buffer: the most one read takes and one
// write sends back.
const readSize = 64 << 10

// serve echoes every connection of l until ctx is cancelled, closing a
// connection idle for idle (0: never). It takes any Listener, so the same
// server runs on sockets or, in tests, on memory streams.
func serve(ctx context.Context, l streams.Listener, idle time.Duration) error {
	return streams.Serve(ctx, l, func(ctx context.Context, s streams.Stream) error {
		return echoConn(ctx, s, idle)
	})
}

// echoConn sends back what it reads; when the server stops it says
// goodbye (asyncio's classic echo server, with the cleanup asyncio's
// cancellation makes hard: see the critique). With idle > 0 it
// runs in a cancel scope whose deadline every read and every write that
// completes moves idle ahead: a client that neither sends nor takes its
// echo for that long is closed (no goodbye: it is not listening).
func echoConn(ctx context.Context, s streams.Stream, idle time.Duration) error {
	var timeout *task.Scope
	err := task.WithScope(ctx, func(ctx context.Context, sc *task.Scope) error {
		timeout = sc
		// touch moves the deadline to idle from now, but only once it has
		// fallen behind by idle/64: moving a timer costs more than the
		// read it follows, and a deadline at most idle/64 early (a second
		// in a minute) bounds silence as well.
		touch := func() {
			if idle <= 0 {
				return
			}
			next := task.Now(ctx).Add(idle)
			if d, ok := sc.Deadline(); !ok || next.Sub(d) >= idle/64 {
				sc.SetDeadline(next)
			}
		}
		buf := make([]byte, readSize)
		for {
			touch()
			n, err := s.Read(ctx, buf)
			if err == io.EOF {
				return nil // the client left
			} else if err != nil {
				return err
			}
			touch()
			if _, err := s.Write(ctx, buf[:n]); err != nil {
				return err
			}
		}
	})
	switch {
	case timeout.Outcome() == task.OutcomeDeadline:
		return nil // idle: the scope caught its own deadline
	case errors.Is(err, task.ErrCancelled):
		sayGoodbye(ctx, s) // the server stops
	}
	return err
}

// sayGoodbye writes the goodbye, shielded and bounded.
func sayGoodbye(ctx context.Context, s streams.Stream) {
	task.Shield(ctx, func(ctx context.Context) error {
		_, err := task.MoveOnAfter(ctx, goodbyeTime, func(ctx context.Context) error {
			_, err := s.Write(ctx, []byte(goodbye))
			return err
		})
		return err
	})
}
