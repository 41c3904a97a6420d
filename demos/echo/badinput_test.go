package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// withServer serves echo on loopback and runs client (package net, on a
// worker thread) against it; stop stops the server (as Ctrl-C would).
func withServer(t *testing.T, client func(addr string, stop func() error)) {
	t.Helper()
	err := task.Run(func(ctx context.Context) error {
		l, err := streams.ListenTCP(ctx, "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer l.Close()
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error { return serve(ctx, l, time.Minute) })
			err := task.ToThread(ctx, func(wctx context.Context) error {
				client(l.Addr().String(), func() error {
					return task.FromThread(wctx, func(context.Context) error { n.Cancel(); return nil })
				})
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

func dial(t *testing.T, addr string) net.Conn {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Error(err)
		return nil
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return c
}

// Echo has no requests, so there is no bad one: garbage and a 10 MiB
// "line" come back byte for byte, through a 64 KiB buffer (the server
// reads no faster than the client takes the echo: backpressure, not
// memory), and a client that resets in the middle of its echo ends only
// its own connection.
func TestEchoTakesAnyBytes(t *testing.T) {
	withServer(t, func(addr string, _ func() error) {
		big := bytes.Repeat([]byte("0123456789\x00\xff"), 10<<20/12)
		c := dial(t, addr)
		if c == nil {
			return
		}
		go c.Write(big)
		got := make([]byte, len(big))
		if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, big) {
			t.Errorf("10 MiB of garbage: %v, echoed intact: %v", err, bytes.Equal(got, big))
		}
		c.Close()

		c = dial(t, addr)
		if c == nil {
			return
		}
		go c.Write(big)
		io.ReadFull(c, make([]byte, 4096))
		c.(*net.TCPConn).SetLinger(0) // reset in the middle of the echo
		c.Close()

		c = dial(t, addr)
		if c == nil {
			return
		}
		defer c.Close()
		c.Write([]byte("still here"))
		buf := make([]byte, 10)
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "still here" {
			t.Errorf("after a reset client: %q, %v", buf, err)
		}
	})
}
