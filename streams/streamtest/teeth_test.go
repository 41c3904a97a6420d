package streamtest_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/streams/streamtest"
	"github.com/f04742a6/reactor/task"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The battery passes on a correct stream...
func TestMemoryPairPasses(t *testing.T) {
	streamtest.CheckHalfCloseable(t, wrapped(nil), wrapped(nil))
}

// ...and must fail on each deliberately broken wrapper. Each runs in a
// child test process (a failing battery fails its *testing.T), and the
// case that must catch it is named.
func TestBatteryHasTeeth(t *testing.T) {
	cases := []struct{ broken, caughtBy string }{
		{"zero-read", "Read returned (0, nil)"},
		{"no-busy", "SecondReaderIsBusy"},
		{"drop-last", "GracefulCloseDeliversEverything"},
		{"close-no-wake", "CloseWakesBlockedReader"},
	}
	for _, c := range cases {
		t.Run(c.broken, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenWrapper$", "-test.v")
			cmd.Env = append(os.Environ(), "STREAMTEST_BROKEN="+c.broken)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the battery passed a stream broken by %q:\n%s", c.broken, out)
			}
			if !strings.Contains(string(out), c.caughtBy) {
				t.Errorf("the battery failed, but not in %s:\n%s", c.caughtBy, out)
			}
		})
	}
}

// TestBrokenWrapper runs the battery on the wrapper STREAMTEST_BROKEN
// names; only TestBatteryHasTeeth runs it.
func TestBrokenWrapper(t *testing.T) {
	name := os.Getenv("STREAMTEST_BROKEN")
	if name == "" {
		t.Skip("run by TestBatteryHasTeeth in a child process")
	}
	breakWith := map[string]func(s *broken){
		"zero-read":     func(s *broken) { s.zeroRead = true },
		"no-busy":       func(s *broken) { s.noBusy = true },
		"drop-last":     func(s *broken) { s.dropLast = true },
		"close-no-wake": func(s *broken) { s.closeNoWake = true },
	}[name]
	streamtest.CheckHalfCloseable(t, wrapped(breakWith), wrapped(breakWith))
}

// wrapped makes MemoryPair(0) ends wrapped in broken (broken in the ways
// breakWith sets; nil: not at all).
func wrapped(breakWith func(*broken)) streamtest.Pair {
	return func(ctx context.Context) (streams.Stream, streams.Stream, error) {
		a, b := streams.MemoryPair(0)
		wa, wb := &broken{MemoryStream: a}, &broken{MemoryStream: b}
		if breakWith != nil {
			breakWith(wa)
			breakWith(wb)
		}
		return wa, wb, nil
	}
}

// broken is a MemoryStream with one of the faults a battery must catch.
type broken struct {
	*streams.MemoryStream
	zeroRead    bool // every other Read returns (0, nil)
	flip        bool
	noBusy      bool      // a second reader waits its turn instead of failing
	readers     task.Lock // for noBusy
	dropLast    bool      // each Write's bytes go out with the next; Close drops the last
	held        []byte
	closeNoWake bool // Close does not wake a blocked reader
	closed      bool
}

func (s *broken) Read(ctx context.Context, p []byte) (int, error) {
	if s.closeNoWake && s.closed {
		return 0, task.ErrClosedResource
	}
	if s.zeroRead && len(p) > 0 {
		if s.flip = !s.flip; s.flip {
			return 0, nil
		}
	}
	if s.noBusy {
		if err := s.readers.Lock(ctx); err != nil {
			return 0, err
		}
		defer s.readers.Unlock()
	}
	return s.MemoryStream.Read(ctx, p)
}

func (s *broken) Write(ctx context.Context, p []byte) (int, error) {
	if !s.dropLast {
		return s.MemoryStream.Write(ctx, p)
	}
	if len(s.held) > 0 {
		if _, err := s.MemoryStream.Write(ctx, s.held); err != nil {
			return 0, err
		}
	}
	s.held = append(s.held[:0], p...)
	return len(p), nil
}

func (s *broken) Close() error {
	if s.closeNoWake {
		s.closed = true
		return nil
	}
	return s.MemoryStream.Close()
}
