// Command chat is a chat room on tasks, streams and task channels: every
// line a client sends goes to every other client.
//
// The slow-client policy (room's doc has the details): each client has a
// queue of 64 lines. A full queue makes the senders wait (backpressure:
// they stop reading their own clients), it never disconnects anyone by
// itself, so a paste of 20,000 lines to 200 readers goes out at the
// readers' pace and costs nobody their connection. A client whose queue
// stays full for 10 s (-stall), taking no line from it, has stopped
// reading: it is disconnected, and the senders go on. Each client's turn
// passes on at most 16 lines before the others run, so one paste does
// not hold back everyone else's lines. Lines are at most 1 KiB; a longer
// one disconnects its sender.
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
	queue := flag.Int("queue", defaultQueue, "lines queued per client")
	stall := flag.Duration("stall", defaultStall, "disconnect a client whose queue stays full this long")
	flag.Parse()
	err := task.Run(func(ctx context.Context) error {
		r := newRoom(*queue)
		r.stall = *stall
		return streams.ServeTCP(ctx, *addr, r.serve, func(a net.Addr) { fmt.Printf("chat on %v\n", a) })
	})
	if err != nil && !errors.Is(err, task.ErrInterrupted) {
		log.Fatal(err)
	}
}
