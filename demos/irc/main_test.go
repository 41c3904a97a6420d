package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func runMock(t *testing.T, main func(ctx context.Context) error) {
	t.Helper()
	clock := task.NewMockClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	clock.SetAutojump(0)
	if err := task.Run(main, task.WithClock(clock)); err != nil {
		t.Fatal(err)
	}
}

// The in-test server: welcome, expect IDENTIFY, PING and expect PONG,
// then go silent; it records every line the client sent.
func server(got *[]string, silentReader bool) streams.Handler {
	return func(ctx context.Context, s streams.Stream) error {
		lines := streams.NewBufferedReader(s, 512)
		expect := func(prefix string) error {
			for {
				line, err := lines.ReadLine(ctx)
				if err != nil {
					return err
				}
				*got = append(*got, string(line))
				if strings.HasPrefix(string(line), prefix) {
					return nil
				}
			}
		}
		if err := expect("USER"); err != nil {
			return err
		}
		s.Write(ctx, []byte(":srv 001 demo :Welcome\r\n"))
		if err := expect("PRIVMSG NickServ :IDENTIFY"); err != nil {
			return err
		}
		s.Write(ctx, []byte("PING :12345\r\n"))
		if err := expect("PONG :12345"); err != nil {
			return err
		}
		if silentReader {
			return task.Sleep(ctx, time.Hour) // neither speaks nor reads
		}
		return expect("QUIT")
	}
}

// withServer runs the in-test server on a memory listener of size on the
// mock clock, and body with a client connection to it and the lines the
// server got.
func withServer(t *testing.T, size int, silentReader bool, body func(ctx context.Context, c streams.Stream, got *[]string)) {
	t.Helper()
	runMock(t, func(ctx context.Context) error {
		var got []string
		l := streams.NewMemoryListener(size)
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error { return streams.Serve(ctx, l, server(&got, silentReader)) })
			c, err := l.Dial(ctx)
			if err != nil {
				return err
			}
			defer c.Close()
			body(ctx, c, &got)
			task.WaitAllTasksBlocked(ctx) // the server has read all it will
			n.Cancel()
			return nil
		})
	})
}

// The watchdog ends a session with a silent server after the ping
// timeout, and the QUIT in cleanup still goes out.
func TestWatchdogEndsSessionAndQuitIsSent(t *testing.T) {
	withServer(t, 4096, false, func(ctx context.Context, c streams.Stream, got *[]string) {
		start := task.Now(ctx)
		err := session(ctx, c, "demo", "secret", time.Minute, func(string) {})
		if !errors.Is(err, errPingTimeout) {
			t.Errorf("session with a silent server: %v; want the ping timeout", err)
		}
		if took := task.Now(ctx).Sub(start); took != time.Minute {
			t.Errorf("the watchdog fired after %v; want 1m after the last line", took)
		}
		task.WaitAllTasksBlocked(ctx)
		want := []string{"NICK demo", "USER demo 0 * :demo", "PRIVMSG NickServ :IDENTIFY secret", "PONG :12345", "QUIT :bye"}
		if strings.Join(*got, "|") != strings.Join(want, "|") {
			t.Errorf("the server got %q; want %q", *got, want)
		}
	})
}

// A server that stops reading cannot hold the client: the QUIT gives up
// after its 1 s bound (on lockstep streams, where it cannot be written).
func TestQuitIsBoundedWhenTheServerDoesNotRead(t *testing.T) {
	withServer(t, 0, true, func(ctx context.Context, c streams.Stream, got *[]string) {
		start := task.Now(ctx)
		err := session(ctx, c, "demo", "secret", time.Minute, func(string) {})
		if !errors.Is(err, errPingTimeout) {
			t.Errorf("session: %v; want the ping timeout", err)
		}
		if took := task.Now(ctx).Sub(start); took != time.Minute+quitTime {
			t.Errorf("the session ended after %v; want the ping timeout plus the 1 s QUIT bound", took)
		}
	})
}

// Cancelled from outside (Ctrl-C, a caller's deadline), the session still
// says QUIT: the goodbye is shielded from the cancellation that ends it.
func TestQuitSurvivesTheCancellationThatEndsTheSession(t *testing.T) {
	withServer(t, 4096, false, func(ctx context.Context, c streams.Stream, got *[]string) {
		timedOut, err := task.MoveOnAfter(ctx, 30*time.Second, func(ctx context.Context) error {
			return session(ctx, c, "demo", "secret", time.Hour, func(string) {})
		})
		if !timedOut || err != nil {
			t.Errorf("MoveOnAfter around the session = %v, %v; want true, nil", timedOut, err)
		}
		task.WaitAllTasksBlocked(ctx)
		if len(*got) == 0 || (*got)[len(*got)-1] != "QUIT :bye" {
			t.Errorf("the server got %q; want it to end with the QUIT", *got)
		}
	})
}

// A line longer than RFC 1459's 512 bytes (CRLF included) ends the
// session, with the QUIT, instead of growing the client's buffer: a
// hostile server cannot make it hold more than 512 bytes of a line.
func TestOverlongLineEndsTheSession(t *testing.T) {
	runMock(t, func(ctx context.Context) error {
		var got []string
		l := streams.NewMemoryListener(4096)
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error {
				return streams.Serve(ctx, l, func(ctx context.Context, s streams.Stream) error {
					notice := func(n int) string { // a line of n bytes, CRLF included
						return ":srv NOTICE demo :" + strings.Repeat("x", n-2-len(":srv NOTICE demo :")) + "\r\n"
					}
					s.Write(ctx, []byte(notice(512)+notice(513)))
					lines := streams.NewBufferedReader(s, 512)
					for {
						line, err := lines.ReadLine(ctx)
						if err != nil {
							return nil
						}
						got = append(got, string(line))
					}
				})
			})
			c, err := l.Dial(ctx)
			if err != nil {
				return err
			}
			defer c.Close()
			var shown []int
			err = session(ctx, c, "demo", "", time.Minute, func(line string) { shown = append(shown, len(line)) })
			if !errors.Is(err, streams.ErrTooLong) || len(shown) != 1 || shown[0] != 510 {
				t.Errorf("session after lines of 512 and 513 bytes: %v, showing lines of %v bytes; want ErrTooLong after one line of 510", err, shown)
			}
			c.Close()
			task.WaitAllTasksBlocked(ctx)
			if len(got) == 0 || got[len(got)-1] != "QUIT :bye" {
				t.Errorf("the server got %q; want it to end with the QUIT", got)
			}
			n.Cancel()
			return nil
		})
	})
}
