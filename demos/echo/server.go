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

// serve echoes every connection of l until ctx is cancelled. It takes any
// Listener, so the same server runs on sockets or, in tests, on memory
// streams.
func serve(ctx context.Context, l streams.Listener) error {
	return streams.Serve(ctx, l, echoConn)
}

// echoConn sends back what it reads; when the server stops it says
// goodbye (asyncio's classic echo server, with the cleanup asyncio's
// cancellation makes hard: see the critique).
func echoConn(ctx context.Context, s streams.Stream) error {
	buf := make([]byte, 64<<10)
	for {
		n, err := s.Read(ctx, buf)
		switch {
		case err == io.EOF:
			return nil // the client left
		case errors.Is(err, task.ErrCancelled):
			sayGoodbye(ctx, s)
			return err
		case err != nil:
			return err
		}
		if _, err := s.Write(ctx, buf[:n]); err != nil {
			return err
		}
	}
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
