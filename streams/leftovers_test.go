package streams_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// leftoverLog is a slog.Handler that keeps every record as its message
// and its attributes.
type leftoverLog struct {
	mu   sync.Mutex
	recs []map[string]string
}

func (h *leftoverLog) Enabled(context.Context, slog.Level) bool { return true }
func (h *leftoverLog) Handle(_ context.Context, r slog.Record) error {
	rec := map[string]string{"msg": r.Message, "level": r.Level.String()}
	r.Attrs(func(a slog.Attr) bool { rec[a.Key] = a.Value.String(); return true })
	h.mu.Lock()
	h.recs = append(h.recs, rec)
	h.mu.Unlock()
	return nil
}
func (h *leftoverLog) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *leftoverLog) WithGroup(string) slog.Handler      { return h }

// whats returns the "what" of every record, sorted.
func (h *leftoverLog) whats() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var ws []string
	for _, r := range h.recs {
		ws = append(ws, r["what"])
	}
	slices.Sort(ws)
	return ws
}

// countFDs returns how many descriptors the process has open, where the
// system says (/proc/self/fd); ok is false elsewhere.
func countFDs(t *testing.T) (n int, ok bool) {
	t.Helper()
	if runtime.GOOS != "linux" {
		return 0, false
	}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries), true
}

// runLeaving runs main in a Run logging to h and fails the test if it
// fails.
func runLeaving(t *testing.T, h slog.Handler, main func(ctx context.Context) error) {
	t.Helper()
	if err := task.Run(main, task.WithLogger(slog.New(h)), task.WithSignals()); err != nil {
		t.Fatal(err)
	}
}

// checkLeftovers checks that h got one warning per leftover in want (its
// "what": kind and addresses), each saying it was closed, with the fd and
// the task that made it.
func checkLeftovers(t *testing.T, h *leftoverLog, want []string, maker string) {
	t.Helper()
	want = slices.Sorted(slices.Values(want))
	if got := h.whats(); !slices.Equal(got, want) {
		t.Errorf("leftover records name %q; want one for each of %q", got, want)
	}
	for _, r := range h.recs {
		if r["level"] != "WARN" || !strings.Contains(r["msg"], "closed it") || r["fd"] == "" {
			t.Errorf("record %v: want a warning that says it closed it, with the fd", r)
		}
		if !strings.Contains(r["task"], maker) {
			t.Errorf("record %v: want it to name the task that made it (%s)", r, maker)
		}
	}
}

// Streams and sockets left open when Run returns are closed, and each is
// reported once, with what it is, its addresses and the task that made
// it: no descriptor outlives the Run.
func TestLeftoverSocketsAreClosedAndReported(t *testing.T) {
	var want []string
	leave := func(ctx context.Context) error {
		c, s, err := tcpPairSockets(ctx) // closes its listener
		if err != nil {
			return err
		}
		u, err := streams.ListenUDP(ctx, "127.0.0.1:0")
		if err != nil {
			return err
		}
		want = []string{
			fmt.Sprintf("TCP stream %s->%s", c.LocalAddr(), c.RemoteAddr()),
			fmt.Sprintf("TCP stream %s->%s", s.LocalAddr(), s.RemoteAddr()),
			"UDP socket " + u.LocalAddr().String(),
		}
		return nil
	}
	runLeaving(t, slog.DiscardHandler, leave) // warm up
	before, counted := countFDs(t)
	h := &leftoverLog{}
	runLeaving(t, h, leave)
	// The dialled stream is registered by a task of DialTCP's own; the
	// others by main.
	checkLeftovers(t, h, want, "")
	for _, r := range h.recs {
		if r["what"] != want[0] && !strings.Contains(r["task"], "TestLeftoverSocketsAreClosedAndReported") {
			t.Errorf("record %v does not name the task that made it", r)
		}
	}
	if after, _ := countFDs(t); counted && after != before {
		t.Errorf("%d descriptors open after the Run; %d before", after, before)
	}
}

// A listener and a dialled stream left open are closed and reported, each
// naming the task that opened it (DialTCP's caller, not its attempt).
func TestLeftoverListenerIsClosedAndReported(t *testing.T) {
	var want []string
	leave := func(ctx context.Context) error {
		l, err := streams.ListenTCP(ctx, "127.0.0.1:0")
		if err != nil {
			return err
		}
		c, err := streams.DialTCP(ctx, l.Addr().String())
		if err != nil {
			return err
		}
		want = []string{"TCP listener " + l.Addr().String(), fmt.Sprintf("TCP stream %s->%s", c.LocalAddr(), c.RemoteAddr())}
		return nil
	}
	runLeaving(t, slog.DiscardHandler, leave) // warm up
	before, counted := countFDs(t)
	h := &leftoverLog{}
	runLeaving(t, h, leave)
	checkLeftovers(t, h, want, "TestLeftoverListenerIsClosedAndReported")
	if after, _ := countFDs(t); counted && after != before {
		t.Errorf("%d descriptors open after the Run; %d before", after, before)
	}
}

// A stream, listener or socket closed before Run returns is not reported.
func TestLeftoverClosedSocketsAreNotReported(t *testing.T) {
	h := &leftoverLog{}
	runLeaving(t, h, func(ctx context.Context) error {
		c, s, err := tcpPair(ctx) // closes its listener
		if err != nil {
			return err
		}
		u, err := streams.ListenUDP(ctx, "127.0.0.1:0")
		if err != nil {
			return err
		}
		closing := make(chan struct{})
		go func() { c.Close(); close(closing) }() // handed to the loop
		<-closing                                 // blocks the loop a moment: the rest of that Close is still to come
		s.Close()
		u.Close()
		return nil
	})
	if len(h.recs) != 0 {
		t.Errorf("records %v; want none", h.recs)
	}
}

// 100 Runs that each leave a listener and a dialled stream open do not
// grow the process's descriptors.
func TestLeftoversDoNotAccumulateOverRuns(t *testing.T) {
	leave := func(ctx context.Context) error {
		l, err := streams.ListenTCP(ctx, "127.0.0.1:0")
		if err != nil {
			return err
		}
		_, err = streams.DialTCP(ctx, l.Addr().String())
		return err
	}
	if _, counted := countFDs(t); !counted {
		t.Skip("no /proc/self/fd to count descriptors with")
	}
	runLeaving(t, slog.DiscardHandler, leave) // warm up
	before, _ := countFDs(t)
	h := &leftoverLog{}
	for range 100 {
		runLeaving(t, h, leave)
	}
	if after, _ := countFDs(t); after != before {
		t.Errorf("%d descriptors open after 100 Runs; %d before", after, before)
	}
	if len(h.recs) != 200 {
		t.Errorf("%d leftover records; want 200 (a listener and a stream per Run)", len(h.recs))
	}
}

// holdRun runs main in a Run on another goroutine and returns once main
// has run: the Run stays up, holding what main opened, until release is
// called, which waits for the Run to return.
func holdRun(t *testing.T, main func(ctx context.Context) error) (release func()) {
	t.Helper()
	type held struct {
		tok *task.Token
		ev  *task.Event
	}
	up := make(chan held, 1)
	done := make(chan error, 1)
	go func() {
		done <- task.Run(func(ctx context.Context) error {
			if err := main(ctx); err != nil {
				return err
			}
			ev := &task.Event{}
			up <- held{task.CurrentToken(ctx), ev} // buffered: does not block the loop
			return ev.Wait(ctx)
		}, task.WithLogger(slog.New(slog.DiscardHandler)), task.WithSignals())
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

// panicOf returns what fn panics with, as text ("" if it returns).
func panicOf(fn func()) (msg string) {
	defer func() {
		if v := recover(); v != nil {
			msg = fmt.Sprint(v)
		}
	}()
	fn()
	return ""
}

// A stream or datagram socket used from a task of another Run panics,
// naming it, its addresses, and what to do instead, whether its Run still
// runs or has ended; Close is allowed from anywhere, and repeats.
func TestMisuseOfSocketsFromAnotherRun(t *testing.T) {
	var c, s *streams.SocketStream
	var u *streams.DatagramSocket
	release := holdRun(t, func(ctx context.Context) error {
		var err error
		if c, s, err = tcpPairSockets(ctx); err != nil {
			return err
		}
		u, err = streams.ListenUDP(ctx, "127.0.0.1:0")
		return err
	})
	stream := fmt.Sprintf("TCP stream %s->%s", c.LocalAddr(), c.RemoteAddr())
	udp := "UDP socket " + u.LocalAddr().String()
	buf := make([]byte, 8)
	uses := []struct {
		op, what string
		use      func(ctx context.Context)
	}{
		{"Read", stream, func(ctx context.Context) { c.Read(ctx, buf) }},
		{"write", stream, func(ctx context.Context) { c.Write(ctx, buf) }},
		{"close write", stream, func(ctx context.Context) { c.CloseWrite(ctx) }},
		{"ReadFrom", udp, func(ctx context.Context) { u.ReadFrom(ctx, buf) }},
		{"WriteTo", udp, func(ctx context.Context) { u.WriteTo(ctx, buf, netip.MustParseAddrPort("127.0.0.1:9")) }},
	}
	check := func(when string, wants ...string) {
		t.Helper()
		for _, u := range uses {
			var msg string
			runLeaving(t, slog.DiscardHandler, func(ctx context.Context) error {
				msg = panicOf(func() { u.use(ctx) })
				return nil
			})
			head := fmt.Sprintf("streams: %s on %s, made by task ", u.op, u.what)
			for _, want := range append([]string{head}, wants...) {
				if !strings.Contains(msg, want) {
					t.Errorf("%s: %s panics with %q; want it to say %q", when, u.op, msg, want)
				}
			}
		}
	}
	check("while its Run runs", "in another Run, which is still running", "belongs to the Run that made it", "Token")
	runLeaving(t, slog.DiscardHandler, func(ctx context.Context) error {
		if msg := panicOf(func() { s.Close() }); msg != "" {
			t.Errorf("Close from another Run panics: %s", msg)
		}
		return nil
	})
	release()
	check("after its Run ended", "in a Run that has ended", "closes it when it returns", "open it inside this Run", "Token")
	runLeaving(t, slog.DiscardHandler, func(ctx context.Context) error {
		for _, cl := range []func() error{c.Close, c.Close, s.Close, u.Close} {
			if err := cl(); err != nil {
				t.Errorf("Close after the Run: %v", err)
			}
		}
		return nil
	})
	if err := c.Close(); err != nil { // and outside any Run
		t.Errorf("Close outside any Run: %v", err)
	}
}

// A listener used from a task of another Run panics the same way.
func TestMisuseOfListenerFromAnotherRun(t *testing.T) {
	var l *streams.SocketListener
	release := holdRun(t, func(ctx context.Context) error {
		var err error
		l, err = streams.ListenTCP(ctx, "127.0.0.1:0")
		return err
	})
	check := func(when string, wants ...string) {
		t.Helper()
		var msg string
		runLeaving(t, slog.DiscardHandler, func(ctx context.Context) error {
			msg = panicOf(func() { l.Accept(ctx) })
			return nil
		})
		for _, want := range append([]string{"streams: Accept on TCP listener " + l.Addr().String() + ", made by task "}, wants...) {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: Accept panics with %q; want it to say %q", when, msg, want)
			}
		}
	}
	check("while its Run runs", "in another Run, which is still running")
	release()
	check("after its Run ended", "in a Run that has ended")
	if err := l.Close(); err != nil {
		t.Errorf("Close after the Run: %v", err)
	}
}

// tcpPairSockets is tcpPair with the concrete type.
func tcpPairSockets(ctx context.Context) (c, s *streams.SocketStream, err error) {
	l, err := streams.ListenTCP(ctx, "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	defer l.Close()
	if c, err = streams.DialTCP(ctx, l.Addr().String()); err != nil {
		return nil, nil, err
	}
	if s, err = l.AcceptSocket(ctx); err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, s, nil
}
