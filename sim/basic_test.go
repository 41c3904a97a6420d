package sim_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/f04742a6/reactor/sim"
	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

func TestEchoLatency(t *testing.T) {
	var trace bytes.Buffer
	err := sim.Run(func(ctx context.Context, w *sim.World) error {
		w.Host("server", echoHost)
		if err := task.Sleep(ctx, time.Millisecond); err != nil { // let it listen
			return err
		}
		t0 := task.Now(ctx)
		c, err := streams.DialTCP(ctx, "server:7")
		if err != nil {
			return err
		}
		defer c.Close()
		if d := task.Now(ctx).Sub(t0); d != 20*time.Millisecond {
			t.Errorf("connect took %v, want one round trip (20ms)", d)
		}
		t0 = task.Now(ctx)
		got, err := roundTrip(ctx, c, []byte("hello"))
		if err != nil {
			return err
		}
		if string(got) != "hello" {
			t.Errorf("echo = %q", got)
		}
		if d := task.Now(ctx).Sub(t0); d != 20*time.Millisecond {
			t.Errorf("round trip took %v, want 20ms", d)
		}
		return nil
	}, sim.Latency(10*time.Millisecond, 10*time.Millisecond), sim.Trace(&trace))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("trace:\n%s", trace.String())
}
