package main

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/f04742a6/reactor/demos/internal/demotest"
	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// rawSession runs serveConn on one end of a memory pair (wrapped to
// count) and body on the other, and returns serveConn's error.
func rawSession(t *testing.T, size int, body func(ctx context.Context, peer streams.Stream, srv *demotest.CountingStream)) error {
	t.Helper()
	var served error
	err := task.Run(func(ctx context.Context) error {
		a, b := streams.MemoryPair(size)
		srvSide := &demotest.CountingStream{Stream: a}
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error {
				defer a.Close()
				served = (&server{db: newStore()}).serveConn(ctx, srvSide)
				return nil
			})
			defer b.Close()
			body(ctx, b, srvSide)
			return nil
		})
	}, task.WithSlowTask(0)) // megabytes through memory streams: slow under -race, and not what is tested
	if err != nil {
		t.Fatal(err)
	}
	return served
}

// readAll reads until EOF or an error and returns what arrived.
func readAll(ctx context.Context, s streams.Stream) (string, error) {
	var out []byte
	buf := make([]byte, 4096)
	for {
		n, err := s.Read(ctx, buf)
		out = append(out, buf[:n]...)
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return string(out), err
		}
	}
}

// A pipeline that arrives in one piece is one read and one write: every
// complete request in the buffer runs before the replies go out, as in
// Redis.
func TestPipelineIsOneReadOneWrite(t *testing.T) {
	rawSession(t, 1<<20, func(ctx context.Context, peer streams.Stream, srv *demotest.CountingStream) {
		var c client
		for range 16 {
			c.queue("SET", "k", "v")
			c.queue("GET", "k")
		}
		c.out = append(c.out, "PING\r\n"...)
		if _, err := peer.Write(ctx, c.out); err != nil {
			t.Error(err)
			return
		}
		r := newClient(peer, 64)
		for i := range 33 {
			rep, err := r.read(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			if want := [2]string{"OK", "v"}[i%2]; i < 32 && rep.str != want || i == 32 && rep.str != "PONG" {
				t.Errorf("reply %d: %v", i, rep)
			}
		}
		if srv.Reads != 1 || srv.Writes != 1 {
			t.Errorf("33 pipelined requests took %d reads and %d writes; want 1 and 1", srv.Reads, srv.Writes)
		}
	})
}

// A request that arrives a byte at a time is answered once it is whole,
// and only then.
func TestRequestInPieces(t *testing.T) {
	rawSession(t, 1, func(ctx context.Context, peer streams.Stream, srv *demotest.CountingStream) {
		req := "*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n"
		for i := range len(req) {
			if _, err := peer.Write(ctx, []byte{req[i]}); err != nil {
				t.Error(err)
				return
			}
			if err := task.WaitAllTasksBlocked(ctx); err != nil {
				t.Error(err)
				return
			}
			if i < len(req)-1 && srv.Writes != 0 {
				t.Errorf("a reply after %d of %d bytes", i+1, len(req))
				return
			}
		}
		r, err := newClient(peer, 64).read(ctx)
		if err != nil || r.str != "hello" {
			t.Errorf("reply %v, %v; want hello", r, err)
		}
	})
}

// Bad input: each case gets an error reply (or none) and a closed
// connection, having cost the server a bounded amount of reading.
func TestBadInputClosesTheConnection(t *testing.T) {
	tests := []struct {
		name      string
		send      string
		wantReply string
	}{
		{"garbage", "*\x00\xff\xfe garbage\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
		{"wrong element type", "*1\r\n:1\r\n", "-ERR Protocol error: expected '$', got ':'\r\n"},
		{"huge bulk length", "*2\r\n$3\r\nSET\r\n$10485760\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
		{"10 MiB line", strings.Repeat("x", 10<<20), "-ERR Protocol error: too big inline request\r\n"},
		{"bulk length without end", "*1\r\n$" + strings.Repeat("1", 1<<20), "-ERR Protocol error: invalid bulk length\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			served := rawSession(t, 64<<10, func(ctx context.Context, peer streams.Stream, srv *demotest.CountingStream) {
				task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
					n.Go(func(ctx context.Context) error {
						peer.Write(ctx, []byte(tt.send)) // fails once the server closes
						return nil
					})
					got, err := readAll(ctx, peer)
					if err != nil || got != tt.wantReply {
						t.Errorf("the server sent %q, %v; want %q then EOF", got, err, tt.wantReply)
					}
					return nil
				})
				if srv.ReadBytes > maxInline+readSize {
					t.Errorf("the server read %d bytes of a bad request; want at most %d", srv.ReadBytes, maxInline+readSize)
				}
			})
			if !errors.Is(served, errProtocol) {
				t.Errorf("session ended with %v; want a protocol error", served)
			}
		})
	}
}

// A request that stops halfway holds nothing but its buffer: the server
// waits (it does not spin: the session is blocked) and, when the client
// leaves, the session ends with an error naming what happened.
func TestHalfSentRequest(t *testing.T) {
	served := rawSession(t, 64<<10, func(ctx context.Context, peer streams.Stream, srv *demotest.CountingStream) {
		if _, err := peer.Write(ctx, []byte("*2\r\n$3\r\nGET\r\n$10\r\nabc")); err != nil {
			t.Error(err)
		}
		task.WaitAllTasksBlocked(ctx)
		if srv.Reads != 1 || srv.Writes != 0 {
			t.Errorf("a half-sent request: %d reads, %d writes; want 1 and none", srv.Reads, srv.Writes)
		}
		peer.Close()
	})
	if served == nil || !strings.Contains(served.Error(), "left in the middle of a request") {
		t.Errorf("session ended with %v", served)
	}
}

// A request too big for the buffer's limit, though every length in it is
// allowed, is refused when the buffer is full.
func TestRequestTooBig(t *testing.T) {
	served := rawSession(t, 64<<10, func(ctx context.Context, peer streams.Stream, srv *demotest.CountingStream) {
		task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error {
				var c client
				big := strings.Repeat("v", maxBulk)
				c.queue("MGET", big, big, big) // 12 MiB: each bulk allowed, the whole not
				peer.Write(ctx, c.out)
				return nil
			})
			got, err := readAll(ctx, peer)
			if want := "-ERR Protocol error: request too big\r\n"; err != nil || got != want {
				t.Errorf("the server sent %q, %v; want %q then EOF", got, err, want)
			}
			return nil
		})
		if srv.ReadBytes > maxRequest {
			t.Errorf("the server read %d bytes; want at most %d", srv.ReadBytes, maxRequest)
		}
	})
	if !errors.Is(served, errProtocol) {
		t.Errorf("session ended with %v; want a protocol error", served)
	}
}
