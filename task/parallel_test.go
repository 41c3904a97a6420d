package task

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// The first failing loop cancels the others; the error is said once.
func TestRunParallelFirstFailureCancelsAll(t *testing.T) {
	boom := errors.New("loop 2 failed")
	var cancelled [4]bool
	err := RunParallel(4, func(ctx context.Context, i int) error {
		if i == 2 {
			return boom
		}
		err := Sleep(ctx, time.Hour)
		cancelled[i] = errors.Is(err, ErrCancelled)
		return err
	})
	if !errors.Is(err, boom) || strings.Count(err.Error(), "loop 2 failed") != 1 {
		t.Errorf("RunParallel = %v; want loop 2's error, once", err)
	}
	for i, c := range cancelled {
		if i != 2 && !c {
			t.Errorf("loop %d was not cancelled", i)
		}
	}
}

// A panic in one loop cancels the others and is re-raised after they end.
func TestRunParallelReraisesPanic(t *testing.T) {
	var others [3]bool
	defer func() {
		v := recover()
		pe, ok := v.(*PanicError)
		if !ok || !strings.Contains(pe.Error(), "loop 1 panics") {
			t.Errorf("recovered %v; want loop 1's panic", v)
		}
		if !others[0] || !others[2] {
			t.Errorf("the other loops had not ended when the panic was re-raised: %v", others)
		}
	}()
	RunParallel(3, func(ctx context.Context, i int) error {
		if i == 1 {
			panic("loop 1 panics")
		}
		defer func() { others[i] = true }()
		return Sleep(ctx, time.Hour)
	})
}

// Loops hand work to each other with a Token: loop 1's task runs a
// function on loop 0 (from a ToThread worker, since Token.Run waits),
// which sends on loop 0's own channel.
func TestRunParallelLoopsHandOffThroughTokens(t *testing.T) {
	type inbox struct {
		tk   *Token
		send *Sender[string]
	}
	handover := make(chan inbox, 1)
	got := ""
	err := RunParallel(2, func(ctx context.Context, i int) error {
		if i == 0 {
			send, recv := NewChannel[string](0)
			tk := CurrentToken(ctx)
			defer tk.Close()
			handover <- inbox{tk, send} // buffered: never blocks the loop
			v, err := recv.Receive(ctx)
			got = v
			return err
		}
		var in inbox
		if err := ToThread(ctx, func(context.Context) error { in = <-handover; return nil }); err != nil {
			return err
		}
		return ToThread(ctx, func(context.Context) error {
			return in.tk.Run(func(ctx context.Context) error { // a task on loop 0
				return in.send.Send(ctx, "from loop 1")
			})
		})
	})
	if err != nil || got != "from loop 1" {
		t.Errorf("RunParallel = %v, loop 0 got %q; want nil, %q", err, got, "from loop 1")
	}
}
