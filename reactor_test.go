package reactor

import (
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// backend is a Poller implementation that the contract tests below run
// over. Each platform lists its own in backends() (one test file per OS);
// another implementation (a simulated poller) is one more entry there.
type backend struct {
	name string
	new  func() (Poller, error)
}

// eachBackend runs fn as a subtest for every backend of this platform,
// with a fresh poller that is closed when the subtest ends.
func eachBackend(t *testing.T, fn func(t *testing.T, b backend, p Poller)) {
	t.Helper()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { fn(t, b, newPoller(t, b)) })
	}
}

func newPoller(t *testing.T, b backend) Poller {
	t.Helper()
	p, err := b.new()
	if err != nil {
		t.Fatalf("%s: new: %v", b.name, err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// register registers fd and consumes the readiness a registration starts
// with, as a user that tried both directions and saw them block: from
// here on the bits are what the kernel reports.
func register(t *testing.T, p Poller, fd uintptr) {
	t.Helper()
	if err := p.Register(fd); err != nil {
		t.Fatal(err)
	}
	p.Consume(fd, Readable|Writable)
}

// waitFor polls until fd reports want (or a timeout that only a broken
// backend reaches) and returns the readiness reported for fd.
func waitFor(t *testing.T, p Poller, fd uintptr, want Ready) Ready {
	t.Helper()
	events := make([]Event, 16)
	var got Ready
	deadline := time.Now().Add(5 * time.Second)
	for got&want != want {
		if time.Now().After(deadline) {
			t.Fatalf("fd %d: waited for %v, saw only %v", fd, want, got)
		}
		n, err := p.Wait(events, 100*time.Millisecond)
		if err != nil {
			t.Fatalf("Wait: %v", err)
		}
		for _, ev := range events[:n] {
			if ev.FD == fd {
				got |= ev.Ready
			}
		}
	}
	return got
}

// quiet asserts that a non-blocking Wait reports nothing for fd.
func quiet(t *testing.T, p Poller, fd uintptr) {
	t.Helper()
	events := make([]Event, 16)
	n, err := p.Wait(events, 0)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	for _, ev := range events[:n] {
		if ev.FD == fd {
			t.Fatalf("fd %d: unexpected event %v", fd, ev.Ready)
		}
	}
}

func drain(t *testing.T, fd uintptr) int {
	t.Helper()
	total := 0
	buf := make([]byte, 4096)
	for {
		n, ok := sockRead(t, fd, buf)
		if !ok || n == 0 {
			return total
		}
		total += n
	}
}

func TestSentinelBackendRan(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend, p Poller) {
		// CI greps for this test's name in the verbose output of every
		// platform it runs, so a binary that silently exits 0 is caught.
		if p == nil {
			t.Fatal("no poller")
		}
		t.Logf("backend %s (%T)", be.name, p)
	})
}

// TestRegistrationStartsReady: a new registration says both directions
// may be tried (nothing is known to block yet), and once they are
// consumed the kernel's first event tells the fd's state.
func TestRegistrationStartsReady(t *testing.T) {
	eachBackend(t, func(t *testing.T, _ backend, p Poller) {
		a, _ := socketPair(t)
		if err := p.Register(a); err != nil {
			t.Fatal(err)
		}
		if got := p.Readiness(a); got != Readable|Writable {
			t.Fatalf("fresh registration: %v, want readable|writable", got)
		}
		p.Consume(a, Readable|Writable)
		if got := p.Readiness(a); got != 0 {
			t.Fatalf("after Consume of both: %v, want none", got)
		}
		waitFor(t, p, a, Writable)
		if got := p.Readiness(a); got != Writable {
			t.Fatalf("an idle socket's first event: %v, want writable", got)
		}
	})
}

func TestReadableAfterWrite(t *testing.T) {
	eachBackend(t, func(t *testing.T, _ backend, p Poller) {
		a, b := socketPair(t)
		register(t, p, a)
		waitFor(t, p, a, Writable) // a fresh socket can be written at once
		if p.Readiness(a)&Readable != 0 {
			t.Fatalf("readable before any write: %v", p.Readiness(a))
		}
		sockWrite(t, b, []byte("ping"))
		waitFor(t, p, a, Readable)
		if p.Readiness(a)&(Readable|Writable) != Readable|Writable {
			t.Fatalf("registration should keep readiness, has %v", p.Readiness(a))
		}
	})
}

func TestEdgeTriggeredUntilConsumed(t *testing.T) {
	eachBackend(t, func(t *testing.T, _ backend, p Poller) {
		a, b := socketPair(t)
		register(t, p, a)
		sockWrite(t, b, []byte("one"))
		waitFor(t, p, a, Readable)
		// Nothing changed: the readiness is not reported again, though the
		// data is still unread, and the bit stays set.
		quiet(t, p, a)
		// New data is a change a backend may report (epoll does) or not (AFD
		// is not re-armed before Consume); either way the bit stays set.
		sockWrite(t, b, []byte("two"))
		if _, err := p.Wait(make([]Event, 4), 0); err != nil {
			t.Fatal(err)
		}
		quiet(t, p, a)
		if p.Readiness(a)&Readable == 0 {
			t.Fatal("readiness lost before Consume")
		}
		if got := drain(t, a); got != 6 {
			t.Fatalf("drained %d bytes, want 6", got)
		}
		p.Consume(a, Readable)
		if p.Readiness(a)&Readable != 0 {
			t.Fatal("Consume did not clear Readable")
		}
		quiet(t, p, a)
		sockWrite(t, b, []byte("three"))
		waitFor(t, p, a, Readable)
	})
}

func TestHangUp(t *testing.T) {
	eachBackend(t, func(t *testing.T, _ backend, p Poller) {
		a, b := socketPair(t)
		register(t, p, a)
		waitFor(t, p, a, Writable)
		sockClose(b)
		got := waitFor(t, p, a, Readable|HangUp)
		if got&HangUp == 0 {
			t.Fatalf("hang-up not reported: %v", got)
		}
		// Edge-triggered: a hung-up fd that nobody reads does not spin.
		quiet(t, p, a)
	})
}

func TestWakeFromAnotherGoroutine(t *testing.T) {
	eachBackend(t, func(t *testing.T, _ backend, p Poller) {
		var wg sync.WaitGroup
		wg.Add(1)
		done := make(chan struct{})
		go func() {
			defer wg.Done()
			<-done
			if err := p.Wake(); err != nil {
				t.Errorf("Wake: %v", err)
			}
		}()
		close(done)
		n, err := p.Wait(make([]Event, 4), -1) // would block forever without the wake
		wg.Wait()
		if err != nil || n != 0 {
			t.Fatalf("Wait after Wake: n=%d err=%v, want 0 events", n, err)
		}
	})
}

func TestWakeCoalesces(t *testing.T) {
	eachBackend(t, func(t *testing.T, _ backend, p Poller) {
		ws := wakeStateOf(p)
		if ws == nil {
			t.Skip("the backend makes no system call to wake")
		}
		before := ws.signals.Load()
		for range 100 {
			if err := p.Wake(); err != nil {
				t.Fatal(err)
			}
		}
		if got := ws.signals.Load() - before; got != 1 {
			t.Fatalf("100 Wake calls made %d system calls, want 1", got)
		}
		if _, err := p.Wait(make([]Event, 4), -1); err != nil {
			t.Fatal(err)
		}
		// Once Wait consumed it, the next Wake signals again.
		if err := p.Wake(); err != nil {
			t.Fatal(err)
		}
		if got := ws.signals.Load() - before; got != 2 {
			t.Fatalf("Wake after Wait made %d system calls in all, want 2", got)
		}
		if _, err := p.Wait(make([]Event, 4), -1); err != nil {
			t.Fatal(err)
		}
	})
}

func TestWaitNeverWakesEarly(t *testing.T) {
	eachBackend(t, func(t *testing.T, _ backend, p Poller) {
		for _, d := range []time.Duration{time.Microsecond, 1500 * time.Microsecond, 3 * time.Millisecond} {
			start := time.Now()
			if _, err := p.Wait(make([]Event, 4), d); err != nil {
				t.Fatal(err)
			}
			if el := time.Since(start); el < d {
				t.Errorf("Wait(%v) returned after %v: early", d, el)
			}
		}
	})
}

func TestRoundUp(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		unit time.Duration
		want int64
	}{
		{-1, time.Millisecond, -1},
		{0, time.Millisecond, 0},
		{1, time.Millisecond, 1},
		{time.Millisecond, time.Millisecond, 1},
		{time.Millisecond + 1, time.Millisecond, 2},
		{1500 * time.Microsecond, time.Millisecond, 2},
		{math.MaxInt64, time.Millisecond, math.MaxInt64 / int64(time.Millisecond)},
		{1, time.Nanosecond, 1},
	} {
		if got := roundUp(tc.d, tc.unit); got != tc.want {
			t.Errorf("roundUp(%v, %v) = %d, want %d", tc.d, tc.unit, got, tc.want)
		}
	}
}

func TestRegistrationErrors(t *testing.T) {
	eachBackend(t, func(t *testing.T, _ backend, p Poller) {
		a, _ := socketPair(t)
		if err := p.Register(a); err != nil {
			t.Fatal(err)
		}
		if err := p.Register(a); !errors.Is(err, ErrRegistered) {
			t.Fatalf("second Register: %v, want ErrRegistered", err)
		}
		if err := p.Unregister(a); err != nil {
			t.Fatalf("Unregister: %v", err)
		}
		if err := p.Unregister(a); !errors.Is(err, ErrNotRegistered) {
			t.Fatalf("second Unregister: %v, want ErrNotRegistered", err)
		}
		bad := closedFD(t)
		err := p.Register(bad)
		if err == nil {
			t.Fatalf("Register of closed fd %d succeeded", bad)
		}
		if p.Readiness(bad) != 0 {
			t.Fatal("failed Register left a registration")
		}
		if _, err := p.Probe(bad); err == nil {
			t.Fatalf("Probe of closed fd %d succeeded", bad)
		}
	})
}

func TestUnregisterClosedFD(t *testing.T) {
	eachBackend(t, func(t *testing.T, _ backend, p Poller) {
		a, _ := socketPair(t)
		if err := p.Register(a); err != nil {
			t.Fatal(err)
		}
		sockClose(a)
		if err := p.Unregister(a); err != nil {
			t.Fatalf("Unregister after close: %v", err)
		}
		quiet(t, p, a)
	})
}

func TestReregisterGetsFreshState(t *testing.T) {
	eachBackend(t, func(t *testing.T, _ backend, p Poller) {
		a, b := socketPair(t)
		if err := p.Register(a); err != nil {
			t.Fatal(err)
		}
		sockWrite(t, b, []byte("x"))
		waitFor(t, p, a, Readable)
		if err := p.Unregister(a); err != nil {
			t.Fatal(err)
		}
		drain(t, a)
		if err := p.Register(a); err != nil {
			t.Fatal(err)
		}
		if got := p.Readiness(a); got != Readable|Writable {
			t.Fatalf("new registration has %v, want the fresh readable|writable", got)
		}
		p.Consume(a, Readable|Writable)
		waitFor(t, p, a, Writable)
		if p.Readiness(a)&Readable != 0 {
			t.Fatal("new registration saw a stale readable event")
		}
	})
}

func TestProbe(t *testing.T) {
	eachBackend(t, func(t *testing.T, _ backend, p Poller) {
		a, b := socketPair(t)
		r, err := p.Probe(a)
		if err != nil || r&Readable != 0 || r&Writable == 0 {
			t.Fatalf("Probe idle socket = %v, %v; want writable only", r, err)
		}
		sockWrite(t, b, []byte("x"))
		r, err = p.Probe(a)
		if err != nil || r&Readable == 0 {
			t.Fatalf("Probe after write = %v, %v; want readable", r, err)
		}
	})
}

func TestClosedPoller(t *testing.T) {
	eachBackend(t, func(t *testing.T, _ backend, p Poller) {
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		if err := p.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if err := p.Wake(); !errors.Is(err, ErrClosed) {
			t.Fatalf("Wake after Close: %v", err)
		}
		if _, err := p.Wait(make([]Event, 1), 0); !errors.Is(err, ErrClosed) {
			t.Fatalf("Wait after Close: %v", err)
		}
		a, _ := socketPair(t)
		if err := p.Register(a); !errors.Is(err, ErrClosed) {
			t.Fatalf("Register after Close: %v", err)
		}
	})
}

func TestReadyString(t *testing.T) {
	if s := (Readable | HangUp).String(); s != "readable|hangup" {
		t.Fatal(s)
	}
	if s := Ready(0).String(); s != "none" {
		t.Fatal(s)
	}
}

// TestWakeNeverLost ping-pongs Wake against Wait many times: a wake that
// races with Wait consuming the previous one must still wake it (an
// earlier version could leave the state "pending" with no signal behind
// it, and every later Wake was swallowed).
func TestWakeNeverLost(t *testing.T) {
	eachBackend(t, func(t *testing.T, _ backend, p Poller) {
		waiting := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range waiting {
				if err := p.Wake(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
		events := make([]Event, 4)
		for range 5000 {
			waiting <- struct{}{}
			if _, err := p.Wait(events, -1); err != nil {
				t.Fatal(err)
			}
		}
		close(waiting)
		<-done
	})
}
