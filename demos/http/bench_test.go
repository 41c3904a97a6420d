package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// benchSession runs serveConn on one end of a memory pair and, for b.N
// rounds, writes req on the other end and reads want bytes of answers.
func benchSession(b *testing.B, srv *server, req string, want int, perRound int) {
	b.Helper()
	err := task.Run(func(ctx context.Context) error {
		a, c := streams.MemoryPair(1 << 16)
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error {
				defer a.Close()
				srv.serveConn(ctx, a) // io.EOF when the client closes
				return nil
			})
			defer c.Close()
			buf, out := make([]byte, 1<<16), []byte(req)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := c.Write(ctx, out); err != nil {
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
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*perRound), "ns/request")
			return nil
		})
	})
	if err != nil {
		b.Fatal(err)
	}
}

// helloLen is the length of the answer to "GET /" (the Date header has a
// fixed length).
var helloLen = len("HTTP/1.1 200 OK\r\nServer: reactor-demo\r\nDate: Mon, 02 Jan 2006 15:04:05 GMT\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\nContent-Length: 14\r\n\r\n" + hello)

// BenchmarkHello is the server's cost of one keep-alive GET of "/" per
// round trip, over a memory stream: parse, answer, write.
func BenchmarkHello(b *testing.B) {
	benchSession(b, &server{idle: time.Minute}, "GET / HTTP/1.1\r\nHost: h\r\n\r\n", helloLen, 1)
}

// BenchmarkPipeline is a pipeline of 16 GETs of "/" per round trip: one
// read and one write.
func BenchmarkPipeline(b *testing.B) {
	benchSession(b, &server{idle: time.Minute}, strings.Repeat("GET / HTTP/1.1\r\nHost: h\r\n\r\n", 16), 16*helloLen, 16)
}

// BenchmarkFile is one GET of a 1 MiB file per round trip: file chunks
// read on worker threads and written in pieces.
func BenchmarkFile(b *testing.B) {
	dir := b.TempDir()
	const size = 1 << 20
	if err := os.WriteFile(filepath.Join(dir, "f.bin"), make([]byte, size), 0o644); err != nil {
		b.Fatal(err)
	}
	files, err := newFileServer(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer files.Close()
	want := size + len("HTTP/1.1 200 OK\r\nServer: reactor-demo\r\nDate: Mon, 02 Jan 2006 15:04:05 GMT\r\n"+
		"Content-Type: application/octet-stream\r\nContent-Length: 1048576\r\n\r\n")
	b.SetBytes(size)
	benchSession(b, &server{idle: time.Minute, files: files}, "GET /f.bin HTTP/1.1\r\nHost: h\r\n\r\n", want, 1)
}
