package main

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// A client that resets its connection while the upstream is sending a
// flood ends both halves of that proxied connection (the upstream sees
// its client go), and the proxy serves the next client.
func TestClientResetEndsTheUpstreamToo(t *testing.T) {
	upstreamEnded := make(chan error, 2)
	flood := func(ctx context.Context, s streams.Stream) error {
		chunk := make([]byte, 1<<20)
		for {
			if _, err := s.Write(ctx, chunk); err != nil {
				upstreamEnded <- err
				return nil
			}
		}
	}
	err := task.Run(func(ctx context.Context) error {
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			px, err := startProxy(ctx, n, flood)
			if err != nil {
				return err
			}
			err = task.ToThread(ctx, func(context.Context) error {
				for i := range 2 {
					c, err := net.Dial("tcp", px.String())
					if err != nil {
						return err
					}
					c.SetDeadline(time.Now().Add(20 * time.Second))
					if _, err := io.ReadFull(c, make([]byte, 256<<10)); err != nil {
						t.Errorf("client %d through the proxy: %v", i, err)
					}
					c.(*net.TCPConn).SetLinger(0)
					c.Close() // a reset, in the middle of the flood
					select {
					case <-upstreamEnded: // the proxy closed its upstream connection
					case <-time.After(20 * time.Second):
						t.Errorf("client %d reset: the upstream connection is still open", i)
					}
				}
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
