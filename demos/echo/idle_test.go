package main

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// idleSession runs echoConn with an idle time of a minute on one end of
// a memory pair of 4 KiB, on the mock clock, and client on the other; it
// returns echoConn's error and when it returned.
func idleSession(t *testing.T, client func(ctx context.Context, peer streams.Stream)) (servedFor time.Duration, served error) {
	t.Helper()
	clock := task.NewMockClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	clock.SetAutojump(0)
	err := task.Run(func(ctx context.Context) error {
		a, b := streams.MemoryPair(4096)
		start := task.Now(ctx)
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error {
				defer a.Close()
				served = echoConn(ctx, a, time.Minute)
				servedFor = task.Now(ctx).Sub(start)
				return nil
			})
			defer b.Close()
			client(ctx, b)
			return nil
		})
	}, task.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	return servedFor, served
}

// A client that sends nothing is closed after exactly the idle time,
// without the goodbye (that is for shutdown).
func TestSilentClientClosedAtIdle(t *testing.T) {
	at, served := idleSession(t, func(ctx context.Context, peer streams.Stream) {
		if got, err := io.ReadAll(streamReader{ctx, peer}); len(got) != 0 || err != nil {
			t.Errorf("a silent client read %q, %v; want nothing, then EOF", got, err)
		}
	})
	if at != time.Minute || served != nil {
		t.Errorf("closed after %v with %v; want 1m0s and nil", at, served)
	}
}

// A client that talks every 50 s stays; once silent, it is closed one
// idle time after its last echo.
func TestTalkerStaysSilenceCloses(t *testing.T) {
	at, _ := idleSession(t, func(ctx context.Context, peer streams.Stream) {
		for i := range 3 {
			if err := task.Sleep(ctx, 50*time.Second); err != nil {
				t.Error(err)
				return
			}
			if _, err := peer.Write(ctx, []byte{'a' + byte(i)}); err != nil {
				t.Errorf("write %d: %v; want the connection open", i, err)
				return
			}
			if _, err := peer.Read(ctx, make([]byte, 1)); err != nil {
				t.Errorf("echo %d: %v", i, err)
				return
			}
		}
		if k, err := peer.Read(ctx, make([]byte, 1)); k != 0 || err != io.EOF {
			t.Errorf("after the talk: %d, %v; want EOF", k, err)
		}
	})
	if want := 150*time.Second + time.Minute; at != want {
		t.Errorf("closed after %v; want %v (the last echo plus the idle time)", at, want)
	}
}

// A client that sends and never takes its echo holds the server's write:
// that is no progress either, and it is closed one idle time after the
// last write that completed (the memory pair holds 4 KiB each way).
func TestClientThatDoesNotReadClosedAtIdle(t *testing.T) {
	at, served := idleSession(t, func(ctx context.Context, peer streams.Stream) {
		task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error {
				peer.Write(ctx, make([]byte, 256<<10)) // fails once the server closes
				return nil
			})
			return task.Sleep(ctx, 2*time.Minute) // and read nothing meanwhile
		})
		got, err := io.ReadAll(streamReader{ctx, peer})
		if err != nil || len(got) == 0 || len(got) > 4096 {
			t.Errorf("the client read %d bytes, %v; want what fit in the pair's 4 KiB, then EOF", len(got), err)
		}
	})
	if at != time.Minute || served != nil {
		t.Errorf("closed after %v with %v; want 1m0s and nil", at, served)
	}
}

// streamReader is an io.Reader of a stream, for io.ReadAll.
type streamReader struct {
	ctx context.Context
	s   streams.Stream
}

func (r streamReader) Read(p []byte) (int, error) { return r.s.Read(r.ctx, p) }
