// Command proxy is a TCP proxy on tasks and streams: a task per direction
// of each connection, half-close passed on both ways (a client that sends
// its request and shuts down writing still gets the whole answer), and an
// idle timeout that is a cancel scope whose deadline every transfer moves.
//
//	go run ./demos/proxy -addr 127.0.0.1:8000 -target 127.0.0.1:9000 -idle 30s
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on")
	target := flag.String("target", "127.0.0.1:9000", "upstream server")
	idle := flag.Duration("idle", 30*time.Second, "close a connection idle this long")
	flag.Parse()
	err := task.Run(func(ctx context.Context) error {
		dial := func(ctx context.Context) (streams.Stream, error) { return streams.DialTCP(ctx, *target) }
		return streams.ServeTCP(ctx, *addr, handler(dial, *idle), func(a net.Addr) {
			fmt.Printf("proxy on %v to %s (idle timeout %v)\n", a, *target, *idle)
		})
	})
	if err != nil && !errors.Is(err, task.ErrInterrupted) {
		log.Fatal(err)
	}
}
