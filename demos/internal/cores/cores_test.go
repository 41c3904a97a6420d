package cores

import (
	"context"
	"net"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/f04742a6/reactor/streams"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Every loop listens on the one address, and has started serving, before
// ready; closing stop ends them all.
func TestServeListensOnEveryLoopUntilStop(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("one loop per core needs SO_REUSEPORT, which Windows does not have")
	}
	const loops = 3
	ready := make(chan net.Addr, 1)
	stop := make(chan struct{})
	var listening atomic.Int32
	addrs := make(chan string, loops)
	done := make(chan error, 1)
	go func() {
		done <- Serve("127.0.0.1:0", loops, ready, stop, func(ctx context.Context, l streams.Listener, i int) error {
			listening.Add(1)
			addrs <- l.Addr().String()
			return streams.Serve(ctx, l, func(ctx context.Context, s streams.Stream) error { return nil })
		})
	}()
	var a net.Addr
	select {
	case a = <-ready:
	case err := <-done:
		t.Fatalf("Serve ended before it was ready: %v", err)
	}
	if n := listening.Load(); n != loops {
		t.Errorf("%d loops serving at ready; want %d", n, loops)
	}
	for range loops {
		if got := <-addrs; got != a.String() {
			t.Errorf("a loop listens on %s; want %s", got, a)
		}
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
