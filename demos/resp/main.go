// Command resp is a Redis-protocol server on tasks and streams: PING
// (inline and multibulk), ECHO, SET (EX, PX, NX, XX), GET, DEL, INCR,
// EXPIRE, TTL, MGET, CONFIG GET (as redis-benchmark asks) and QUIT, with
// pipelining batched as Redis does (every complete request in the buffer
// runs, and their replies go out in one write) and key expiry on the
// loop's timers.
//
//	go run ./demos/resp -serve -addr 127.0.0.1:6380            # then: redis-cli -p 6380
//	go run ./demos/resp -serve -addr 127.0.0.1:6380 -loops 2   # one loop per core
//	go run ./demos/resp -conns 50 -n 100000 -pipeline 16       # server and its own client
//
// With -loops N the server runs N loops (task.RunParallel), each
// accepting its share of the connections on its own SO_REUSEPORT
// listener; the keyspace is shared (see store).
//
// Its defences: requests are bounded (see protocol.go's limits) and
// parsed as they arrive, never again from their start; a connection's
// buffers go back to 16 KiB once a large request has run; -max-pending-mb
// (256 by default) bounds what unfinished requests hold, all connections
// together; -timeout closes a connection that neither reads nor writes
// for that long (0, the default as in Redis: never).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"runtime/pprof"
	"strconv"
	"time"

	"github.com/f04742a6/reactor/demos/internal/cores"
	"github.com/f04742a6/reactor/demos/internal/latency"
	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

type config struct {
	addr                   string
	loops                  int
	serve                  bool
	conns, total, pipeline int
	size                   int
	timeout                time.Duration // an idle connection's; 0: none
	maxPending             int64         // bytes all unfinished requests may hold; 0: no bound
}

func main() {
	var cfg config
	flag.StringVar(&cfg.addr, "addr", "127.0.0.1:0", "address to listen on")
	flag.IntVar(&cfg.loops, "loops", 1, "server loops (one per core)")
	flag.BoolVar(&cfg.serve, "serve", false, "only serve, until interrupted (Ctrl-C)")
	flag.IntVar(&cfg.conns, "conns", 50, "client connections")
	flag.IntVar(&cfg.total, "n", 100000, "requests in all (a third each PING, SET, GET)")
	flag.IntVar(&cfg.pipeline, "pipeline", 1, "requests each connection sends before reading the replies")
	flag.IntVar(&cfg.size, "size", 3, "SET value size in bytes")
	flag.DurationVar(&cfg.timeout, "timeout", 0, "close a connection after this long without reading or writing (0: never, as Redis's default)")
	pendingMiB := flag.Int64("max-pending-mb", 256, "MiB that requests not yet complete may hold, all connections together, beyond each one's 16 KiB buffer (0: no bound)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	flag.Parse()
	cfg.maxPending = *pendingMiB << 20
	if err := run(cfg, *cpuprofile, os.Stdout); err != nil && !errors.Is(err, task.ErrInterrupted) {
		log.Print(err)
		os.Exit(1) // after run has written the profile
	}
}

// run serves or runs the demo, with a CPU profile written to cpuprofile
// if it is not empty: the profile is complete when run returns, whatever
// the run's outcome.
func run(cfg config, cpuprofile string, out io.Writer) error {
	if cpuprofile != "" {
		stop, err := profile(cpuprofile)
		if err != nil {
			return err
		}
		defer stop()
	}
	if cfg.serve {
		return serveLoops(cfg, nil, nil) // until Ctrl-C
	}
	return demo(cfg, out)
}

// profile starts a CPU profile; stop ends and writes it.
func profile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// serveLoops serves cfg.addr on cfg.loops loops sharing one store until
// interrupted or until stop is closed (nil: never). ready, if not nil,
// gets the bound address once every loop listens.
func serveLoops(cfg config, ready chan<- net.Addr, stop <-chan struct{}) error {
	srv := newServer(cfg)
	return cores.Serve(cfg.addr, cfg.loops, ready, stop, func(ctx context.Context, l streams.Listener, i int) error {
		if i == 0 && ready == nil {
			fmt.Printf("resp server on %v (%d loop(s))\n", l.Addr(), cfg.loops)
		}
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error { return srv.db.reaper(ctx, i, cfg.loops) })
			return streams.Serve(ctx, l, srv.serveConn)
		})
	})
}

// newServer returns a server with cfg's timeout and bound, and an empty
// keyspace.
func newServer(cfg config) *server {
	srv := &server{db: newStore(), timeout: cfg.timeout}
	srv.pending.limit = cfg.maxPending
	return srv
}

// demo runs the server on its loops and the demo's own client on another
// loop, and reports.
func demo(cfg config, out io.Writer) error {
	serve := func(ready chan<- net.Addr, stop <-chan struct{}) error { return serveLoops(cfg, ready, stop) }
	return cores.WithClient(serve, func(ctx context.Context, dial func(ctx context.Context) (streams.Stream, error)) error {
		res, err := load(ctx, dial, cfg)
		if err == nil {
			report(out, cfg, res)
		}
		return err
	})
}

// load sends cfg.total requests over cfg.conns connections, cfg.pipeline
// at a time, cycling PING, SET key:i value, GET key:i, and checks every
// reply.
func load(ctx context.Context, dial func(ctx context.Context) (streams.Stream, error), cfg config) (latency.Summary, error) {
	value := string(make([]byte, cfg.size))
	lat := make([][]time.Duration, cfg.conns)
	start := task.Now(ctx)
	err := task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
		for c := range cfg.conns {
			s, err := dial(ctx)
			if err != nil {
				return err
			}
			rounds := cfg.total / cfg.conns / cfg.pipeline
			n.Go(func(ctx context.Context) error {
				defer s.Close()
				cl := newClient(s, max(cfg.size, 4<<10))
				key := "key:" + strconv.Itoa(c)
				for range rounds {
					t0 := task.Now(ctx)
					for j := range cfg.pipeline {
						switch j % 3 {
						case 0:
							cl.queue("PING")
						case 1:
							cl.queue("SET", key, value)
						default:
							cl.queue("GET", key)
						}
					}
					if err := cl.send(ctx); err != nil {
						return err
					}
					for j := range cfg.pipeline {
						r, err := cl.read(ctx)
						if err != nil {
							return err
						}
						if want := [3]string{"PONG", "OK", value}[j%3]; r.str != want || r.kind == '-' {
							return fmt.Errorf("resp: reply %d of a pipeline: %v, want %q", j, r, want)
						}
					}
					lat[c] = append(lat[c], task.Now(ctx).Sub(t0))
				}
				return nil
			})
		}
		return nil
	})
	return latency.Summarize(lat, task.Now(ctx).Sub(start)), err
}

func report(out io.Writer, cfg config, r latency.Summary) {
	requests := r.Trips * cfg.pipeline
	fmt.Fprintf(out, "%d requests (PING, SET, GET) over %d connections, pipeline %d, in %v\n",
		requests, cfg.conns, cfg.pipeline, r.Wall.Round(time.Millisecond))
	r.Report(out, "requests", requests)
}
