// Command chat is a chat room on tasks, streams and task channels: every
// line a client sends goes to every other client. A client that stops
// reading never stalls the others: its queue of 64 lines fills and it is
// disconnected (see room's doc for the policy).
//
//	go run ./demos/chat -addr 127.0.0.1:7001   # then: nc 127.0.0.1 7001, in two terminals
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:7001", "address to listen on")
	queue := flag.Int("queue", 64, "lines queued per client before it is disconnected")
	flag.Parse()
	err := task.Run(func(ctx context.Context) error {
		r := newRoom(*queue)
		return streams.ServeTCP(ctx, *addr, r.serve, func(a net.Addr) { fmt.Printf("chat on %v\n", a) })
	})
	if err != nil && !errors.Is(err, task.ErrInterrupted) {
		log.Fatal(err)
	}
}
