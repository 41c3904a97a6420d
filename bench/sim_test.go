package bench

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/f04742a6/reactor/sim"
	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// BenchmarkSimEchoRoundTrip is one echo round trip of 64 bytes, one
// operation, timed in real time:
//
//   - sim: over the simulated network (package sim: a server host and
//     the client on "main", 1ms each way, so two segments per round trip
//     and 2ms of simulated time), all on one loop;
//   - memorypair: the same traffic over streams.MemoryPair, on the same
//     kind of run (a mock clock with autojump, one loop).
//
// The ratio sim/memorypair is what simulating TCP costs; allocs/segment
// is the simulation's allocations per segment sent.
func BenchmarkSimEchoRoundTrip(b *testing.B) {
	b.Run("sim", func(b *testing.B) {
		err := sim.Run(func(ctx context.Context, w *sim.World) error {
			w.Host("server", func(ctx context.Context) error {
				return streams.ServeTCP(ctx, ":7", simEcho, nil)
			})
			if err := task.Sleep(ctx, time.Millisecond); err != nil {
				return err
			}
			c, err := streams.DialTCP(ctx, "server:7")
			if err != nil {
				return err
			}
			defer c.Close()
			return roundTrips(ctx, b, c, 2)
		}, sim.Latency(time.Millisecond, time.Millisecond))
		if err != nil {
			b.Fatal(err)
		}
	})
	b.Run("memorypair", func(b *testing.B) {
		clock := task.NewMockClock(time.Unix(0, 0))
		clock.SetAutojump(0)
		err := task.Run(func(ctx context.Context) error {
			a, s := streams.MemoryPair(64 << 10)
			return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
				n.Go(func(ctx context.Context) error {
					defer s.Close()
					return simEcho(ctx, s)
				})
				defer a.Close()
				return roundTrips(ctx, b, a, 0)
			})
		}, task.WithClock(clock), task.WithSignals())
		if err != nil {
			b.Fatal(err)
		}
	})
}

// simEcho sends back what it reads until EOF.
func simEcho(ctx context.Context, s streams.Stream) error {
	buf := make([]byte, 4096)
	for {
		n, err := s.Read(ctx, buf)
		if err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		if _, err := s.Write(ctx, buf[:n]); err != nil {
			return err
		}
	}
}

// roundTrips makes b.N round trips of 64 bytes over c, timed, and reports
// round trips per second of real time (and allocations per segment if
// segments per round trip is not 0).
func roundTrips(ctx context.Context, b *testing.B, c streams.Stream, segments int) error {
	msg := make([]byte, 64)
	buf := make([]byte, 64)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, err := c.Write(ctx, msg); err != nil {
			return err
		}
		for got := 0; got < len(buf); {
			n, err := c.Read(ctx, buf[got:])
			if err != nil {
				return err
			}
			got += n
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "roundtrips/s")
	if segments > 0 {
		b.ReportMetric(float64(segments), "segments/op")
	}
	return nil
}

// TestSimChatHour is an hour of simulated traffic in a chat room of 100
// connections, each on a host of its own, under 1 % loss and 1-20ms of
// latency: every member says a line every minute (at a time drawn from
// the seed), the room passes it to the 99 others (about 600,000 lines
// delivered); it logs the real time the hour took. It checks that every
// line reached every member. -short skips it.
func TestSimChatHour(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: an hour of a 100-member room takes a few seconds")
	}
	const members, minutes = 100, 60
	var delivered int
	start := time.Now()
	err := sim.Run(func(ctx context.Context, w *sim.World) error {
		// The room: every line a member sends is written to every other.
		var conns []streams.Stream
		w.Host("chat", func(ctx context.Context) error {
			return streams.ServeTCP(ctx, ":7001", func(ctx context.Context, s streams.Stream) error {
				conns = append(conns, s)
				r := streams.NewBufferedReader(s, 1024)
				for {
					line, err := r.ReadUntil(ctx, []byte("\n"))
					if err != nil {
						return nil
					}
					out := string(line)
					for _, o := range conns {
						if o != s {
							if _, err := o.Write(ctx, []byte(out)); err != nil {
								return err
							}
						}
					}
				}
			}, nil)
		})
		if err := task.Sleep(ctx, time.Millisecond); err != nil {
			return err
		}
		joined, done := &task.Event{}, &task.Event{}
		nJoined, nDone := 0, 0
		for i := range members {
			w.Host(fmt.Sprintf("m%d", i), func(ctx context.Context) error {
				c, err := streams.DialTCP(ctx, "chat:7001")
				if err != nil {
					return err
				}
				defer c.Close()
				if nJoined++; nJoined == members {
					joined.Set()
				}
				if err := joined.Wait(ctx); err != nil {
					return err
				}
				if err := task.Sleep(ctx, time.Second); err != nil { // everyone is in the room
					return err
				}
				return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
					n.Go(func(ctx context.Context) error {
						line := fmt.Appendf(nil, "m%d says hello\n", i)
						for range minutes {
							if err := task.Sleep(ctx, time.Duration(i)*600*time.Millisecond); err != nil {
								return err
							}
							if _, err := c.Write(ctx, line); err != nil {
								return err
							}
							if err := task.Sleep(ctx, time.Minute-time.Duration(i)*600*time.Millisecond); err != nil {
								return err
							}
						}
						return nil
					})
					r := streams.NewBufferedReader(c, 1024)
					for range (members - 1) * minutes {
						if _, err := r.ReadUntil(ctx, []byte("\n")); err != nil {
							return err
						}
						delivered++
					}
					if nDone++; nDone == members {
						done.Set()
					}
					return nil
				})
			})
		}
		return done.Wait(ctx)
	}, sim.Latency(time.Millisecond, 20*time.Millisecond), sim.Loss(0.01), sim.Seed(1))
	if err != nil {
		t.Fatal(err)
	}
	if want := members * (members - 1) * minutes; delivered != want {
		t.Errorf("%d lines delivered, want %d", delivered, want)
	}
	t.Logf("a simulated hour of %d members under 1%% loss: %d lines delivered in %v of real time", members, delivered, time.Since(start).Round(time.Millisecond))
}
