// Command http is an HTTP/1.1 server on tasks and streams: keep-alive
// (HTTP/1.0's too, answered with "Connection: keep-alive") and
// pipelining, "Hello, World!" at "/" and, with -root, the files under a
// directory. Requests are parsed strictly, as RFC 9112 says (see
// parseRequest): lines end with CRLF or a bare LF, whole lines only; no
// other CR, no NUL, no obs-fold, Content-Length digits only and at most
// once. Bad input is answered and the connection closed: a malformed
// request 400, a head over 8 KiB 431, a body over 1 MiB 413, a chunked
// request body 501, an HTTP version other than 1.0 and 1.1 505, a method
// other than GET and HEAD 405; a path with ".." is refused, and files are
// opened through an os.Root, so nothing outside -root is served, without
// waiting on what they name (a FIFO or a device is refused as missing),
// on at most 8 worker threads per loop. A connection that makes no
// progress for -idle is closed: no request, no 16 KiB of an answer taken.
//
//	go run ./demos/http -serve -addr 127.0.0.1:8080 -root .   # then: curl 127.0.0.1:8080/README.md
//	go run ./demos/http -serve -addr 127.0.0.1:8080 -loops 2  # one loop per core
//	go run ./demos/http -conns 50 -n 100000                   # server and its own client
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
	"time"

	"github.com/f04742a6/reactor/demos/internal/cores"
	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

type config struct {
	addr, root   string
	loops        int
	idle         time.Duration
	serve        bool
	conns, total int
}

func main() {
	var cfg config
	flag.StringVar(&cfg.addr, "addr", "127.0.0.1:0", "address to listen on")
	flag.StringVar(&cfg.root, "root", "", "directory of static files to serve (none: only /)")
	flag.IntVar(&cfg.loops, "loops", 1, "server loops (one per core)")
	flag.DurationVar(&cfg.idle, "idle", time.Minute, "close a connection that makes no progress (no request, no 16 KiB of an answer taken) this long")
	flag.BoolVar(&cfg.serve, "serve", false, "only serve, until interrupted (Ctrl-C)")
	flag.IntVar(&cfg.conns, "conns", 50, "client connections")
	flag.IntVar(&cfg.total, "n", 100000, "requests in all")
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

// serveLoops serves cfg.addr on cfg.loops loops until interrupted or
// until stop is closed (nil: never). ready, if not nil, gets the bound
// address once every loop listens.
func serveLoops(cfg config, ready chan<- net.Addr, stop <-chan struct{}) error {
	srv := &server{idle: cfg.idle}
	if srv.idle <= 0 {
		srv.idle = time.Minute
	}
	if cfg.root != "" {
		files, err := newFileServer(cfg.root)
		if err != nil {
			return err
		}
		defer files.Close()
		srv.files = files
	}
	return cores.Serve(cfg.addr, cfg.loops, ready, stop, func(ctx context.Context, l streams.Listener, i int) error {
		if i == 0 && ready == nil {
			fmt.Printf("http server on http://%v/ (%d loop(s))\n", l.Addr(), cfg.loops)
		}
		srv := *srv // each loop its own, for its file limiter
		if srv.files != nil {
			srv.files = srv.files.forLoop()
		}
		return streams.Serve(ctx, l, srv.serveConn)
	})
}

// demo runs the server on its loops and the demo's own client on another
// loop, and reports.
func demo(cfg config, out io.Writer) error {
	serve := func(ready chan<- net.Addr, stop <-chan struct{}) error { return serveLoops(cfg, ready, stop) }
	return cores.WithClient(serve, func(ctx context.Context, dial func(ctx context.Context) (streams.Stream, error)) error {
		res, err := load(ctx, dial, cfg.conns, cfg.total)
		if err == nil {
			fmt.Fprintf(out, "%d keep-alive GETs over %d connections in %v\n", res.Trips, cfg.conns, res.Wall.Round(time.Millisecond))
			res.Report(out, "requests", res.Trips)
		}
		return err
	})
}
