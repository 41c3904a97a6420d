package streams_test

import (
	"context"
	"errors"
	"runtime"
	"testing"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"

	"github.com/f04742a6/reactor/streams/streamtest"
)

// The conformance battery on every stream type (Trio's check_streams:
// CONFORMANCE.md C81-C97, its Byte streams section).
func TestBattery(t *testing.T) {
	t.Run("Memory0", func(t *testing.T) {
		streamtest.CheckHalfCloseable(t, memoryPair(0), memoryPair(0))
	})
	t.Run("Memory64KiB", func(t *testing.T) {
		streamtest.CheckHalfCloseable(t, memoryPair(64<<10), cloggedMemory(64<<10))
	})
	t.Run("TCP", func(t *testing.T) {
		streamtest.CheckHalfCloseable(t, tcpPair, clog(tcpPair))
	})
	t.Run("Unix", func(t *testing.T) {
		skipUnixSocketsOnWindows(t)
		streamtest.CheckHalfCloseable(t, unixPair(t), clog(unixPair(t)))
	})
	t.Run("TLSOverTCP", func(t *testing.T) {
		streamtest.CheckHalfCloseable(t, tlsOver(tcpPair), tlsOver(memoryPair(0)))
	})
	t.Run("TLSOverMemory", func(t *testing.T) {
		streamtest.CheckHalfCloseable(t, tlsOver(memoryPair(0)), tlsOver(memoryPair(0)))
	})
}

func skipUnixSocketsOnWindows(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("streams offers no Unix sockets on windows")
	}
}

// The memory listener serves connections like a socket listener, and its
// Close wakes a blocked Accept, also from another goroutine.
func TestMemoryListener(t *testing.T) {
	run(t, func(ctx context.Context) error {
		l := streams.NewMemoryListener(0)
		err := task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error {
				return streams.Serve(ctx, l, func(ctx context.Context, s streams.Stream) error {
					buf := make([]byte, 8)
					k, err := s.Read(ctx, buf)
					if err != nil {
						return err
					}
					_, err = s.Write(ctx, buf[:k])
					return err
				})
			})
			c, err := l.Dial(ctx)
			if err != nil {
				return err
			}
			defer c.Close()
			if _, err := c.Write(ctx, []byte("mem")); err != nil {
				return err
			}
			if got := readN(t, ctx, c, 3); string(got) != "mem" {
				t.Errorf("echo over the memory listener: %q", got)
			}
			task.ToThread(ctx, func(context.Context) error { return l.Close() })
			return nil
		})
		if !errors.Is(err, task.ErrClosedResource) {
			t.Errorf("Serve after its memory listener closed: %v; want ErrClosedResource", err)
		}
		if _, err := l.Dial(ctx); !errors.Is(err, task.ErrClosedResource) {
			t.Errorf("Dial after Close: %v; want ErrClosedResource", err)
		}
		return nil
	})
}
