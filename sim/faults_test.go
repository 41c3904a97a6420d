package sim_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/f04742a6/reactor/sim"
	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

func fixed(d time.Duration) sim.Option { return sim.Latency(d, d) }

// settle lets hosts started just now reach their listeners.
func settle(ctx context.Context) error { return task.Sleep(ctx, time.Millisecond) }

func TestRefused(t *testing.T) {
	err := sim.Run(func(ctx context.Context, w *sim.World) error {
		w.Host("server", idle)
		t0 := task.Now(ctx)
		_, err := streams.DialTCP(ctx, "server:80")
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("dial: %v, want ECONNREFUSED", err)
		}
		if d := task.Now(ctx).Sub(t0); d != 10*time.Millisecond {
			t.Errorf("refused after %v, want one round trip", d)
		}
		return nil
	}, fixed(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
}

func TestConnectToPartitionedHostHangsUntilDeadline(t *testing.T) {
	for _, crash := range []bool{false, true} {
		err := sim.Run(func(ctx context.Context, w *sim.World) error {
			srv := w.Host("server", echoHost)
			if err := settle(ctx); err != nil {
				return err
			}
			if crash {
				srv.Crash()
			} else {
				w.Partition("main", "server")
			}
			t0 := task.Now(ctx)
			err := task.FailAfter(ctx, 30*time.Second, func(ctx context.Context) error {
				_, err := streams.DialTCP(ctx, "server:7")
				return err
			})
			if !errors.Is(err, task.ErrTimeout) {
				t.Errorf("crash=%v: dial: %v, want a timeout", crash, err)
			}
			if d := task.Now(ctx).Sub(t0); d != 30*time.Second {
				t.Errorf("crash=%v: gave up after %v", crash, d)
			}
			// Without a deadline, connect gives up as Linux does.
			t0 = task.Now(ctx)
			_, err = streams.DialTCP(ctx, "server:7")
			if !errors.Is(err, syscall.ETIMEDOUT) {
				t.Errorf("crash=%v: dial: %v, want ETIMEDOUT", crash, err)
			}
			if d := task.Now(ctx).Sub(t0); d < 127*time.Second || d > 128*time.Second {
				t.Errorf("crash=%v: connect timed out after %v, want 127s", crash, d)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestPartitionHealNothingLost(t *testing.T) {
	const total = 300 << 10
	err := sim.Run(func(ctx context.Context, w *sim.World) error {
		c, err := dialEchoServer(ctx, w)
		if err != nil {
			return err
		}
		defer c.Close()
		msg := make([]byte, total)
		for i := range msg {
			msg[i] = byte(i * 7)
		}
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error {
				_, err := c.Write(ctx, msg)
				return err
			})
			n.Go(func(ctx context.Context) error {
				task.Sleep(ctx, 3*time.Millisecond)
				w.Partition("main", "server")
				task.Sleep(ctx, 5*time.Minute)
				w.Heal("main", "server")
				return nil
			})
			got := make([]byte, total)
			t0 := task.Now(ctx)
			if _, err := readFull(ctx, c, got); err != nil {
				return err
			}
			if !bytes.Equal(got, msg) {
				t.Error("echo differs after partition and heal")
			}
			if d := task.Now(ctx).Sub(t0); d < 5*time.Minute {
				t.Errorf("echo done in %v, within the partition", d)
			}
			return nil
		})
	}, sim.Latency(time.Millisecond, 3*time.Millisecond), sim.Loss(0.05))
	if err != nil {
		t.Fatal(err)
	}
}

func TestPartitionPastUserTimeoutResets(t *testing.T) {
	err := sim.Run(func(ctx context.Context, w *sim.World) error {
		c, err := dialEchoServer(ctx, w)
		if err != nil {
			return err
		}
		defer c.Close()
		w.Partition("main", "server")
		t0 := task.Now(ctx)
		_, err = roundTrip(ctx, c, []byte("ping"))
		if !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("round trip: %v, want ECONNRESET", err)
		}
		if d := task.Now(ctx).Sub(t0); d < 15*time.Minute || d > 16*time.Minute {
			t.Errorf("reset after %v, want the user timeout (15m)", d)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPartitionOneWay(t *testing.T) {
	err := sim.Run(func(ctx context.Context, w *sim.World) error {
		c, err := dialEchoServer(ctx, w)
		if err != nil {
			return err
		}
		defer c.Close()
		w.PartitionOneWay("server", "main") // requests get there, replies do not
		timedOut, err := task.MoveOnAfter(ctx, time.Minute, func(ctx context.Context) error {
			_, err := roundTrip(ctx, c, []byte("ping"))
			return err
		})
		if !timedOut || err != nil {
			t.Errorf("round trip through a one-way partition: timedOut=%v err=%v", timedOut, err)
		}
		w.HealAll()
		got := make([]byte, 4)
		if _, err := readFull(ctx, c, got); err != nil || string(got) != "ping" {
			t.Errorf("after heal: %q %v", got, err)
		}
		return nil
	}, fixed(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
}

func TestReset(t *testing.T) {
	err := sim.Run(func(ctx context.Context, w *sim.World) error {
		c, err := dialEchoServer(ctx, w)
		if err != nil {
			return err
		}
		defer c.Close()
		if _, err := roundTrip(ctx, c, []byte("a")); err != nil {
			return err
		}
		w.Reset("main", "server")
		_, err = c.Read(ctx, make([]byte, 1))
		if !errors.Is(err, syscall.ECONNRESET) || !errors.Is(err, task.ErrBrokenResource) {
			t.Errorf("read after Reset: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A crash is silence (no FIN, no RST); after a restart, the old
// connection gets a RST; a stop lets shielded goodbyes go out and ends
// with FIN.
func TestCrashVersusStop(t *testing.T) {
	server := func(ctx context.Context) error {
		return streams.ServeTCP(ctx, ":7", func(ctx context.Context, s streams.Stream) error {
			err := echo(ctx, s)
			task.Shield(ctx, func(ctx context.Context) error {
				_, err := s.Write(ctx, []byte("bye\n"))
				return err
			})
			return err
		}, nil)
	}
	err := sim.Run(func(ctx context.Context, w *sim.World) error {
		srv := w.Host("server", server)
		if err := settle(ctx); err != nil {
			return err
		}
		// Crash: silence.
		c, err := streams.DialTCP(ctx, "server:7")
		if err != nil {
			return err
		}
		if _, err := roundTrip(ctx, c, []byte("x")); err != nil {
			return err
		}
		srv.Crash()
		timedOut, err := task.MoveOnAfter(ctx, 10*time.Minute, func(ctx context.Context) error {
			_, err := c.Read(ctx, make([]byte, 10))
			return err
		})
		if !timedOut || err != nil {
			t.Errorf("read from a crashed host: timedOut=%v err=%v, want silence", timedOut, err)
		}
		// Restart: the old connection is unknown, a write is answered with RST.
		srv.Restart()
		if err := settle(ctx); err != nil {
			return err
		}
		c.Write(ctx, []byte("y"))
		_, err = c.Read(ctx, make([]byte, 10))
		if !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("read after the server restarted: %v, want ECONNRESET", err)
		}
		c.Close()
		// The restarted host serves again on the same port.
		c, err = streams.DialTCP(ctx, "server:7")
		if err != nil {
			return fmt.Errorf("dial after restart: %w", err)
		}
		defer c.Close()
		if _, err := roundTrip(ctx, c, []byte("z")); err != nil {
			return err
		}
		// Stop: the shielded goodbye, then EOF.
		if err := srv.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
		got, err := io.ReadAll(readerOf(ctx, c))
		if string(got) != "bye\n" || err != nil {
			t.Errorf("after Stop read %q, %v; want the goodbye then EOF", got, err)
		}
		if _, err := streams.DialTCP(ctx, "server:7"); err == nil {
			t.Error("dial to a stopped host succeeded")
		}
		return nil
	}, fixed(2*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
}

type ctxReader struct {
	ctx context.Context
	s   streams.Stream
}

func (r ctxReader) Read(p []byte) (int, error) { return r.s.Read(r.ctx, p) }

func readerOf(ctx context.Context, s streams.Stream) io.Reader { return ctxReader{ctx, s} }

func TestHostFailureFailsRun(t *testing.T) {
	boom := errors.New("boom")
	err := sim.Run(func(ctx context.Context, w *sim.World) error {
		w.Host("bad", func(ctx context.Context) error {
			task.Sleep(ctx, time.Second)
			return boom
		})
		return task.Sleep(ctx, time.Hour)
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Run: %v, want the host's error", err)
	}
}

func TestBackpressure(t *testing.T) {
	err := sim.Run(func(ctx context.Context, w *sim.World) error {
		w.Host("sink", func(ctx context.Context) error {
			l, err := streams.ListenTCP(ctx, ":9")
			if err != nil {
				return err
			}
			defer l.Close()
			s, err := l.Accept(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			return idle(ctx) // never reads
		})
		if err := settle(ctx); err != nil {
			return err
		}
		c, err := streams.DialTCP(ctx, "sink:9")
		if err != nil {
			return err
		}
		defer c.Close()
		written := 0
		chunk := make([]byte, 1000)
		timedOut, err := task.MoveOnAfter(ctx, time.Minute, func(ctx context.Context) error {
			for {
				n, err := c.Write(ctx, chunk)
				written += n
				if err != nil {
					return err
				}
			}
		})
		if !timedOut || err != nil {
			t.Errorf("writer: timedOut=%v err=%v", timedOut, err)
		}
		if written > 8000 || written < 7000 {
			t.Errorf("wrote %d bytes into a window of 8000", written)
		}
		return nil
	}, sim.Buffer(8000))
	if err != nil {
		t.Fatal(err)
	}
}

// idle waits until cancelled.
func idle(ctx context.Context) error {
	err := (&task.Event{}).Wait(ctx)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
