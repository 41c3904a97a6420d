package streams_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// fakeResolver answers every name with the same addresses.
type fakeResolver []netip.Addr

func (f fakeResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	return f, nil
}

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// runMock runs main on an autojumping mock clock.
func runMock(t *testing.T, main func(ctx context.Context) error) {
	t.Helper()
	clock := task.NewMockClock(epoch)
	clock.SetAutojump(0)
	if err := task.Run(main, task.WithClock(clock)); err != nil {
		t.Fatal(err)
	}
}

// scripted is a dial hook: each address connects (to a real listener) or
// fails after its delay on the loop's clock, and records when it started
// and whether it was cancelled.
type scripted struct {
	target  string // a real listener the winners connect to
	delay   map[string]time.Duration
	fail    map[string]bool
	started []string
	at      []time.Duration
	aborted []string
	won     []*streams.SocketStream
}

func (s *scripted) attempt(ctx context.Context, ap netip.AddrPort) (*streams.SocketStream, error) {
	key := ap.Addr().String()
	s.started = append(s.started, key)
	s.at = append(s.at, task.Now(ctx).Sub(epoch))
	if err := task.Sleep(ctx, s.delay[key]); err != nil {
		s.aborted = append(s.aborted, key)
		return nil, err
	}
	if s.fail[key] {
		return nil, fmt.Errorf("scripted failure: %w", syscall.ECONNREFUSED)
	}
	c, err := streams.DialTCP(ctx, s.target)
	if err == nil {
		s.won = append(s.won, c)
	}
	return c, err
}

func TestHappyEyeballs(t *testing.T) {
	v6a, v6b := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	v4a, v4b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	cases := []struct {
		name        string
		addrs       []netip.Addr
		delay       map[string]time.Duration
		fail        map[string]bool
		wantStarted []string
		wantAt      []time.Duration
		wantAborted []string
		wantErr     bool
	}{
		{
			name:        "the first answers at once",
			addrs:       []netip.Addr{v6a, v6b, v4a},
			wantStarted: []string{"2001:db8::1"},
			wantAt:      []time.Duration{0},
		},
		{
			name:        "families alternate and each waits the fallback delay",
			addrs:       []netip.Addr{v6a, v6b, v4a, v4b},
			delay:       map[string]time.Duration{"2001:db8::1": time.Hour, "192.0.2.1": time.Hour, "2001:db8::2": time.Hour, "192.0.2.2": 100 * time.Millisecond},
			wantStarted: []string{"2001:db8::1", "192.0.2.1", "2001:db8::2", "192.0.2.2"},
			wantAt:      []time.Duration{0, 250 * time.Millisecond, 500 * time.Millisecond, 750 * time.Millisecond},
			wantAborted: []string{"2001:db8::1", "192.0.2.1", "2001:db8::2"},
		},
		{
			name:        "a failure starts the next at once",
			addrs:       []netip.Addr{v6a, v4a},
			delay:       map[string]time.Duration{"2001:db8::1": 10 * time.Millisecond},
			fail:        map[string]bool{"2001:db8::1": true},
			wantStarted: []string{"2001:db8::1", "192.0.2.1"},
			wantAt:      []time.Duration{0, 10 * time.Millisecond},
		},
		{
			name:        "a slow first attempt can still win",
			addrs:       []netip.Addr{v6a, v4a},
			delay:       map[string]time.Duration{"2001:db8::1": 300 * time.Millisecond, "192.0.2.1": time.Hour},
			wantStarted: []string{"2001:db8::1", "192.0.2.1"},
			wantAt:      []time.Duration{0, 250 * time.Millisecond},
			wantAborted: []string{"192.0.2.1"},
		},
		{
			name:        "all fail: every cause is joined",
			addrs:       []netip.Addr{v6a, v4a},
			fail:        map[string]bool{"2001:db8::1": true, "192.0.2.1": true},
			wantStarted: []string{"2001:db8::1", "192.0.2.1"},
			wantAt:      []time.Duration{0, 0},
			wantErr:     true,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			runMock(t, func(ctx context.Context) error {
				l, err := streams.ListenTCP(ctx, "127.0.0.1:0")
				if err != nil {
					return err
				}
				defer l.Close()
				s := &scripted{target: l.Addr().String(), delay: c.delay, fail: c.fail}
				conn, err := streams.DialTCP(ctx, "example.test:80",
					streams.WithResolver(fakeResolver(c.addrs)), streams.WithAttempt(s.attempt))
				if c.wantErr {
					if err == nil {
						conn.Close()
						t.Fatal("DialTCP succeeded; want every attempt's failure")
					}
					if !errors.Is(err, syscall.ECONNREFUSED) {
						t.Errorf("error %v does not wrap the attempts' causes", err)
					}
					for _, a := range c.addrs {
						if !strings.Contains(err.Error(), a.String()) {
							t.Errorf("error %q does not name %s", err, a)
						}
					}
				} else if err != nil {
					t.Fatalf("DialTCP: %v", err)
				} else {
					conn.Close()
				}
				if !slices.Equal(s.started, c.wantStarted) {
					t.Errorf("attempts started: %v; want %v", s.started, c.wantStarted)
				}
				if !slices.Equal(s.at, c.wantAt) {
					t.Errorf("attempts started at %v; want %v", s.at, c.wantAt)
				}
				slices.Sort(s.aborted)
				want := slices.Clone(c.wantAborted)
				slices.Sort(want)
				if !slices.Equal(s.aborted, want) {
					t.Errorf("attempts cancelled: %v; want %v", s.aborted, want)
				}
				return nil
			})
		})
	}
}

// Two attempts that both connect: the loser is closed, not leaked.
func TestHappyEyeballsClosesLateWinner(t *testing.T) {
	runMock(t, func(ctx context.Context) error {
		l, err := streams.ListenTCP(ctx, "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer l.Close()
		var made []*streams.SocketStream
		attempt := func(ctx context.Context, ap netip.AddrPort) (*streams.SocketStream, error) {
			// Both connect without a checkpoint in between: the second's
			// result is in the channel when the first wins.
			c, err := streams.ConnectTCP(context.WithoutCancel(ctx), netip.MustParseAddrPort(l.Addr().String()))
			if err == nil {
				made = append(made, c)
			}
			return c, err
		}
		conn, err := streams.DialTCP(ctx, "x.test:1", streams.FallbackDelay(time.Nanosecond),
			streams.WithResolver(fakeResolver{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")}),
			streams.WithAttempt(attempt))
		if err != nil {
			return err
		}
		defer conn.Close()
		for _, c := range made {
			_, werr := c.Write(ctx, []byte("x"))
			if c != conn && !errors.Is(werr, task.ErrClosedResource) {
				t.Errorf("a losing connection is still open (Write: %v)", werr)
			}
		}
		return nil
	})
}

func TestDialRefusedAtOnce(t *testing.T) {
	run(t, func(ctx context.Context) error {
		l, err := streams.ListenTCP(ctx, "127.0.0.1:0")
		if err != nil {
			return err
		}
		addr := l.Addr().String()
		l.Close()
		_, err = streams.DialTCP(ctx, addr)
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("DialTCP to a closed port: %v; want ECONNREFUSED", err)
		}
		if !strings.Contains(err.Error(), addr) {
			t.Errorf("error %q does not name %s", err, addr)
		}
		return nil
	})
}

func TestDialCancelled(t *testing.T) {
	runMock(t, func(ctx context.Context) error {
		var aborted int
		attempt := func(ctx context.Context, ap netip.AddrPort) (*streams.SocketStream, error) {
			err := task.Sleep(ctx, time.Hour)
			aborted++
			return nil, err
		}
		timedOut, err := task.MoveOnAfter(ctx, time.Second, func(ctx context.Context) error {
			_, err := streams.DialTCP(ctx, "x.test:1",
				streams.WithResolver(fakeResolver{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("2001:db8::1")}),
				streams.WithAttempt(attempt))
			return err
		})
		if !timedOut || err != nil {
			t.Errorf("MoveOnAfter around DialTCP = %v, %v; want true, nil", timedOut, err)
		}
		if aborted != 3 {
			t.Errorf("%d attempts ended; want all 3 cancelled", aborted)
		}
		return nil
	})
}
