package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// mockRun runs main on the mock clock, autojumping: a test of timeouts
// that takes no real time.
func mockRun(t *testing.T, main func(ctx context.Context) error) {
	t.Helper()
	clock := task.NewMockClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	clock.SetAutojump(0)
	if err := task.Run(main, task.WithClock(clock)); err != nil {
		t.Fatal(err)
	}
}

// withRoom serves r on a memory listener of size bytes per direction,
// runs body, then stops the server.
func withRoom(ctx context.Context, r *room, size int, body func(ctx context.Context, l *streams.MemoryListener) error) error {
	l := streams.NewMemoryListener(size)
	return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
		n.Go(func(ctx context.Context) error { return streams.Serve(ctx, l, r.serve) })
		err := body(ctx, l)
		n.Cancel()
		return err
	})
}

// readExpecting reads s until it has read all of want, failing at the
// first byte that differs or if the stream ends first.
func readExpecting(ctx context.Context, s interface {
	Read(context.Context, []byte) (int, error)
}, want []byte) error {
	buf := make([]byte, 32<<10)
	got := 0
	for got < len(want) {
		n, err := s.Read(ctx, buf)
		if n > 0 {
			if n > len(want)-got || !bytes.Equal(buf[:n], want[got:got+n]) {
				return fmt.Errorf("after %d bytes, read %.60q; want %.60q", got, buf[:n], want[got:])
			}
			got += n
		}
		if err != nil {
			return fmt.Errorf("after %d of %d bytes: %w", got, len(want), err)
		}
	}
	return nil
}

// drain reads s until it fails, dropping what comes.
func drain(ctx context.Context, s streams.Stream) error {
	buf := make([]byte, 32<<10)
	for {
		if _, err := s.Read(ctx, buf); err != nil {
			return err
		}
	}
}

// The red team's burst: 200 members read, one pastes 20,000 lines in one
// write. Every reader gets every line in order and nobody is
// disconnected: a burst is not a slow client. (Before the policy, the
// room pushed 64 lines into every queue before any writer ran, and all
// 200 were dropped.)
func TestPasteOfTwentyThousandLinesDropsNobody(t *testing.T) {
	const readers, lines = 200, 20000
	var paste, want strings.Builder
	for i := range lines {
		fmt.Fprintf(&paste, "line %d\n", i)
		fmt.Fprintf(&want, "guest1: line %d\n", i)
	}
	mockRun(t, func(ctx context.Context) error {
		r := newRoom(defaultQueue)
		return withRoom(ctx, r, 64<<10, func(ctx context.Context, l *streams.MemoryListener) error {
			sender, err := l.Dial(ctx)
			if err != nil {
				return err
			}
			defer sender.Close()
			ends := make([]streams.Stream, readers)
			for i := range ends {
				if ends[i], err = l.Dial(ctx); err != nil {
					return err
				}
				defer ends[i].Close()
			}
			start := task.Now(ctx)
			err = task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
				n.GoService(func(ctx context.Context) error {
					drain(ctx, sender) // the joins
					return nil
				})
				for i, s := range ends {
					n.Go(func(ctx context.Context) error {
						// Reader i is guest i+2: it sees the later ones
						// join (in any order: joins go out concurrently),
						// then the paste, in order.
						br := streams.NewBufferedReader(s, 4096)
						joins := map[string]bool{}
						for j := i + 3; j <= readers+1; j++ {
							joins[fmt.Sprintf("guest%d joined", j)] = true
						}
						for len(joins) > 0 {
							line, err := br.ReadLine(ctx)
							if err != nil || !joins[string(line)] {
								t.Errorf("reader guest%d: read %q, %v; want one of %d joins", i+2, line, err, len(joins))
								return nil
							}
							delete(joins, string(line))
						}
						if err := readExpecting(ctx, br, []byte(want.String())); err != nil {
							t.Errorf("reader guest%d: %v", i+2, err)
						}
						return nil
					})
				}
				if err := task.WaitAllTasksBlocked(ctx); err != nil { // everyone joined
					return err
				}
				_, err := sender.Write(ctx, []byte(paste.String()))
				return err
			})
			if err != nil {
				return err
			}
			if len(r.members) != readers+1 {
				t.Errorf("%d members after the paste; want %d: nobody dropped", len(r.members), readers+1)
			}
			if d := task.Now(ctx).Sub(start); d != 0 {
				t.Errorf("the paste took %v of the loop's clock; want 0 (nobody waited for a stall timeout)", d)
			}
			sender.Close()
			return nil
		})
	})
}

// A member that stops reading entirely is disconnected once its queue
// has stayed full for the stall timeout, exactly then on the loop's
// clock; until then the sender waits for it (backpressure), and the
// reader that keeps up gets every line.
func TestStoppedReaderIsDroppedAfterStall(t *testing.T) {
	const lines = 300
	mockRun(t, func(ctx context.Context) error {
		r := newRoom(defaultQueue)
		// Lockstep streams: the silent member's writer blocks at its first
		// line, and its queue fills behind it.
		return withRoom(ctx, r, 0, func(ctx context.Context, l *streams.MemoryListener) error {
			var ends [3]streams.Stream
			for i := range ends {
				s, err := l.Dial(ctx)
				if err != nil {
					return err
				}
				defer s.Close()
				ends[i] = s
			}
			sender, reader, silent := ends[0], ends[1], ends[2]
			task.WaitAllTasksBlocked(ctx)
			start := task.Now(ctx)
			var firstAt, lastAt time.Duration
			err := task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
				n.GoService(func(ctx context.Context) error {
					drain(ctx, sender) // the joins
					return nil
				})
				n.Go(func(ctx context.Context) error {
					for i := range lines {
						if _, err := sender.Write(ctx, []byte(fmt.Sprintf("line %d\n", i))); err != nil {
							return err
						}
					}
					return nil
				})
				lr := streams.NewBufferedReader(reader, 4096)
				for {
					line, err := lr.ReadLine(ctx)
					if err != nil {
						return fmt.Errorf("the reader: %w", err)
					}
					if string(line) == "guest1: line 0" {
						firstAt = task.Now(ctx).Sub(start)
					}
					if string(line) == fmt.Sprintf("guest1: line %d", lines-1) {
						lastAt = task.Now(ctx).Sub(start)
						return nil
					}
				}
			})
			if err != nil {
				return err
			}
			if firstAt != 0 || lastAt != defaultStall {
				t.Errorf("the reader got the first line after %v, the last after %v; want 0 and %v (the sender waited for the silent member until it was dropped)",
					firstAt, lastAt, defaultStall)
			}
			if len(r.members) != 2 {
				t.Errorf("%d members; want 2 (the silent one dropped)", len(r.members))
			}
			// The silent member finds its connection closed once it reads
			// what was in flight.
			if err := drain(ctx, silent); err != io.EOF && !errors.Is(err, task.ErrClosedResource) && !errors.Is(err, task.ErrBrokenResource) {
				t.Errorf("the silent member, reading at last: %v; want its connection closed", err)
			}
			return nil
		})
	})
}

// A member that reads slowly but steadily (16 bytes every 100 ms, about
// ten lines a second) while another pastes 1,000 lines stays: its queue
// is full the whole time, but it takes lines from it well within the
// stall timeout. The sender goes at its pace.
func TestSlowSteadyReaderStays(t *testing.T) {
	const lines = 1000
	mockRun(t, func(ctx context.Context) error {
		r := newRoom(defaultQueue)
		return withRoom(ctx, r, 0, func(ctx context.Context, l *streams.MemoryListener) error {
			sender, err := l.Dial(ctx)
			if err != nil {
				return err
			}
			defer sender.Close()
			slow, err := l.Dial(ctx)
			if err != nil {
				return err
			}
			defer slow.Close()
			task.WaitAllTasksBlocked(ctx)
			var want bytes.Buffer
			for i := range lines {
				fmt.Fprintf(&want, "guest1: line %d\n", i)
			}
			start := task.Now(ctx)
			err = task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
				n.GoService(func(ctx context.Context) error {
					drain(ctx, sender)
					return nil
				})
				n.Go(func(ctx context.Context) error {
					for i := range lines {
						if _, err := sender.Write(ctx, []byte(fmt.Sprintf("line %d\n", i))); err != nil {
							return err
						}
					}
					return nil
				})
				buf := make([]byte, 16)
				for got := 0; got < want.Len(); {
					if err := task.Sleep(ctx, 100*time.Millisecond); err != nil {
						return err
					}
					k, err := slow.Read(ctx, buf)
					if k > 0 && !bytes.Equal(buf[:k], want.Bytes()[got:got+k]) {
						return fmt.Errorf("the slow reader, after %d bytes: %q", got, buf[:k])
					}
					got += k
					if err != nil {
						return fmt.Errorf("the slow reader, after %d of %d bytes (%v): %w", got, want.Len(), task.Now(ctx).Sub(start), err)
					}
				}
				return nil
			})
			if err != nil {
				t.Error(err)
			}
			if len(r.members) != 2 {
				t.Errorf("%d members; want 2 (the slow reader kept)", len(r.members))
			}
			return nil
		})
	})
}

// A member's fair share: while one member pastes 5,000 lines, another's
// single line reaches every reader after at most what was already on its
// way to that reader (its stream's buffer, its writer's batch, its queue,
// the paster's current message), not after the whole paste.
func TestOneLineIsNotStuckBehindAPaste(t *testing.T) {
	const readers, lines, size = 10, 5000, 4096
	var paste bytes.Buffer
	for i := range lines {
		fmt.Fprintf(&paste, "line %d\n", i)
	}
	// What may be ahead of the line at a reader: the stream's buffer
	// (lines are at least 15 bytes), a batch and a queue of lines, the
	// paster's message; and the paster may be as far ahead of the reader
	// that triggers the line.
	const inFlight = size/15 + 2*defaultQueue + turnLines
	const sentAt = 1000
	mockRun(t, func(ctx context.Context) error {
		r := newRoom(defaultQueue)
		return withRoom(ctx, r, size, func(ctx context.Context, l *streams.MemoryListener) error {
			var ends [readers + 2]streams.Stream
			for i := range ends {
				s, err := l.Dial(ctx)
				if err != nil {
					return err
				}
				defer s.Close()
				ends[i] = s
			}
			paster, talker := ends[0], ends[1]
			task.WaitAllTasksBlocked(ctx)
			var sayHello task.Event
			return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
				n.GoService(func(ctx context.Context) error { drain(ctx, paster); return nil })
				n.GoService(func(ctx context.Context) error { drain(ctx, talker); return nil })
				n.Go(func(ctx context.Context) error {
					_, err := paster.Write(ctx, paste.Bytes())
					return err
				})
				n.Go(func(ctx context.Context) error {
					if err := sayHello.Wait(ctx); err != nil {
						return err
					}
					_, err := talker.Write(ctx, []byte("hello\n"))
					return err
				})
				for i, s := range ends[2:] {
					n.Go(func(ctx context.Context) error {
						br := streams.NewBufferedReader(s, 4096)
						next, helloAt := 0, -1
						for next < lines || helloAt < 0 {
							line, err := br.ReadLine(ctx)
							if err != nil {
								return fmt.Errorf("reader %d, after paste line %d: %w", i, next, err)
							}
							switch {
							case string(line) == "guest2: hello":
								helloAt = next
							case string(line) == fmt.Sprintf("guest1: line %d", next):
								if next++; next == sentAt && i == 0 {
									sayHello.Set()
								}
							case strings.HasSuffix(string(line), " joined"):
							default:
								return fmt.Errorf("reader %d, after paste line %d: %q", i, next, line)
							}
						}
						if helloAt > sentAt+2*inFlight {
							t.Errorf("reader %d got the line after paste line %d; want before %d", i, helloAt, sentAt+2*inFlight)
						}
						if i == 0 {
							t.Logf("reader 0 got the line after paste line %d (sent after line %d)", helloAt, sentAt)
						}
						return nil
					})
				}
				return nil
			})
		})
	})
}
