package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/f04742a6/reactor/sim"
	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// The echo demo on a simulated network: its server (serve, echoConn) on
// the host "echo", its load generator (bench) on client hosts, over
// links of 1-20ms with 2 % loss, on the simulated clock; each seed is
// another interleaving, latency and loss draw, and replays exactly
// (REACTOR_SIM_SEED=s).

// simIdle is the server's idle timeout in the simulated runs.
const simIdle = 30 * time.Second

// echoHost is the demo's server on ":7", closing connections idle for
// simIdle.
func echoHost(ctx context.Context) error {
	l, err := streams.ListenTCP(ctx, ":7")
	if err != nil {
		return err
	}
	defer l.Close()
	return serve(ctx, l, simIdle)
}

// simDial dials the echo host.
func simDial(ctx context.Context) (streams.Stream, error) { return streams.DialTCP(ctx, "echo:7") }

// settle lets hosts started just now reach their listeners.
func settle(ctx context.Context) error { return task.Sleep(ctx, time.Millisecond) }

// Four client hosts of two connections each run the demo's bench against
// the server over a lossy, latent network; then the server stops and a
// connected client reads the goodbye, then EOF.
func TestSimEchoRoundTrips(t *testing.T) {
	sim.Test(t, func(ctx context.Context, w *sim.World) error {
		srv := w.Host("echo", echoHost)
		if err := settle(ctx); err != nil {
			return err
		}
		var done []*task.Event
		for i := range 4 {
			ev := &task.Event{}
			done = append(done, ev)
			w.Host(fmt.Sprintf("client%d", i), func(ctx context.Context) error {
				res, err := bench(ctx, simDial, 2, 100, 300)
				if err != nil {
					return err
				}
				if res.Trips != 100 {
					return fmt.Errorf("%d round trips, want 100", res.Trips)
				}
				ev.Set()
				return nil
			})
		}
		for _, ev := range done {
			if err := ev.Wait(ctx); err != nil {
				return err
			}
		}
		// Shutdown: a connected client gets the goodbye, then EOF.
		c, err := streams.DialTCP(ctx, "echo:7")
		if err != nil {
			return err
		}
		defer c.Close()
		r := streams.NewBufferedReader(c, 1024)
		if _, err := c.Write(ctx, []byte("ping")); err != nil {
			return err
		}
		if got, err := r.ReadExactly(ctx, 4); string(got) != "ping" || err != nil {
			return fmt.Errorf("echo: %q, %v", got, err)
		}
		if err := srv.Stop(ctx); err != nil {
			return err
		}
		rest, err := io.ReadAll(streamReader{ctx, c})
		if string(rest) != goodbye || err != nil {
			t.Errorf("after the server stopped: %q, %v; want %q, then EOF", rest, err, goodbye)
		}
		return nil
	}, sim.Latency(time.Millisecond, 20*time.Millisecond), sim.Loss(0.02))
}

// A client host pipelines 1 MiB without reading most of its echo (the
// windows fill both ways, the server's echoConn blocks writing), and
// crashes mid-pipeline: no FIN, no RST, silence. The server serves the
// next client at once, closes the dead connection at its idle timeout
// (nothing else would tell it: the host is silent), and serves the
// crashed host again once it restarts.
func TestSimEchoClientCrashMidPipeline(t *testing.T) {
	sim.Test(t, func(ctx context.Context, w *sim.World) error {
		// The server's connections, each with when its echoConn ended.
		type served struct {
			remote string
			ended  time.Time
			err    error
		}
		var conns []*served
		w.Host("echo", func(ctx context.Context) error {
			l, err := streams.ListenTCP(ctx, ":7")
			if err != nil {
				return err
			}
			defer l.Close()
			return streams.Serve(ctx, l, func(ctx context.Context, s streams.Stream) error {
				rec := &served{remote: s.(*streams.SocketStream).RemoteAddr().String()}
				conns = append(conns, rec)
				err := echoConn(ctx, s, simIdle)
				rec.ended, rec.err = task.Now(ctx), err
				return err
			})
		})
		if err := settle(ctx); err != nil {
			return err
		}

		const total = 1 << 20
		var incarnation int
		midway := &task.Event{}
		again := &task.Event{}
		c1 := w.Host("pipeliner", func(ctx context.Context) error {
			incarnation++
			if incarnation > 1 { // after the restart: an ordinary client
				if _, err := bench(ctx, simDial, 1, 20, 100); err != nil {
					return err
				}
				again.Set()
				return nil
			}
			c, err := streams.DialTCP(ctx, "echo:7")
			if err != nil {
				return err
			}
			defer c.Close()
			msg := make([]byte, total)
			for i := range msg {
				msg[i] = byte(i % 251)
			}
			return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
				n.Go(func(ctx context.Context) error {
					_, err := c.Write(ctx, msg) // blocks: the server's echo is not read
					return err
				})
				got, err := streams.NewBufferedReader(c, 128<<10).ReadExactly(ctx, 100<<10)
				if err != nil {
					return err
				}
				for i, b := range got {
					if b != byte(i%251) {
						return fmt.Errorf("echo byte %d: %d, want %d", i, b, i%251)
					}
				}
				midway.Set()
				return task.Sleep(ctx, time.Hour) // until the crash
			})
		})
		if err := midway.Wait(ctx); err != nil {
			return err
		}
		if err := task.Sleep(ctx, 50*time.Millisecond); err != nil { // the windows fill
			return err
		}
		crashed := task.Now(ctx)
		c1.Crash()

		// The next client is served at once, the dead connection still open.
		next := &task.Event{}
		w.Host("next", func(ctx context.Context) error {
			res, err := bench(ctx, simDial, 2, 50, 200)
			if err != nil {
				return err
			}
			if res.Trips != 50 {
				return fmt.Errorf("%d round trips, want 50", res.Trips)
			}
			next.Set()
			return nil
		})
		if err := next.Wait(ctx); err != nil {
			return err
		}
		if d := task.Now(ctx).Sub(crashed); d >= simIdle {
			t.Errorf("the next client was served %v after the crash, not before the idle timeout", d)
		}
		if len(conns) != 3 || !conns[0].ended.IsZero() {
			t.Errorf("while the next client ran: %d connections, the crashed one ended at %v; want 3, still open", len(conns), conns[0].ended)
		}

		// The idle timeout closes the dead connection, without an error.
		if err := task.Sleep(ctx, simIdle+time.Second); err != nil {
			return err
		}
		if d := conns[0].ended.Sub(crashed); conns[0].ended.IsZero() || d > simIdle+time.Second || conns[0].err != nil {
			t.Errorf("the crashed client's connection ended %v after the crash with %v; want within the idle timeout, nil", d, conns[0].err)
		}

		// Restarted, the crashed host is served again.
		c1.Restart()
		if err := again.Wait(ctx); err != nil {
			return err
		}
		for _, c := range conns[1:] {
			if c.err != nil && !errors.Is(c.err, task.ErrCancelled) {
				t.Errorf("connection from %s: %v", c.remote, c.err)
			}
		}
		return nil
	}, sim.Latency(time.Millisecond, 10*time.Millisecond), sim.Loss(0.01))
}
