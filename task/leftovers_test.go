package task

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/f04742a6/reactor/internal/sock"
)

// leftoverOwner is an FDOwner for tests: it closes its PollFD with a
// counted closeFD.
type leftoverOwner struct {
	f        *PollFD
	name     string
	closes   atomic.Int32 // Close calls
	closeFDs atomic.Int32 // closeFD calls: the fd was closed this often
}

func (o *leftoverOwner) String() string { return o.name }
func (o *leftoverOwner) Close() error {
	o.closes.Add(1)
	return o.f.Close(func(fd uintptr) error {
		o.closeFDs.Add(1)
		return sock.Close(fd)
	})
}

// fdOpen reports whether a is still open, by what its peer b reads:
// a byte written to a, or the end of the stream once a is closed.
func fdOpen(t *testing.T, a, b uintptr) bool {
	t.Helper()
	if _, err := sock.Write(a, []byte{'x'}); err != nil {
		return false
	}
	buf := make([]byte, 1)
	n, err := sock.Read(b, buf)
	if err != nil {
		t.Fatalf("reading the peer: %v", err)
	}
	return n == 1
}

// A PollFD with an owner, left open when Run returns, is closed by Run
// through its owner, once, and reported once with what it is and the
// task that made it; an fd closed before is not reported.
func TestLeftoverOwnedPollFDIsClosedAndReported(t *testing.T) {
	a, b, err := sock.Pair()
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close(b)
	c, d := socketPair(t) // closed properly inside the run: no report
	o := &leftoverOwner{name: "test socket 192.0.2.1:7->192.0.2.2:8"}
	h := &records{}
	mustRun(t, func(ctx context.Context) error {
		return WithNursery(ctx, func(ctx context.Context, n *Nursery) error {
			n.Go(func(ctx context.Context) error {
				f, err := RegisterFD(ctx, a)
				if err != nil {
					return err
				}
				f.Own(o)
				o.f = f
				g, err := RegisterFD(ctx, c)
				if err != nil {
					return err
				}
				return g.Close(func(uintptr) error { return nil }) // c stays for the cleanup
			}, Name("opener"))
			return nil
		})
	}, WithLogger(slog.New(h)))
	if got := o.closes.Load(); got != 1 {
		t.Errorf("owner closed %d times by Run; want 1", got)
	}
	if got := o.closeFDs.Load(); got != 1 {
		t.Errorf("fd closed %d times; want 1", got)
	}
	buf := make([]byte, 1)
	if n, err := sock.Read(b, buf); n != 0 || err != nil {
		t.Errorf("the peer reads (%d, %v); want the end of the stream: the fd is closed", n, err)
	}
	if len(h.msgs) != 1 {
		t.Fatalf("records %q; want exactly one", h.msgs)
	}
	for _, want := range []string{"closed it", "what=test socket 192.0.2.1:7->192.0.2.2:8", "task=opener"} {
		if !strings.Contains(h.msgs[0], want) {
			t.Errorf("record %q does not say %q", h.msgs[0], want)
		}
	}
	// Closing after the run is allowed and closes nothing twice.
	if err := o.Close(); err != nil {
		t.Errorf("Close after Run: %v", err)
	}
	if got := o.closeFDs.Load(); got != 1 {
		t.Errorf("fd closed %d times after a second Close; want 1", got)
	}
	if !fdOpen(t, c, d) {
		t.Errorf("an fd closed before Run returned was touched by Run")
	}
}

// A raw registration (RegisterFD without Own) left open is unregistered
// and reported, not closed: the fd is its owner's.
func TestLeftoverRawRegistrationIsReportedNotClosed(t *testing.T) {
	a, b := socketPair(t)
	h := &records{}
	var f *PollFD
	mustRun(t, func(ctx context.Context) error {
		var err error
		f, err = RegisterFD(ctx, a)
		return err
	}, WithLogger(slog.New(h)))
	if len(h.msgs) != 1 {
		t.Fatalf("records %q; want exactly one", h.msgs)
	}
	for _, want := range []string{"unregistered it", "what=fd ", "(RegisterFD)", "task=task.TestLeftoverRawRegistrationIsReportedNotClosed.func1 (leftovers_test.go:"} {
		if !strings.Contains(h.msgs[0], want) {
			t.Errorf("record %q does not say %q", h.msgs[0], want)
		}
	}
	if !fdOpen(t, a, b) {
		t.Fatalf("Run closed a raw registration's fd")
	}
	// The owner may still close it through the PollFD, after the run.
	closed := 0
	if err := f.Close(func(uintptr) error { closed++; return nil }); err != nil || closed != 1 {
		t.Errorf("Close after Run: %v, closeFD ran %d times; want nil, once", err, closed)
	}
}

// A Close handed to the loop from another goroutine that the loop had no
// turn left for (its callback is dropped with the loop) is finished when
// Run returns, and not reported: the user did close it.
func TestLeftoverFinishesACloseHandedOverTooLate(t *testing.T) {
	a, b, err := sock.Pair()
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close(b)
	h := &records{}
	var closes atomic.Int32
	mustRun(t, func(ctx context.Context) error {
		f, err := RegisterFD(ctx, a)
		if err != nil {
			return err
		}
		// What a foreign Close does when its Post lands after the loop's
		// last turn: the callback is queued, and no turn runs it.
		closeFD := func(fd uintptr) error { closes.Add(1); return sock.Close(fd) }
		f.closed.Store(true)
		r := f.run()
		r.posts.add(&posted{fn: func() { f.finishClose(closeFD) }, in: &r.posts})
		return nil
	}, WithLogger(slog.New(h)))
	if got := closes.Load(); got != 1 {
		t.Errorf("closeFD ran %d times; want 1", got)
	}
	if len(h.msgs) != 0 {
		t.Errorf("records %q; want none", h.msgs)
	}
}

// runHolding runs main in a Run on another goroutine and returns once
// main has run: the Run stays up, holding what main made, until release
// is called, which waits for it to return.
func runHolding(t *testing.T, main func(ctx context.Context) error) (release func()) {
	t.Helper()
	type held struct {
		tok *Token
		ev  *Event
	}
	up := make(chan held, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(func(ctx context.Context) error {
			if err := main(ctx); err != nil {
				return err
			}
			ev := &Event{}
			up <- held{CurrentToken(ctx), ev} // buffered: does not block the loop
			return ev.Wait(ctx)
		}, WithLogger(slog.New(slog.DiscardHandler)), WithSignals())
	}()
	var h held
	select {
	case h = <-up:
	case err := <-done:
		t.Fatalf("the holding Run ended early: %v", err)
	}
	return func() {
		h.tok.Run(func(context.Context) error { h.ev.Set(); return nil })
		h.tok.Close()
		if err := <-done; err != nil {
			t.Errorf("the holding Run: %v", err)
		}
	}
}

// A PollFD used from a task of another Run panics, naming the fd, the
// task that made it and what to do instead, whether that Run still runs
// or has ended; Close is allowed from anywhere.
func TestPollFDMisuseFromAnotherRun(t *testing.T) {
	a, _ := socketPair(t)
	o := &leftoverOwner{name: "test socket 192.0.2.1:7"}
	release := runHolding(t, func(ctx context.Context) error {
		f, err := RegisterFD(ctx, a)
		if err != nil {
			return err
		}
		f.Own(o)
		o.f = f
		return nil
	})
	f := o.f
	uses := map[string]func(ctx context.Context){
		"ReadX":        func(ctx context.Context) { f.CheckCancelled(ctx, "ReadX") },
		"WaitReadable": func(ctx context.Context) { f.WaitReadable(ctx, "WaitReadable") },
		"WaitWritable": func(ctx context.Context) { f.WaitWritable(ctx, "WaitWritable") },
	}
	check := func(t *testing.T, when string, wants ...string) {
		t.Helper()
		for op, use := range uses {
			var msg string
			mustRun(t, func(ctx context.Context) error {
				msg = panicText(func() { use(ctx) })
				return nil
			})
			for _, want := range append([]string{"task: " + op + " on test socket 192.0.2.1:7, made by task \"task.runHolding.func1.1 (leftovers_test.go:"}, wants...) {
				if !strings.Contains(msg, want) {
					t.Errorf("%s: %s panics with %q; want it to say %q", when, op, msg, want)
				}
			}
		}
	}
	check(t, "while its Run runs", "in another Run, which is still running", "belongs to the Run that made it", "Token")
	release()
	check(t, "after its Run ended", "in a Run that has ended", "closes it when it returns", "open it inside this Run", "Token")
	mustRun(t, func(ctx context.Context) error {
		if err := o.Close(); err != nil { // Run closed it already: nil, nothing twice
			return err
		}
		return nil
	})
	if got := o.closeFDs.Load(); got != 1 {
		t.Errorf("fd closed %d times; want 1", got)
	}
}
