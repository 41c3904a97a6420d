package bench

import (
	"log/slog"
	"testing"

	"github.com/f04742a6/reactor/loop"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func noop() {}

// newLoop returns a loop closed when the benchmark ends. The watchdog is
// quiet: a benchmark that runs b.N operations in one callback is slow on
// purpose.
func newLoop(b *testing.B, opts ...loop.Option) *loop.Loop {
	b.Helper()
	opts = append([]loop.Option{loop.WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	l, err := loop.New(opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	return l
}

func runLoop(b *testing.B, l *loop.Loop) {
	b.Helper()
	if err := l.Run(); err != nil {
		b.Fatal(err)
	}
}
