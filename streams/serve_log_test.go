package streams_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// records is a slog.Handler that keeps every record it is given at or
// above min. Serve logs on the loop's thread only, so it needs no lock.
type records struct {
	min  slog.Level
	list []record
}

type record struct {
	level slog.Level
	msg   string
	attrs map[string]slog.Value
}

func (r *records) Enabled(_ context.Context, l slog.Level) bool { return l >= r.min }
func (r *records) WithAttrs([]slog.Attr) slog.Handler           { return r }
func (r *records) WithGroup(string) slog.Handler                { return r }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	out := record{level: rec.Level, msg: rec.Message, attrs: map[string]slog.Value{}}
	rec.Attrs(func(a slog.Attr) bool { out.attrs[a.Key] = a.Value; return true })
	r.list = append(r.list, out)
	return nil
}

// count returns how many records say msg, and the levels they were at.
func (r *records) count(msg string) (int, map[slog.Level]int) {
	n, levels := 0, map[slog.Level]int{}
	for _, rec := range r.list {
		if rec.msg == msg {
			n++
			levels[rec.level]++
		}
	}
	return n, levels
}

const (
	failedMsg  = "streams: connection handler failed"
	summaryMsg = "streams: connection handler failures not logged (rate limit)"
)

// serveFailing serves l with a handler that fails with errFor(i) on the
// i-th connection, dials bursts of connections at the given mock times
// (each burst: perBurst connections at once), waits for wait after the
// last, and stops the server.
func serveFailing(ctx context.Context, l *streams.MemoryListener, served streams.Listener, errFor func(i int) error, bursts []time.Duration, perBurst int, wait time.Duration) error {
	return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
		next := 0
		handler := func(ctx context.Context, s streams.Stream) error {
			next++
			return errFor(next - 1)
		}
		n.Go(func(ctx context.Context) error { return streams.Serve(ctx, served, handler) })
		var clients []streams.Stream
		defer func() {
			for _, c := range clients {
				c.Close()
			}
		}()
		for _, at := range bursts {
			if err := task.SleepUntil(ctx, epoch.Add(at)); err != nil {
				return err
			}
			for range perBurst {
				c, err := l.Dial(ctx)
				if err != nil {
					return err
				}
				clients = append(clients, c)
			}
		}
		if err := task.Sleep(ctx, wait); err != nil {
			return err
		}
		n.Cancel()
		return nil
	})
}

// TestServeLogIsRateLimited: 1000 failing handlers in a burst write at
// most PerSecond reports and then one summary with the count left out,
// at the chosen level; a later burst, in a new second, is reported
// again. The summary is written when Serve ends first, too.
func TestServeLogIsRateLimited(t *testing.T) {
	cases := []struct {
		name      string
		log       streams.ServeLogging
		wantLevel slog.Level
		perSecond int
		bursts    []time.Duration
		wait      time.Duration // after the last burst, before Serve is cancelled
	}{
		{"defaults", streams.ServeLogging{}, slog.LevelWarn, 10, []time.Duration{0}, 2 * time.Second},
		{"chosen level and rate", streams.ServeLogging{Level: slog.LevelError, PerSecond: 3}, slog.LevelError, 3, []time.Duration{0}, 2 * time.Second},
		{"two bursts, two windows", streams.ServeLogging{}, slog.LevelWarn, 10, []time.Duration{0, 5 * time.Second}, 2 * time.Second},
		{"Serve ends before the second", streams.ServeLogging{}, slog.LevelWarn, 10, []time.Duration{0}, 0},
	}
	const perBurst = 1000
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			recs := &records{min: slog.LevelDebug}
			c.log.Logger = slog.New(recs)
			runMock(t, func(ctx context.Context) error {
				l := streams.NewMemoryListener(0)
				defer l.Close()
				boom := errors.New("the handler gave up")
				return serveFailing(ctx, l, streams.WithServeLogging(l, c.log),
					func(int) error { return boom }, c.bursts, perBurst, c.wait)
			})
			windows := len(c.bursts)
			if n, levels := recs.count(failedMsg); n != windows*c.perSecond || levels[c.wantLevel] != n {
				t.Errorf("%d failure reports at levels %v; want %d at %v (%d per burst)", n, levels, windows*c.perSecond, c.wantLevel, c.perSecond)
			}
			if n, levels := recs.count(summaryMsg); n != windows || levels[c.wantLevel] != n {
				t.Errorf("%d summaries at levels %v; want %d at %v", n, levels, windows, c.wantLevel)
			}
			for _, rec := range recs.list {
				if rec.msg == summaryMsg && rec.attrs["suppressed"].Int64() != int64(perBurst-c.perSecond) {
					t.Errorf("a summary says %v suppressed; want %d", rec.attrs["suppressed"], perBurst-c.perSecond)
				}
			}
			if len(recs.list) > windows*(c.perSecond+1) {
				t.Errorf("%d records in all; want at most %d", len(recs.list), windows*(c.perSecond+1))
			}
		})
	}
}

// TestServeLogPeerErrorsAtDebug: a failure the peer caused (a reset, a
// broken pipe, a peer that left early) is reported at Debug, so a
// logger at the usual Info level writes nothing for it, while any other
// failure is a warning, and a cancellation is not reported.
func TestServeLogPeerErrorsAtDebug(t *testing.T) {
	reset := fmt.Errorf("streams: read tcp 192.0.2.1:4242: %w: %w", task.ErrBrokenResource, syscall.ECONNRESET)
	cases := []struct {
		name string
		err  error
		want slog.Level // -100: none
	}{
		{"reset peer", reset, slog.LevelDebug},
		{"bare ECONNRESET", fmt.Errorf("read: %w", syscall.ECONNRESET), slog.LevelDebug},
		{"broken pipe", fmt.Errorf("write: %w", syscall.EPIPE), slog.LevelDebug},
		{"peer left", io.EOF, slog.LevelDebug},
		{"peer left mid-record", fmt.Errorf("streams: %w", io.ErrUnexpectedEOF), slog.LevelDebug},
		{"handler's own failure", errors.New("bad request"), slog.LevelWarn},
		{"cancelled", fmt.Errorf("handler: %w", task.ErrCancelled), -100},
	}
	for _, c := range cases {
		for _, min := range []slog.Level{slog.LevelDebug, slog.LevelInfo} {
			t.Run(fmt.Sprintf("%s, logger at %v", c.name, min), func(t *testing.T) {
				recs := &records{min: min}
				runMock(t, func(ctx context.Context) error {
					l := streams.NewMemoryListener(0)
					defer l.Close()
					return serveFailing(ctx, l, streams.WithServeLogging(l, streams.ServeLogging{Logger: slog.New(recs)}),
						func(int) error { return c.err }, []time.Duration{0}, 1, 0)
				})
				n, levels := recs.count(failedMsg)
				switch {
				case c.want == -100 || c.want < min:
					if n != 0 {
						t.Errorf("%d reports at %v; want none", n, levels)
					}
				case n != 1 || levels[c.want] != 1:
					t.Errorf("%d reports at %v; want one at %v", n, levels, c.want)
				}
			})
		}
	}
}

// TestServeLogsToListenLogger: a SocketListener's ListenLogger receives
// Serve's reports of its failed connections.
func TestServeLogsToListenLogger(t *testing.T) {
	recs := &records{min: slog.LevelDebug}
	run(t, func(ctx context.Context) error {
		l, err := streams.ListenTCP(ctx, "127.0.0.1:0", streams.ListenLogger(slog.New(recs)))
		if err != nil {
			return err
		}
		defer l.Close()
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			var done task.Event
			n.Go(func(ctx context.Context) error {
				return streams.Serve(ctx, l, func(ctx context.Context, s streams.Stream) error {
					defer done.Set()
					return errors.New("bad request")
				})
			})
			c, err := streams.DialTCP(ctx, l.Addr().String())
			if err != nil {
				return err
			}
			defer c.Close()
			if err := done.Wait(ctx); err != nil {
				return err
			}
			n.Cancel()
			return nil
		})
	})
	n, levels := recs.count(failedMsg)
	if n != 1 || levels[slog.LevelWarn] != 1 {
		t.Errorf("the ListenLogger got %d reports at %v; want one warning", n, levels)
	}
	for _, rec := range recs.list {
		if rec.msg == failedMsg {
			if _, err := net.ResolveTCPAddr("tcp", rec.attrs["remote"].String()); err != nil {
				t.Errorf("the report's remote %q is not the peer's address: %v", rec.attrs["remote"], err)
			}
		}
	}
}
