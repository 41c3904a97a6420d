package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// Two clients of package net, as nc would be, over loopback TCP: each
// sees the other join, speak and leave.
func TestTwoTCPClients(t *testing.T) {
	err := task.Run(func(ctx context.Context) error {
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			addr, err := task.Start(ctx, n, func(ctx context.Context, started func(net.Addr)) error {
				return streams.ServeTCP(ctx, "127.0.0.1:0", newRoom(8).serve, started)
			})
			if err != nil {
				return err
			}
			err = task.ToThread(ctx, func(context.Context) error {
				dial := func() (net.Conn, *bufio.Reader, error) {
					c, err := net.Dial("tcp", addr.String())
					if err != nil {
						return nil, nil, err
					}
					c.SetDeadline(time.Now().Add(10 * time.Second))
					return c, bufio.NewReader(c), nil
				}
				a, ar, err := dial()
				if err != nil {
					return err
				}
				defer a.Close()
				b, br, err := dial()
				if err != nil {
					return err
				}
				expect := func(r *bufio.Reader, want string) {
					if line, err := r.ReadString('\n'); err != nil || line != want {
						t.Errorf("read %q, %v; want %q", line, err, want)
					}
				}
				expect(ar, "guest2 joined\n")
				fmt.Fprintf(a, "hello b\n")
				expect(br, "guest1: hello b\n")
				fmt.Fprintf(b, "hi a\n")
				expect(ar, "guest2: hi a\n")
				b.Close()
				expect(ar, "guest2 left\n")
				return nil
			})
			n.Cancel()
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}
