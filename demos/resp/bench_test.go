package main

import (
	"context"
	"testing"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// BenchmarkPipeline is the server's cost per request on a pipeline of 16
// (SET and GET in turn), over a memory stream: parse, command, reply.
func BenchmarkPipeline(b *testing.B) {
	var req client
	for range 8 {
		req.queue("SET", "key:1", "abc")
		req.queue("GET", "key:1")
	}
	want := 8 * (len("+OK\r\n") + len("$3\r\nabc\r\n"))
	err := task.Run(func(ctx context.Context) error {
		a, c := streams.MemoryPair(1 << 16)
		srv := &server{db: newStore()}
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error {
				defer a.Close()
				srv.serveConn(ctx, a) // io.EOF when the client closes
				return nil
			})
			defer c.Close()
			buf := make([]byte, 1<<16)
			b.ResetTimer()
			for range b.N {
				if _, err := c.Write(ctx, req.out); err != nil {
					return err
				}
				for got := 0; got < want; {
					k, err := c.Read(ctx, buf)
					if err != nil {
						return err
					}
					got += k
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*16), "ns/request")
			return nil
		})
	})
	if err != nil {
		b.Fatal(err)
	}
}
