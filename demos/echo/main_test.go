package main

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/f04742a6/reactor/task"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The demo end to end: server and clients over loopback TCP, and the
// report.
func TestDemoReportsRoundTrips(t *testing.T) {
	var out strings.Builder
	err := task.Run(func(ctx context.Context) error {
		return run(ctx, config{addr: "127.0.0.1:0", conns: 4, total: 200, size: 64}, &out)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "200 round trips of 64 bytes over 4 connections") {
		t.Fatalf("report:\n%s", out.String())
	}
}

// A real client (package net, on its own goroutine) gets its bytes back,
// and when the server stops, the goodbye and then EOF.
func TestServerEchoesAndSaysGoodbye(t *testing.T) {
	withServer(t, func(addr string, stop func() error) {
		c := dial(t, addr)
		if c == nil {
			return
		}
		defer c.Close()
		c.Write([]byte("hello"))
		buf := make([]byte, 5)
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "hello" {
			t.Errorf("echo: %q, %v", buf, err)
		}
		if err := stop(); err != nil {
			t.Error(err)
			return
		}
		rest, err := io.ReadAll(c)
		if string(rest) != goodbye || err != nil {
			t.Errorf("after the server stopped: %q, %v; want %q, then EOF", rest, err, goodbye)
		}
	})
}
