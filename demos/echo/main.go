// Command echo runs a TCP echo server written with the loop's callbacks
// (AddReader/AddWriter on raw non-blocking sockets) and, on the same loop,
// clients that bounce a message off it and report the round trips.
//
//	go run ./demos/echo -conns 16 -n 50000 -size 64
//	go run ./demos/echo -serve -port 7000   # just the server; try: nc 127.0.0.1 7000
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/f04742a6/reactor/internal/echo"
	"github.com/f04742a6/reactor/loop"
)

type config struct {
	conns, total, size, port int
	serve                    bool
}

func main() {
	var cfg config
	flag.IntVar(&cfg.conns, "conns", 16, "client connections")
	flag.IntVar(&cfg.total, "n", 50000, "round trips in all")
	flag.IntVar(&cfg.size, "size", 64, "message size in bytes")
	flag.IntVar(&cfg.port, "port", 0, "server port (0: any free port)")
	flag.BoolVar(&cfg.serve, "serve", false, "only serve, until interrupted")
	flag.Parse()
	if err := run(cfg, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(cfg config, out io.Writer) error {
	l, err := loop.New()
	if err != nil {
		return err
	}
	defer l.Close()
	srv, err := echo.Listen(l, cfg.port)
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Fprintf(out, "echo server on 127.0.0.1:%d (callbacks on one loop)\n", srv.Port)
	if cfg.serve {
		return l.Run()
	}

	msg := make([]byte, cfg.size)
	for i := range msg {
		msg[i] = 'a' + byte(i%26)
	}
	var result error
	p := &echo.Pinger{Total: cfg.total, Msg: msg, Done: func(err error) { result = err; l.Stop() }}
	start := time.Now()
	if err := p.Dial(l, srv.Port, cfg.conns); err != nil {
		return err
	}
	defer p.Close()
	if err := l.Run(); err != nil {
		return err
	}
	if result != nil {
		return result
	}
	wall := time.Since(start)
	st := l.Stats()
	fmt.Fprintf(out, "%d round trips of %d bytes over %d connections in %v\n", p.Finished, cfg.size, cfg.conns, wall.Round(time.Millisecond))
	fmt.Fprintf(out, "  %.0f round trips/s, mean round trip %v\n",
		float64(p.Finished)/wall.Seconds(), (p.Elapsed / time.Duration(p.Finished)).Round(time.Microsecond))
	fmt.Fprintf(out, "  loop: %d iterations, %d callbacks, %d polls (%.1f callbacks per poll)\n",
		st.Iterations, st.Callbacks, st.Polls, float64(st.Callbacks)/float64(max(st.Polls, 1)))
	return nil
}
