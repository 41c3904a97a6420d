// Package demotest holds what the demos' tests share: a server started
// for clients outside the loop, real client programs, and a stream that
// counts the server's reads and writes.
package demotest

import (
	"context"
	"net"
	"os/exec"
	"runtime"
	"testing"

	"github.com/f04742a6/reactor/streams"
)

// Start runs serve (a demo's serveLoops: it serves until stop is closed
// and sends its address on ready once listening) on a goroutine of its
// own, for clients outside the loop (package net, curl, redis-cli), and
// stops it when the test ends, failing the test if it failed.
func Start(t *testing.T, serve func(ready chan<- net.Addr, stop <-chan struct{}) error) string {
	t.Helper()
	ready := make(chan net.Addr, 1)
	stop := make(chan struct{})
	served := make(chan error, 1)
	go func() { served <- serve(ready, stop) }()
	select {
	case a := <-ready:
		t.Cleanup(func() {
			close(stop)
			if err := <-served; err != nil {
				t.Errorf("server: %v", err)
			}
		})
		return a.String()
	case err := <-served:
		t.Fatalf("server: %v", err)
	}
	return ""
}

// Need returns the path of a client program, or skips the test with how
// to install it (.ci/run does).
func Need(t *testing.T, prog, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(prog)
	if err != nil {
		t.Skipf("%s is not installed (apt-get install %s; .ci/run installs it): %v", prog, pkg, err)
	}
	return p
}

// HostPort splits an address for a client's -h/-p style flags.
func HostPort(t *testing.T, addr string) (host, port string) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return h, p
}

// CountingStream counts a server side's Reads and Writes and the bytes
// it read: what shows batching (one write per pipeline) and bounded
// reading of bad input.
type CountingStream struct {
	streams.Stream
	Reads, Writes, ReadBytes int
}

func (c *CountingStream) Read(ctx context.Context, p []byte) (int, error) {
	n, err := c.Stream.Read(ctx, p)
	c.Reads++
	c.ReadBytes += n
	return n, err
}

func (c *CountingStream) Write(ctx context.Context, p []byte) (int, error) {
	c.Writes++
	return c.Stream.Write(ctx, p)
}

// NeedReusePort skips a test of more than one loop where the system has
// no SO_REUSEPORT to spread connections over the loops' listeners
// (Windows: streams.ReusePort fails there).
func NeedReusePort(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("one loop per core needs SO_REUSEPORT, which Windows does not have")
	}
}
