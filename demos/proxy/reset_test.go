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
	ended, upstreamEnded := task.NewChannel[error](2)
	flood := func(ctx context.Context, s streams.Stream) error {
		chunk := make([]byte, 1<<20)
		for {
			if _, err := s.Write(ctx, chunk); err != nil {
				return ended.Send(ctx, err)
			}
		}
	}
	err := task.Run(func(ctx context.Context) error {
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			px, err := startProxy(ctx, n, flood)
			if err != nil {
				return err
			}
			err = task.ToThread(ctx, func(wctx context.Context) error {
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
					err = task.FromThread(wctx, func(ctx context.Context) error {
						return task.FailAfter(ctx, 20*time.Second, func(ctx context.Context) error {
							_, err := upstreamEnded.Receive(ctx) // the proxy closed its upstream connection
							return err
						})
					})
					if err != nil {
						t.Errorf("client %d reset: the upstream connection is still open: %v", i, err)
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
