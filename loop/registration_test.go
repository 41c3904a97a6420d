package loop

import (
	"errors"
	"strings"
	"testing"

	"github.com/f04742a6/reactor"
	"github.com/f04742a6/reactor/internal/sock"
)

// TestRegisterReportsEdgesAndKeepsReadiness: a registration starts ready
// in both directions; once consumed, notify hears each new edge, and Ready
// reads the poller's record until the bits are consumed again.
func TestRegisterReportsEdgesAndKeepsReadiness(t *testing.T) {
	l := newLoop(t)
	a, b := pair(t)
	var heard []reactor.Ready
	g, err := l.Register(a, func(r reactor.Ready) {
		heard = append(heard, r)
		if r&reactor.Readable != 0 {
			l.Stop()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := g.Ready(); got != reactor.Readable|reactor.Writable {
		t.Fatalf("fresh registration: %v, want readable|writable", got)
	}
	g.Consume(reactor.Readable | reactor.Writable)
	if got := g.Ready(); got != 0 {
		t.Fatalf("after Consume: %v, want none", got)
	}
	l.CallSoon(func() { sock.Write(b, []byte("x")) })
	run(t, l)
	var all reactor.Ready
	for _, r := range heard {
		all |= r
	}
	if all&(reactor.Readable|reactor.Writable) != reactor.Readable|reactor.Writable {
		t.Fatalf("notify heard %v, want readable and writable", heard)
	}
	if got := g.Ready(); got != reactor.Readable|reactor.Writable {
		t.Fatalf("Ready after the events: %v, want readable|writable", got)
	}
	g.Consume(reactor.Readable)
	if got := g.Ready(); got != reactor.Writable {
		t.Fatalf("Ready after Consume(readable): %v, want writable", got)
	}
}

// TestRegisterIsTheOneWatch: an fd is watched one way at a time, whoever
// asks first; closing the registration frees it for the other.
func TestRegisterIsTheOneWatch(t *testing.T) {
	l := newLoop(t)
	a, _ := pair(t)
	noop := func(reactor.Ready) {}
	g, err := l.Register(a, noop)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Register(a, noop); !errors.Is(err, reactor.ErrRegistered) {
		t.Fatalf("second Register: %v, want ErrRegistered", err)
	}
	err = l.AddReader(a, func() {})
	if !errors.Is(err, reactor.ErrRegistered) || !strings.Contains(err.Error(), "by Register") {
		t.Fatalf("AddReader on a registered fd: %v, want ErrRegistered naming Register", err)
	}
	g.Close()
	g.Close() // harmless
	if err := l.AddReader(a, func() {}); err != nil {
		t.Fatalf("AddReader after Close: %v", err)
	}
	_, err = l.Register(a, noop)
	if !errors.Is(err, reactor.ErrRegistered) || !strings.Contains(err.Error(), "AddReader") {
		t.Fatalf("Register of a watched fd: %v, want ErrRegistered naming AddReader", err)
	}
	l.RemoveReader(a)
	if _, err := l.Register(a, noop); err != nil {
		t.Fatalf("Register after RemoveReader: %v", err)
	}
}

// TestRegistrationsListsRegisterOnly: Registrations lists what Register
// made, oldest first, with owners, and not the registrations of
// AddReader and AddWriter (the loop's own).
func TestRegistrationsListsRegisterOnly(t *testing.T) {
	l := newLoop(t)
	a, b := pair(t)
	c, _ := pair(t)
	noop := func(reactor.Ready) {}
	first, err := l.Register(b, noop)
	if err != nil {
		t.Fatal(err)
	}
	second, err := l.Register(a, noop)
	if err != nil {
		t.Fatal(err)
	}
	first.SetOwner("first")
	if err := l.AddReader(c, func() {}); err != nil {
		t.Fatal(err)
	}
	regs := l.Registrations()
	if len(regs) != 2 || regs[0] != first || regs[1] != second || regs[0].Owner() != "first" || regs[1].Owner() != nil {
		t.Fatalf("Registrations = %v, want [first second] with first's owner", regs)
	}
	second.Close()
	if regs := l.Registrations(); len(regs) != 1 || regs[0] != first {
		t.Fatalf("after a Close: %v, want [first]", regs)
	}
	l.Close()
	if regs := l.Registrations(); len(regs) != 0 {
		t.Fatalf("after the loop's Close: %v, want none", regs)
	}
	if first.Ready() != 0 {
		t.Fatal("a registration closed with its loop still reads readiness")
	}
	first.Close() // harmless after the loop closed
	first.SetAwaited(reactor.Readable)
	if _, sources := l.Pending(); sources != 0 {
		t.Fatalf("a closed registration counts as a wake source (%d)", sources)
	}
}

// TestWakeSourcesAreOneCount: awaited registrations (also AddReader's and
// AddWriter's), Expect and Hold are what Pending counts besides timers.
func TestWakeSourcesAreOneCount(t *testing.T) {
	l := newLoop(t)
	a, _ := pair(t)
	c, _ := pair(t)
	sources := func() int { _, n := l.Pending(); return n }
	g, err := l.Register(a, func(reactor.Ready) {})
	if err != nil {
		t.Fatal(err)
	}
	if n := sources(); n != 0 {
		t.Fatalf("a registration nobody awaits counts (%d)", n)
	}
	g.SetAwaited(reactor.Readable)
	g.SetAwaited(reactor.Readable | reactor.Writable)
	if n := sources(); n != 1 {
		t.Fatalf("one awaited registration counts %d, want 1", n)
	}
	g.SetAwaited(0)
	if n := sources(); n != 0 {
		t.Fatalf("after SetAwaited(0): %d, want 0", n)
	}
	g.SetAwaited(reactor.Writable)
	g.Close()
	if n := sources(); n != 0 {
		t.Fatalf("a closed awaited registration still counts (%d)", n)
	}
	l.AddReader(c, func() {})
	l.AddWriter(c, func() {})
	if n := sources(); n != 1 {
		t.Fatalf("a reader and a writer on one fd count %d, want 1", n)
	}
	l.RemoveWriter(c)
	if n := sources(); n != 1 {
		t.Fatalf("the reader alone counts %d, want 1", n)
	}
	l.RemoveReader(c)
	expect, hold := l.Expect(), l.Hold()
	if n := sources(); n != 2 || l.busy != 1 {
		t.Fatalf("Expect and Hold: %d sources, %d busy; want 2 and 1", n, l.busy)
	}
	expect()
	expect() // idempotent
	hold()
	if n := sources(); n != 0 || l.busy != 0 {
		t.Fatalf("released: %d sources, %d busy; want 0", n, l.busy)
	}
	if timers, _ := l.Pending(); timers != 0 {
		t.Fatalf("%d timers, want 0", timers)
	}
	l.CallLater(1, func() {})
	if timers, _ := l.Pending(); timers != 1 {
		t.Fatalf("%d timers, want 1", timers)
	}
}

// TestRegisterErrors: a closed fd, a closed loop and a nil notify.
func TestRegisterErrors(t *testing.T) {
	l := newLoop(t)
	a, _ := pair(t)
	sock.Close(a)
	_, err := l.Register(a, func(reactor.Ready) {})
	if err == nil || !strings.Contains(err.Error(), "Register") {
		t.Fatalf("Register of a closed fd: %v, want an error naming Register", err)
	}
	if len(l.fds) != 0 {
		t.Fatal("a failed Register left a registration behind")
	}
	msg := mustPanic(t, func() { l.Register(a, nil) })
	if !strings.Contains(msg, "nil notify") {
		t.Fatalf("nil notify: panic %q", msg)
	}
	l.Close()
	if _, err := l.Register(a, func(reactor.Ready) {}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Register after Close: %v, want ErrClosed", err)
	}
}
