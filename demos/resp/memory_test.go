package main

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// liveHeap returns the bytes of live heap after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// After a large request, an idle connection holds about what a fresh one
// does: its read buffer and its argument slice go back to their small
// size (a reused argument slice used to keep the grown buffer alive: 40
// idle connections after a 4 MiB SET each held 384 MB).
func TestIdleConnectionsGiveMemoryBack(t *testing.T) {
	var c client
	c.queue("SET", "k", strings.Repeat("v", 4<<20)) // one key: the store holds one value
	grown := idleHeap(t, 40, c.out, "+OK\r\n")
	t.Logf("40 idle connections after a 4 MiB SET each: live heap grew by %.1f MB", float64(grown)/1e6)
	if grown > 20e6 {
		t.Errorf("40 idle connections after a 4 MiB SET each hold %.1f MB of live heap; want at most 20 MB", float64(grown)/1e6)
	}
}

// The same after a request of a million arguments (7.3 MB): its
// arguments' slices go too (each such connection used to keep 39 MB).
func TestIdleAfterAMillionArguments(t *testing.T) {
	grown := idleHeap(t, 4, delRequest(maxArgs-1), ":0\r\n")
	t.Logf("4 idle connections after a DEL of %d keys each: live heap grew by %.1f MB", maxArgs-1, float64(grown)/1e6)
	if grown > 10e6 {
		t.Errorf("4 idle connections after a DEL of %d keys each hold %.1f MB of live heap; want at most 10 MB", maxArgs-1, float64(grown)/1e6)
	}
}

// idleHeap opens conns connections to a server, sends req on each and
// reads the reply, want; then, with every connection idle, it returns
// how much the live heap grew.
func idleHeap(t *testing.T, conns int, req []byte, want string) int64 {
	t.Helper()
	var before, after uint64
	err := task.Run(func(ctx context.Context) error {
		srv := &server{db: newStore()}
		l := streams.NewMemoryListener(4 << 10)
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error { return streams.Serve(ctx, l, srv.serveConn) })
			before = liveHeap()
			for range conns {
				s, err := l.Dial(ctx)
				if err != nil {
					return err
				}
				defer s.Close()
				if _, err := s.Write(ctx, req); err != nil {
					return err
				}
				got := make([]byte, len(want))
				if _, err := s.Read(ctx, got); err != nil || string(got) != want {
					t.Errorf("reply %q, %v; want %q", got, err, want)
				}
			}
			if err := task.WaitAllTasksBlocked(ctx); err != nil {
				return err
			}
			after = liveHeap()
			n.Cancel()
			return nil
		})
	}, task.WithSlowTask(0))
	if err != nil {
		t.Fatal(err)
	}
	return int64(after) - int64(before)
}

// serveMemory runs srv on a memory listener (each direction of a
// connection buffering size bytes) on the mock clock, autojumping, and
// body as the clients.
func serveMemory(t *testing.T, srv *server, size int, body func(ctx context.Context, l *streams.MemoryListener) error) {
	t.Helper()
	clock := task.NewMockClock(epoch)
	clock.SetAutojump(0)
	err := task.Run(func(ctx context.Context) error {
		l := streams.NewMemoryListener(size)
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error { return streams.Serve(ctx, l, srv.serveConn) })
			err := body(ctx, l)
			n.Cancel()
			return err
		})
	}, task.WithClock(clock), task.WithSlowTask(0))
	if err != nil {
		t.Fatal(err)
	}
}

// waitClosed reads s until the server closes it and returns when that
// was, on the loop's clock.
func waitClosed(ctx context.Context, s streams.Stream) (time.Time, error) {
	_, err := readAll(ctx, s)
	return task.Now(ctx), err
}

// With -timeout, a connection that does nothing for that long is closed,
// at exactly that time; one that trickles a request, or reads a long
// reply slowly, is making progress and stays.
func TestIdleTimeout(t *testing.T) {
	const timeout = 10 * time.Second
	srv := &server{db: newStore(), timeout: timeout}
	big := strings.Repeat("v", 1<<20)
	serveMemory(t, srv, 64<<10, func(ctx context.Context, l *streams.MemoryListener) error {
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error { // silent from the start
				s, err := l.Dial(ctx)
				if err != nil {
					return err
				}
				defer s.Close()
				start := task.Now(ctx)
				at, err := waitClosed(ctx, s)
				if err != nil || at.Sub(start) != timeout {
					t.Errorf("a silent connection was closed after %v (%v); want %v", at.Sub(start), err, timeout)
				}
				return nil
			})
			n.Go(func(ctx context.Context) error { // a request a byte every 6 s, then silence
				s, err := l.Dial(ctx)
				if err != nil {
					return err
				}
				defer s.Close()
				for _, b := range []byte("*1\r\n$4\r\nPING\r\n") {
					if err := task.Sleep(ctx, 6*time.Second); err != nil {
						return err
					}
					if _, err := s.Write(ctx, []byte{b}); err != nil {
						t.Errorf("a trickling client: %v", err)
						return nil
					}
				}
				last := task.Now(ctx)
				got, err := readAll(ctx, s)
				if at := task.Now(ctx); err != nil || got != "+PONG\r\n" || at.Sub(last) != timeout {
					t.Errorf("a trickling client got %q (%v), closed %v after its last byte; want +PONG, closed after %v", got, err, at.Sub(last), timeout)
				}
				return nil
			})
			n.Go(func(ctx context.Context) error { // reads a 1 MiB reply 64 KiB every 6 s
				s, err := l.Dial(ctx)
				if err != nil {
					return err
				}
				defer s.Close()
				c := newClient(s, 64)
				c.queue("SET", "big", big)
				c.queue("GET", "big")
				if err := c.send(ctx); err != nil {
					return err
				}
				var got []byte
				buf := make([]byte, 64<<10)
				for len(got) < len("+OK\r\n$1048576\r\n")+len(big)+2 {
					if err := task.Sleep(ctx, 6*time.Second); err != nil {
						return err
					}
					k, err := s.Read(ctx, buf)
					if err != nil {
						t.Errorf("a slow reader, after %d bytes of its reply: %v", len(got), err)
						return nil
					}
					got = append(got, buf[:k]...)
				}
				if want := "+OK\r\n$1048576\r\n" + big + "\r\n"; string(got) != want {
					t.Errorf("a slow reader got %d bytes, not the reply", len(got))
				}
				return nil
			})
			return nil
		})
	})
}

// The server-wide bound: requests not yet complete hold at most that
// many bytes beyond each connection's own buffer. A request that would
// pass it is refused and its connection closed; small requests go on, and
// what a request held is given back when it has run or its connection
// ends.
func TestPendingBound(t *testing.T) {
	srv := &server{db: newStore()}
	srv.pending.limit = 3 << 20
	value := strings.Repeat("v", 2<<20)
	var setReq client
	setReq.queue("SET", "k", value)
	half := setReq.out[:1<<20] // a SET of 2 MiB, half sent
	serveMemory(t, srv, 64<<10, func(ctx context.Context, l *streams.MemoryListener) error {
		a, err := l.Dial(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		if _, err := a.Write(ctx, half); err != nil {
			return err
		}
		if err := task.WaitAllTasksBlocked(ctx); err != nil {
			return err
		}
		if used := srv.pending.used.Load(); used < 2<<20-readSize || used > 3<<20 {
			t.Errorf("a half-sent 2 MiB SET holds %d bytes of the bound; want about 2 MiB", used)
		}

		b, err := l.Dial(ctx)
		if err != nil {
			return err
		}
		defer b.Close()
		task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error {
				b.Write(ctx, setReq.out) // fails once the server closes
				return nil
			})
			got, err := readAll(ctx, b)
			if want := "-ERR Protocol error: unfinished requests would hold more than the server's limit of 3145728 bytes\r\n"; err != nil || got != want {
				t.Errorf("a second 2 MiB SET: the server sent %q, %v; want %q then EOF", got, err, want)
			}
			return nil
		})

		c, err := l.Dial(ctx)
		if err != nil {
			return err
		}
		defer c.Close()
		if r, err := newClient(c, 64).do(ctx, "PING"); err != nil || r.str != "PONG" {
			t.Errorf("PING while the bound is taken: %v, %v", r, err)
		}

		if _, err := a.Write(ctx, setReq.out[len(half):]); err != nil {
			return err
		}
		if r, err := newClient(a, 64).read(ctx); err != nil || r.str != "OK" {
			t.Errorf("the first SET, completed: %v, %v", r, err)
		}
		if err := task.WaitAllTasksBlocked(ctx); err != nil {
			return err
		}
		if used := srv.pending.used.Load(); used != 0 {
			t.Errorf("after the large request ran, %d bytes are still charged; want 0", used)
		}
		if r, err := newClient(c, 64).do(ctx, "SET", "k2", value); err != nil || r.str != "OK" {
			t.Errorf("a 2 MiB SET once the bound is free: %v, %v", r, err)
		}
		return nil
	})
	if used := srv.pending.used.Load(); used != 0 {
		t.Errorf("with every connection closed, %d bytes are still charged; want 0", used)
	}
}
