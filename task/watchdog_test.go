package task

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

type records struct {
	mu   sync.Mutex
	msgs []string
}

func (h *records) Enabled(context.Context, slog.Level) bool { return true }
func (h *records) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	line := r.Message
	r.Attrs(func(a slog.Attr) bool { line += " " + a.Key + "=" + a.Value.String(); return true })
	h.msgs = append(h.msgs, line)
	return nil
}
func (h *records) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *records) WithGroup(string) slog.Handler      { return h }

func TestWatchdogNamesSlowTask(t *testing.T) {
	h := &records{}
	clock := NewMockClock(epoch)
	err := Run(func(ctx context.Context) error {
		return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			n.Go(func(ctx context.Context) error {
				clock.Jump(150 * time.Millisecond) // "works" without a checkpoint
				return nil
			}, Name("hog"))
			n.Go(func(ctx context.Context) error { clock.Jump(50 * time.Millisecond); return nil }, Name("fine"))
			return nil
		})
	}, WithClock(clock), WithLogger(slog.New(h)))
	if err != nil {
		t.Fatal(err)
	}
	if len(h.msgs) != 1 || !strings.Contains(h.msgs[0], "task=hog") || !strings.Contains(h.msgs[0], "duration=150ms") {
		t.Fatalf("reports %q; want one naming hog", h.msgs)
	}
}

func TestWatchdogNamesTaskIgnoringCancellation(t *testing.T) {
	h := &records{}
	err := Run(func(ctx context.Context) error {
		return WithScope(ctx, func(ctx context.Context, s *Scope) error {
			s.Cancel()
			for range 2000 {
				Checkpoint(ctx) // the error is ignored: a bug the watchdog reports
			}
			return nil
		})
	}, WithLogger(slog.New(h)), WithClock(NewMockClock(epoch)))
	if err != nil {
		t.Fatal(err)
	}
	if len(h.msgs) != 1 || !strings.Contains(h.msgs[0], "after they returned ErrCancelled") || !strings.Contains(h.msgs[0], "TestWatchdogNamesTaskIgnoringCancellation") {
		t.Fatalf("reports %q", h.msgs)
	}
}

// The fairness budget: a task whose operations all complete at once still
// yields at least every fairnessBudget operations.
func TestFairnessBudget(t *testing.T) {
	mustRun(t, func(ctx context.Context) error {
		var log []byte
		return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			n.Go(func(ctx context.Context) error {
				for range 3 * fairnessBudget {
					if err := Sleep(ctx, -1); err != nil { // a Checkpoint: always yields
						return err
					}
					log = append(log, 'a')
				}
				return nil
			})
			n.Go(func(ctx context.Context) error {
				tk, c := current(ctx, "test")
				for range 3 * fairnessBudget {
					if err := tk.r.checkpoint(ctx, c, tk, "immediate op"); err != nil {
						return err
					}
					log = append(log, 'b')
				}
				return nil
			})
			WaitAllTasksBlocked(ctx)
			run := 0
			for i := range log {
				if log[i] == 'b' {
					if run++; run > fairnessBudget {
						t.Errorf("%d immediate operations in a row without yielding", run)
						break
					}
				} else {
					run = 0
				}
			}
			return nil
		})
	})
}

// Every transition is visible to instruments, and only legal ones happen.
func TestInstrumentSeesTransitions(t *testing.T) {
	var seen []string
	in := func(tk *Task, from, to State) {
		if tk.Name() == "child" {
			seen = append(seen, from.String()+">"+to.String())
		}
	}
	mustRun(t, func(ctx context.Context) error {
		err := WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			n.Go(func(ctx context.Context) error { return Sleep(ctx, time.Second) }, Name("child"))
			return nil
		})
		st := Statistics(ctx)
		expect(t, st.Tasks == 2 && st.Live == 1 && st.Switches >= 3, "stats %+v", st)
		return err
	}, WithInstrument(in))
	want := "new>runnable runnable>running running>blocked blocked>runnable runnable>running running>done"
	if got := strings.Join(seen, " "); got != want {
		t.Fatalf("transitions\n got %s\nwant %s", got, want)
	}
}
