package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Three clients on lockstep memory streams: one stops reading. The other
// two talk, every line arrives, and the silent one is disconnected once
// its queue has stayed full for the stall timeout, instead of stalling
// them for good: they wait for it that long, once.
func TestSlowClientIsDroppedNotWaitedFor(t *testing.T) {
	clock := task.NewMockClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	clock.SetAutojump(0)
	err := task.Run(func(ctx context.Context) error {
		l := streams.NewMemoryListener(0) // lockstep: a client that does not read blocks its writer at once
		r := newRoom(8)
		return task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			n.Go(func(ctx context.Context) error { return streams.Serve(ctx, l, r.serve) })
			var ends [3]streams.Stream
			for i := range ends {
				s, err := l.Dial(ctx)
				if err != nil {
					return err
				}
				ends[i] = s
			}
			a, b, silent := ends[0], ends[1], ends[2]
			defer a.Close()
			defer b.Close()
			defer silent.Close()
			task.WaitAllTasksBlocked(ctx) // all three joined
			start := task.Now(ctx)
			bLines := streams.NewBufferedReader(b, 1024)
			const lines = 100
			for i := range lines {
				if _, err := a.Write(ctx, []byte(fmt.Sprintf("line %d\n", i))); err != nil {
					return err
				}
				// b reads as it goes; silent never does.
				for {
					got, err := bLines.ReadLine(ctx)
					if err != nil {
						return fmt.Errorf("b, waiting for line %d: %w", i, err)
					}
					if string(got) == fmt.Sprintf("guest1: line %d", i) {
						break
					}
				}
			}
			if len(r.members) != 2 {
				t.Errorf("%d members after %d lines; want 2 (the silent one dropped)", len(r.members), lines)
			}
			if d := task.Now(ctx).Sub(start); d != r.stall {
				t.Errorf("%d lines took %v; want %v: one wait for the silent one", lines, d, r.stall)
			}
			// The silent client's stream was closed by the room.
			buf := make([]byte, 64)
			var err error
			for err == nil {
				_, err = silent.Read(ctx, buf)
			}
			if !errors.Is(err, task.ErrClosedResource) && err != io.EOF {
				t.Errorf("the silent client, reading at last: %v; want its connection closed", err)
			}
			n.Cancel()
			return nil
		})
	}, task.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
}
