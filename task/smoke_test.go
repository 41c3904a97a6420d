package task

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func mock() *MockClock {
	c := NewMockClock(epoch)
	c.SetAutojump(0)
	return c
}

func TestSmoke(t *testing.T) {
	clock := mock()
	var log []string
	err := Run(func(ctx context.Context) error {
		return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			for i := range 3 {
				n.Go(func(ctx context.Context) error {
					if err := Sleep(ctx, time.Duration(3-i)*time.Second); err != nil {
						return err
					}
					log = append(log, fmt.Sprint(i, "@", Now(ctx).Sub(epoch)))
					return nil
				})
			}
			timedOut, err := MoveOnAfter(ctx, 10*time.Second, func(ctx context.Context) error {
				return Sleep(ctx, time.Hour)
			})
			log = append(log, fmt.Sprint("moved on ", timedOut, err))
			return nil
		})
	}, WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	t.Log(log)
	if len(log) != 4 || log[0] != "2@1s" || log[3] != "moved on true <nil>" {
		t.Fatalf("log %v", log)
	}
}

func TestSmokeDeadlock(t *testing.T) {
	err := Run(func(ctx context.Context) error {
		return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			n.Go(func(ctx context.Context) error {
				return WaitAllTasksBlocked(ctx) // wakes: then blocks forever below
			})
			w := &waiter{what: "nothing"}
			t, c := current(ctx, "test")
			return t.r.block(ctx, c, t, w, "wait forever")
		})
	})
	if !errors.Is(err, ErrDeadlock) {
		t.Fatalf("got %v", err)
	}
	t.Log(err)
}
