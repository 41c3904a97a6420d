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
	"slices"
	"strconv"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

type config struct {
	addr                   string
	loops                  int
	serve                  bool
	conns, total, pipeline int
	size                   int
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
	flag.Parse()
	if cfg.serve {
		err := serveLoops(cfg, nil, nil)
		if err != nil && !errors.Is(err, task.ErrInterrupted) {
			log.Fatal(err)
		}
		return
	}
	if err := demo(cfg, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// serveLoops serves cfg.addr on cfg.loops loops sharing one store until
// interrupted or until stop is closed. ready, if not nil, gets the bound
// address once every loop listens.
func serveLoops(cfg config, ready chan<- net.Addr, stop <-chan struct{}) error {
	srv := &server{db: newStore()}
	bound := make(chan net.Addr, 1) // loop 0's address, for the others (the port of ":0")
	var opts []streams.ListenOption
	if cfg.loops > 1 {
		opts = append(opts, streams.ReusePort())
	}
	listening := make(chan struct{}, cfg.loops)
	return task.RunParallel(cfg.loops, func(ctx context.Context, i int) error {
		addr := cfg.addr
		if i > 0 {
			a, err := waitFor(ctx, bound)
			if err != nil {
				return err
			}
			bound <- a // for the next loop
			addr = a.String()
		}
		l, err := streams.ListenTCP(ctx, addr, opts...)
		if err != nil {
			return err
		}
		defer l.Close()
		if i == 0 {
			if ready == nil {
				fmt.Printf("resp server on %v (%d loop(s))\n", l.Addr(), cfg.loops)
			}
			bound <- l.Addr()
		}
		listening <- struct{}{}
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error { return streams.Serve(ctx, l, srv.serveConn) })
			n.Go(func(ctx context.Context) error { return srv.db.reaper(ctx, i, cfg.loops) })
			if i == 0 && ready != nil {
				for range cfg.loops {
					if _, err := waitFor(ctx, listening); err != nil {
						return err
					}
				}
				ready <- l.Addr()
			}
			if stop != nil {
				n.Go(func(ctx context.Context) error {
					if _, err := waitFor(ctx, stop); err != nil {
						return err
					}
					n.Cancel()
					return nil
				})
			}
			return nil
		})
	})
}

// waitFor receives from a Go channel without blocking the loop: on a
// worker thread (a task must never wait on a Go channel itself).
func waitFor[T any](ctx context.Context, ch <-chan T) (T, error) {
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

// demo runs the server on its loops and the demo's own client on another
// loop, and reports.
func demo(cfg config, out io.Writer) error {
	ready := make(chan net.Addr, 1)
	stop := make(chan struct{})
	served := make(chan error, 1)
	go func() { served <- serveLoops(cfg, ready, stop) }()
	var addr net.Addr
	select {
	case addr = <-ready:
	case err := <-served:
		return err
	}
	err := task.Run(func(ctx context.Context) error {
		dial := func(ctx context.Context) (streams.Stream, error) { return streams.DialTCP(ctx, addr.String()) }
		res, err := load(ctx, dial, cfg)
		if err == nil {
			report(out, cfg, res)
		}
		return err
	}, task.WithSignals())
	close(stop)
	return errors.Join(err, <-served)
}

// result is what the client measured.
type result struct {
	requests int
	wall     time.Duration
	p50, p99 time.Duration // of a pipeline's round trip
}

// load sends cfg.total requests over cfg.conns connections, cfg.pipeline
// at a time, cycling PING, SET key:i value, GET key:i, and checks every
// reply.
func load(ctx context.Context, dial func(ctx context.Context) (streams.Stream, error), cfg config) (result, error) {
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
	if err != nil {
		return result{}, err
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	res := result{requests: len(all) * cfg.pipeline, wall: task.Now(ctx).Sub(start)}
	if len(all) > 0 {
		res.p50, res.p99 = all[len(all)/2], all[len(all)*99/100]
	}
	return res, nil
}

func report(out io.Writer, cfg config, r result) {
	fmt.Fprintf(out, "%d requests (PING, SET, GET) over %d connections, pipeline %d, in %v\n",
		r.requests, cfg.conns, cfg.pipeline, r.wall.Round(time.Millisecond))
	fmt.Fprintf(out, "  %.0f requests/s; round trip p50 %v, p99 %v\n",
		float64(r.requests)/r.wall.Seconds(), r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond))
}
