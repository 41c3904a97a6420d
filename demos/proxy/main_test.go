package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// counter is the upstream: it reads to EOF, then answers with the count
// and closes. It only answers if the client's half-close came through.
func counter(ctx context.Context, s streams.Stream) error {
	total := 0
	buf := make([]byte, 4096)
	for {
		n, err := s.Read(ctx, buf)
		total += n
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	_, err := s.Write(ctx, []byte(fmt.Sprintf("got %d bytes", total)))
	return err
}

// startProxy serves upstream and, in front of it, the proxy (idle
// timeout a minute), both over loopback TCP in n, and returns the
// proxy's address.
func startProxy(ctx context.Context, n *task.Nursery, upstream streams.Handler) (net.Addr, error) {
	up, err := task.Start(ctx, n, func(ctx context.Context, started func(net.Addr)) error {
		return streams.ServeTCP(ctx, "127.0.0.1:0", upstream, started)
	})
	if err != nil {
		return nil, err
	}
	dial := func(ctx context.Context) (streams.Stream, error) { return streams.DialTCP(ctx, up.String()) }
	return task.Start(ctx, n, func(ctx context.Context, started func(net.Addr)) error {
		return streams.ServeTCP(ctx, "127.0.0.1:0", handler(dial, time.Minute), started)
	})
}

// Over real TCP: the client's CloseWrite reaches the upstream through the
// proxy, and the upstream's answer and EOF come back.
func TestProxyPassesHalfCloseBothWays(t *testing.T) {
	err := task.Run(func(ctx context.Context) error {
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			px, err := startProxy(ctx, n, counter)
			if err != nil {
				return err
			}
			c, err := streams.DialTCP(ctx, px.String())
			if err != nil {
				return err
			}
			defer c.Close()
			if _, err := c.Write(ctx, make([]byte, 100_000)); err != nil {
				return err
			}
			if err := c.CloseWrite(ctx); err != nil {
				return err
			}
			got, err := io.ReadAll(streams.Conn(ctx, c))
			if string(got) != "got 100000 bytes" || err != nil {
				t.Errorf("through the proxy: %q, %v; want %q then EOF", got, err, "got 100000 bytes")
			}
			n.Cancel()
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// An idle connection is closed after the idle time, on the loop's clock,
// and one that keeps talking is not.
func TestProxyClosesIdleConnections(t *testing.T) {
	clock := task.NewMockClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	clock.SetAutojump(0)
	err := task.Run(func(ctx context.Context) error {
		l := streams.NewMemoryListener(4096)
		upSend, upRecv := task.NewChannel[streams.Stream](1)
		dialUp := func(ctx context.Context) (streams.Stream, error) {
			a, b := streams.MemoryPair(4096)
			return a, upSend.Send(ctx, b)
		}
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error {
				return streams.Serve(ctx, l, handler(dialUp, 30*time.Second))
			})
			// A client that talks every 20 s for a minute stays connected.
			talker, err := l.Dial(ctx)
			if err != nil {
				return err
			}
			up, _ := upRecv.Receive(ctx)
			for i := range 3 {
				if err := task.Sleep(ctx, 20*time.Second); err != nil {
					return err
				}
				if _, err := talker.Write(ctx, []byte{byte(i)}); err != nil {
					t.Errorf("write %d: %v; want the connection still open", i, err)
				}
				if _, err := up.Read(ctx, make([]byte, 1)); err != nil {
					t.Errorf("the upstream, byte %d: %v", i, err)
				}
			}
			// Then it falls silent: closed 30 s after its last byte.
			last := task.Now(ctx)
			if k, err := talker.Read(ctx, make([]byte, 1)); k != 0 || err != io.EOF {
				t.Errorf("an idle client read %d, %v; want EOF when the proxy gave up", k, err)
			}
			if idle := task.Now(ctx).Sub(last); idle != 30*time.Second {
				t.Errorf("closed after %v of silence; want the 30 s idle time", idle)
			}
			n.Cancel()
			return nil
		})
	}, task.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
}

// An upstream that does not answer costs the client the idle time, not
// the system's connect timeout: the dial is under the idle deadline, and
// the handler says why it gave up.
func TestUpstreamDialBoundedByIdle(t *testing.T) {
	clock := task.NewMockClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	clock.SetAutojump(0)
	err := task.Run(func(ctx context.Context) error {
		blackhole := func(ctx context.Context) (streams.Stream, error) {
			return nil, task.Sleep(ctx, time.Hour) // a SYN nobody answers
		}
		a, client := streams.MemoryPair(4096)
		defer client.Close()
		start := task.Now(ctx)
		err := handler(blackhole, 30*time.Second)(ctx, a)
		a.Close()
		if took := task.Now(ctx).Sub(start); took != 30*time.Second {
			t.Errorf("the handler gave up after %v; want the 30 s idle time", took)
		}
		if err == nil || !strings.Contains(err.Error(), "did not answer within 30s") {
			t.Errorf("handler: %v; want the upstream's timeout", err)
		}
		if k, err := client.Read(ctx, make([]byte, 1)); k != 0 || err != io.EOF {
			t.Errorf("the client read %d, %v; want EOF", k, err)
		}
		return nil
	}, task.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
}
