// Command echo is a TCP echo server on tasks and streams, and clients that
// measure it: a task per connection (streams.Serve), a task per client,
// all on one loop, and a graceful Ctrl-C (each connection gets a bounded,
// shielded goodbye). A connection that neither sends nor takes its echo
// for -idle (1 min) is closed.
//
//	go run ./demos/echo -conns 16 -n 50000 -size 64   # server and clients, then exit
//	go run ./demos/echo -serve -addr 127.0.0.1:7000   # just the server; try: nc 127.0.0.1 7000
//
// The callback-level version of the same server (loop.AddReader and raw
// sockets) is internal/echo, which bench/ measures as EchoCallbacks.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/f04742a6/reactor/demos/internal/latency"
	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

type config struct {
	addr               string
	conns, total, size int
	serve              bool
	idle               time.Duration
}

func main() {
	var cfg config
	flag.StringVar(&cfg.addr, "addr", "127.0.0.1:0", "address to listen on")
	flag.IntVar(&cfg.conns, "conns", 16, "client connections")
	flag.IntVar(&cfg.total, "n", 50000, "round trips in all")
	flag.IntVar(&cfg.size, "size", 64, "message size in bytes")
	flag.BoolVar(&cfg.serve, "serve", false, "only serve, until interrupted (Ctrl-C)")
	flag.DurationVar(&cfg.idle, "idle", time.Minute, "close a connection that neither sends nor takes its echo this long (0: never)")
	flag.Parse()
	err := task.Run(func(ctx context.Context) error { return run(ctx, cfg, os.Stdout) })
	switch {
	case errors.Is(err, task.ErrInterrupted):
		fmt.Println("stopped:", err) // Ctrl-C: every connection got its goodbye
	case err != nil:
		log.Fatal(err)
	}
}

// run serves on cfg.addr and, unless cfg.serve, runs the clients against
// the server and reports.
func run(ctx context.Context, cfg config, out io.Writer) error {
	l, err := streams.ListenTCP(ctx, cfg.addr)
	if err != nil {
		return err
	}
	defer l.Close() // after the server's tasks are done
	fmt.Fprintf(out, "echo server on %v (a task per connection, one loop)\n", l.Addr())
	if cfg.serve {
		return serve(ctx, l, cfg.idle) // until Ctrl-C cancels the run
	}
	return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
		n.Go(func(ctx context.Context) error { return serve(ctx, l, cfg.idle) })
		dial := func(ctx context.Context) (streams.Stream, error) { return streams.DialTCP(ctx, l.Addr().String()) }
		res, err := bench(ctx, dial, cfg.conns, cfg.total, cfg.size)
		if err != nil {
			return err
		}
		report(out, cfg, res)
		n.Cancel() // stop serving
		return nil
	})
}

func report(out io.Writer, cfg config, r latency.Summary) {
	fmt.Fprintf(out, "%d round trips of %d bytes over %d connections in %v\n", r.Trips, cfg.size, cfg.conns, r.Wall.Round(time.Millisecond))
	r.Report(out, "round trips", r.Trips)
}
