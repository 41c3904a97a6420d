package task

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"runtime"
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

// A task that blocks its loop on a Go channel is reported while it is
// blocked: its name, the time so far and the line it is stuck on; then
// the total once it yields (before: nothing until it returned).
func TestWatchdogReportsBlockedTaskWhileBlocked(t *testing.T) {
	h := &records{}
	release := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- Run(func(ctx context.Context) error {
			return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
				n.Go(func(ctx context.Context) error {
					blockOnGoChannel(release) // the mistake the watchdog exists for
					return nil
				}, Name("stuck"))
				return nil
			})
		}, WithSlowTask(10*time.Millisecond), WithLogger(slog.New(h)))
	}()
	live := func() string {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, m := range h.msgs {
			if strings.Contains(m, "running=") {
				return m
			}
		}
		return ""
	}
	for deadline := time.Now().Add(10 * time.Second); live() == ""; {
		if time.Now().After(deadline) {
			t.Fatal("no report within 10s while the task blocked the loop")
		}
		runtime.Gosched()
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	msg := live()
	if !strings.Contains(msg, "task=stuck") || !strings.Contains(msg, "state=chan receive") {
		t.Errorf("live report %q: want the task's name and its state", msg)
	}
	// The stack starts at the program's own line, not in the runtime, and
	// ends with the program's frames, not the coroutine machinery below:
	// blockOnGoChannel, then the task's function that called it.
	file, line := funcLine(blockOnGoChannel)
	first := fmt.Sprintf("stack=[0=task.blockOnGoChannel watchdog_test.go:%d 1=task.TestWatchdogReportsBlockedTaskWhileBlocked.func1.1.1.1 watchdog_test.go:", line)
	if !strings.Contains(msg, first) || !strings.Contains(msg, fmt.Sprintf("at=%s:%d ", file, line)) || strings.Contains(msg, "runBody") {
		t.Errorf("live report %q:\nwant its stack to start %q, at its line", msg, first)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var final string
	for _, m := range h.msgs { // a live report may be logged after it
		if strings.Contains(m, "duration=") {
			final = m
		}
	}
	if !strings.Contains(final, "task=stuck") {
		t.Errorf("reports %q: want the total naming the task", h.msgs)
	}
}

//go:noinline
func blockOnGoChannel(c chan struct{}) { <-c }

// funcLine returns where a one-line function is: its file and line.
func funcLine(fn any) (string, int) {
	pc := reflect.ValueOf(fn).Pointer()
	return runtime.FuncForPC(pc).FileLine(pc)
}

// An idle run with no timers does not spin: its loop turns only for the
// work handed to it.
func TestIdleRunStaysIdle(t *testing.T) {
	err := Run(func(ctx context.Context) error {
		var e Event
		tok := CurrentToken(ctx)
		go func() {
			time.Sleep(300 * time.Millisecond) // the idle span measured, not a synchronisation
			tok.Run(func(context.Context) error { e.Set(); return nil })
			tok.Close()
		}()
		start := Statistics(ctx).Loop.Iterations
		if err := e.Wait(ctx); err != nil {
			return err
		}
		if n := Statistics(ctx).Loop.Iterations - start; n > 4 {
			t.Errorf("%d loop iterations in 300ms of idleness", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
