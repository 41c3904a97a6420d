package streams_test

import (
	"context"
	"fmt"
	"net"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// An echo server and a client on one loop: ServeTCP runs a task per
// connection; task.Start hands back the address once it listens.
func ExampleServeTCP() {
	err := task.Run(func(ctx context.Context) error {
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			addr, err := task.Start(ctx, n, func(ctx context.Context, started func(net.Addr)) error {
				return streams.ServeTCP(ctx, "127.0.0.1:0", func(ctx context.Context, s streams.Stream) error {
					r := streams.NewBufferedReader(s, 1024)
					for {
						line, err := r.ReadUntil(ctx, []byte("\n"))
						if err != nil {
							return nil // the client left
						}
						if _, err := s.Write(ctx, line); err != nil {
							return err
						}
					}
				}, started)
			})
			if err != nil {
				return err
			}
			c, err := streams.DialTCP(ctx, addr.String())
			if err != nil {
				return err
			}
			defer c.Close()
			if _, err := c.Write(ctx, []byte("hello, loop\n")); err != nil {
				return err
			}
			line, err := streams.NewBufferedReader(c, 1024).ReadLine(ctx)
			if err != nil {
				return err
			}
			fmt.Printf("%s\n", line)
			n.Cancel() // stop serving
			return nil
		})
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output: hello, loop
}

// MemoryPair is the test double for a socket: the same code runs on it.
func ExampleMemoryPair() {
	task.Run(func(ctx context.Context) error {
		a, b := streams.MemoryPair(0) // lockstep: a Write returns once read
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error {
				defer a.Close()
				_, err := a.Write(ctx, []byte("ping"))
				return err
			})
			buf := make([]byte, 16)
			k, _ := b.Read(ctx, buf)
			fmt.Println(string(buf[:k]))
			return nil
		})
	})
	// Output: ping
}
