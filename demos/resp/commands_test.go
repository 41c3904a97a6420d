package main

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv(mainArgsEnv); ok {
		// Run as the program (TestFailedRunWritesItsProfile).
		os.Args = append([]string{"resp"}, strings.Split(args, "\n")...)
		main()
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// mainArgsEnv, set in the environment of this test binary, makes it run
// the program's main with these arguments (one a line) instead of the
// tests.
const mainArgsEnv = "RESP_TEST_MAIN_ARGS"

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// session runs body against a server session on memory streams, with the
// mock clock (autojumping: body moves time with task.Sleep), and with the
// store's expiry cycle if reap is set (without it, expiry is only what
// lookups see).
func session(t *testing.T, reap bool, body func(ctx context.Context, c *client, db *store) error) {
	t.Helper()
	clock := task.NewMockClock(epoch)
	clock.SetAutojump(0)
	err := task.Run(func(ctx context.Context) error {
		srv := &server{db: newStore()}
		l := streams.NewMemoryListener(64 << 10)
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error { return streams.Serve(ctx, l, srv.serveConn) })
			if reap {
				n.Go(func(ctx context.Context) error { return srv.db.reaper(ctx, 0, 1) })
			}
			s, err := l.Dial(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			err = body(ctx, newClient(s, 1<<20), srv.db)
			n.Cancel()
			return err
		})
	}, task.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
}

// A script of commands and the replies Redis gives them, run in order on
// one session; a "jump" step moves the mock clock.
func TestCommands(t *testing.T) {
	type step struct {
		cmd  []string
		want string
		jump time.Duration
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"ping and echo", []step{
			{cmd: []string{"PING"}, want: "PONG"},
			{cmd: []string{"ping", "hi"}, want: "hi"},
			{cmd: []string{"ECHO", "a b"}, want: "a b"},
			{cmd: []string{"ECHO"}, want: "(error) ERR wrong number of arguments for 'echo' command"},
		}},
		{"set get del", []step{
			{cmd: []string{"GET", "k"}, want: "(nil)"},
			{cmd: []string{"SET", "k", "v"}, want: "OK"},
			{cmd: []string{"GET", "k"}, want: "v"},
			{cmd: []string{"DEL", "k", "other"}, want: "1"},
			{cmd: []string{"GET", "k"}, want: "(nil)"},
			{cmd: []string{"SET", "k"}, want: "(error) ERR wrong number of arguments for 'set' command"},
		}},
		{"set nx xx", []step{
			{cmd: []string{"SET", "k", "1", "XX"}, want: "(nil)"},
			{cmd: []string{"SET", "k", "1", "NX"}, want: "OK"},
			{cmd: []string{"SET", "k", "2", "NX"}, want: "(nil)"},
			{cmd: []string{"SET", "k", "3", "xx"}, want: "OK"},
			{cmd: []string{"GET", "k"}, want: "3"},
			{cmd: []string{"SET", "k", "4", "NX", "XX"}, want: "(error) ERR syntax error"},
			{cmd: []string{"SET", "k", "4", "BOGUS"}, want: "(error) ERR syntax error"},
			// As in Redis 7: options are read first, a repeated one is
			// taken, conflicting ones are a syntax error.
			{cmd: []string{"SET", "k", "5", "NX", "NX"}, want: "(nil)"},
			{cmd: []string{"SET", "k", "5", "XX", "xx"}, want: "OK"},
			{cmd: []string{"SET", "k", "6", "EX", "5", "EX", "6"}, want: "OK"},
			{cmd: []string{"TTL", "k"}, want: "6"},
			{cmd: []string{"SET", "k", "7", "EX", "5", "PX", "6"}, want: "(error) ERR syntax error"},
			{cmd: []string{"SET", "k", "7", "EX", "x", "BOGUS"}, want: "(error) ERR syntax error"},
		}},
		{"set ex expires on the loop clock", []step{
			{cmd: []string{"SET", "k", "v", "EX", "10"}, want: "OK"},
			{cmd: []string{"TTL", "k"}, want: "10"},
			{jump: 9*time.Second + 400*time.Millisecond},
			{cmd: []string{"TTL", "k"}, want: "1"}, // 600 ms, rounded as Redis does
			{cmd: []string{"GET", "k"}, want: "v"},
			{jump: 600 * time.Millisecond},
			{cmd: []string{"GET", "k"}, want: "(nil)"},
			{cmd: []string{"TTL", "k"}, want: "-2"},
		}},
		{"set px", []step{
			{cmd: []string{"SET", "k", "v", "PX", "1500"}, want: "OK"},
			{jump: 1499 * time.Millisecond},
			{cmd: []string{"GET", "k"}, want: "v"},
			{jump: time.Millisecond},
			{cmd: []string{"GET", "k"}, want: "(nil)"},
			{cmd: []string{"SET", "k", "v", "EX", "0"}, want: "(error) ERR invalid expire time in 'set' command"},
			{cmd: []string{"SET", "k", "v", "EX", "x"}, want: "(error) ERR value is not an integer or out of range"},
			{cmd: []string{"SET", "k", "v", "EX"}, want: "(error) ERR syntax error"},
		}},
		{"plain set clears the deadline", []step{
			{cmd: []string{"SET", "k", "v", "EX", "1"}, want: "OK"},
			{cmd: []string{"SET", "k", "w"}, want: "OK"},
			{cmd: []string{"TTL", "k"}, want: "-1"},
			{jump: 2 * time.Second},
			{cmd: []string{"GET", "k"}, want: "w"},
		}},
		{"expire and ttl", []step{
			{cmd: []string{"EXPIRE", "k", "5"}, want: "0"},
			{cmd: []string{"SET", "k", "v"}, want: "OK"},
			{cmd: []string{"EXPIRE", "k", "5"}, want: "1"},
			{cmd: []string{"TTL", "k"}, want: "5"},
			{cmd: []string{"EXPIRE", "k", "x"}, want: "(error) ERR value is not an integer or out of range"},
			{cmd: []string{"EXPIRE", "k", "-1"}, want: "1"}, // a past deadline deletes
			{cmd: []string{"GET", "k"}, want: "(nil)"},
		}},
		{"incr keeps the deadline", []step{
			{cmd: []string{"INCR", "n"}, want: "1"},
			{cmd: []string{"INCR", "n"}, want: "2"},
			{cmd: []string{"EXPIRE", "n", "3"}, want: "1"},
			{cmd: []string{"INCR", "n"}, want: "3"},
			{cmd: []string{"TTL", "n"}, want: "3"},
			{cmd: []string{"SET", "s", "abc"}, want: "OK"},
			{cmd: []string{"INCR", "s"}, want: "(error) ERR value is not an integer or out of range"},
			{cmd: []string{"SET", "big", "9223372036854775807"}, want: "OK"},
			{cmd: []string{"INCR", "big"}, want: "(error) ERR increment or decrement would overflow"},
		}},
		{"integers as Redis parses them", []step{
			{cmd: []string{"SET", "n", "+5"}, want: "OK"},
			{cmd: []string{"INCR", "n"}, want: "(error) ERR value is not an integer or out of range"},
			{cmd: []string{"SET", "n", "007"}, want: "OK"},
			{cmd: []string{"INCR", "n"}, want: "(error) ERR value is not an integer or out of range"},
			{cmd: []string{"SET", "n", "-0"}, want: "OK"},
			{cmd: []string{"INCR", "n"}, want: "(error) ERR value is not an integer or out of range"},
			{cmd: []string{"SET", "n", " 5"}, want: "OK"},
			{cmd: []string{"INCR", "n"}, want: "(error) ERR value is not an integer or out of range"},
			{cmd: []string{"SET", "n", "-9223372036854775808"}, want: "OK"},
			{cmd: []string{"INCR", "n"}, want: "-9223372036854775807"},
			{cmd: []string{"SET", "n", "0"}, want: "OK"},
			{cmd: []string{"INCR", "n"}, want: "1"},
			{cmd: []string{"SET", "k", "v", "EX", "9223372036854775807"}, want: "(error) ERR invalid expire time in 'set' command"},
			{cmd: []string{"SET", "k", "v", "EX", "9223372036854775"}, want: "(error) ERR invalid expire time in 'set' command"}, // overflows when now is added
			{cmd: []string{"SET", "k", "v", "PX", "9223372036854775807"}, want: "(error) ERR invalid expire time in 'set' command"},
			{cmd: []string{"SET", "k", "v", "EX", "-1"}, want: "(error) ERR invalid expire time in 'set' command"},
			{cmd: []string{"SET", "k", "v", "EX", "+5"}, want: "(error) ERR value is not an integer or out of range"},
			{cmd: []string{"SET", "k", "v", "EX", "05"}, want: "(error) ERR value is not an integer or out of range"},
			{cmd: []string{"SET", "k", "v", "EX", "100000000000"}, want: "OK"},
			{cmd: []string{"TTL", "k"}, want: "100000000000"}, // beyond 2262: no saturation
			{cmd: []string{"EXPIRE", "k", "9223372036854775807"}, want: "(error) ERR invalid expire time in 'expire' command"},
			{cmd: []string{"EXPIRE", "k", "+5"}, want: "(error) ERR value is not an integer or out of range"},
			{cmd: []string{"EXPIRE", "k", "200000000000"}, want: "1"},
			{cmd: []string{"TTL", "k"}, want: "200000000000"},
		}},
		{"mget", []step{
			{cmd: []string{"SET", "a", "1"}, want: "OK"},
			{cmd: []string{"SET", "c", "3"}, want: "OK"},
			{cmd: []string{"MGET", "a", "b", "c"}, want: "[1 (nil) 3]"},
		}},
		{"config get as redis-benchmark asks", []step{
			{cmd: []string{"CONFIG", "GET", "save"}, want: "[save ]"},
			{cmd: []string{"CONFIG", "GET", "appendonly"}, want: "[appendonly no]"},
			{cmd: []string{"CONFIG", "GET", "maxmemory"}, want: "[]"},
			{cmd: []string{"CONFIG", "SET", "save", ""}, want: "(error) ERR only CONFIG GET parameter is supported"},
		}},
		{"unknown command", []step{
			{cmd: []string{"FLY", "to", "the", "moon", "now"}, want: "(error) ERR unknown command 'FLY', with args beginning with: 'to' 'the' 'moon' 'now' "},
			// Redis's rule: arguments until 128 bytes of them, the last cut.
			{cmd: []string{"FLY", strings.Repeat("a", 100), strings.Repeat("b", 100), "c"},
				want: "(error) ERR unknown command 'FLY', with args beginning with: '" + strings.Repeat("a", 100) + "' '" + strings.Repeat("b", 25) + "' "},
			{cmd: []string{strings.Repeat("X", 40)}, want: "(error) ERR unknown command '" + strings.Repeat("X", 40) + "', with args beginning with: "},
			{cmd: []string{"PING"}, want: "PONG"}, // the session goes on
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			session(t, false, func(ctx context.Context, c *client, _ *store) error {
				for i, st := range tt.steps {
					if st.jump != 0 {
						if err := task.Sleep(ctx, st.jump); err != nil {
							return err
						}
						continue
					}
					r, err := c.do(ctx, st.cmd...)
					if err != nil {
						return err
					}
					if r.String() != st.want {
						t.Errorf("step %d %q: %q; want %q", i, st.cmd, r.String(), st.want)
					}
				}
				return nil
			})
		})
	}
}

// Keys that expire and are never looked up again are freed by the expiry
// cycle, on the loop's timers, without any command touching them.
func TestExpiryCycleFreesUntouchedKeys(t *testing.T) {
	session(t, true, func(ctx context.Context, c *client, db *store) error {
		const keys = 5000 // about 80 a shard: several samples each
		for i := range keys {
			c.queue("SET", "k"+strconv.Itoa(i), "v", "PX", "50")
		}
		c.queue("SET", "stays", "v")
		if err := c.send(ctx); err != nil {
			return err
		}
		for range keys + 1 {
			if _, err := c.read(ctx); err != nil {
				return err
			}
		}
		if got := db.size(); got != keys+1 {
			t.Fatalf("%d keys stored; want %d", got, keys+1)
		}
		// Every cycle samples and, while most of a sample was dead, goes
		// on: the first cycle after the deadline frees every expired key.
		if err := task.Sleep(ctx, reapInterval+time.Millisecond); err != nil {
			return err
		}
		if got := db.size(); got != 1 {
			t.Errorf("%d keys stored after the expiry cycle; want 1", got)
		}
		return nil
	})
}
