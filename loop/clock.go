package loop

import (
	"fmt"
	"sync"
	"time"
)

// Clock is the loop's source of time. Every deadline the loop keeps is on
// this clock; the loop never reads time.Now itself.
type Clock interface {
	// Now returns the current time on this clock.
	Now() time.Time
	// Until returns how long the loop may block, in real time, before
	// deadline is reached on this clock. A negative result means the clock
	// will not get there by itself (a mock clock): the loop blocks until it
	// is woken, e.g. by the clock being moved.
	Until(deadline time.Time) time.Duration
}

// Autojumper is implemented by clocks that can jump to the next timer when
// the loop has nothing else to do, so that timeout tests take no real time
// (Trio's autojump_threshold, but part of the clock's interface, so custom
// clocks can do it too).
type Autojumper interface {
	Clock
	// AutojumpThreshold returns how long, in real time, the loop must stay
	// idle before it jumps, and whether autojump is on.
	AutojumpThreshold() (time.Duration, bool)
	// AutojumpTo moves the clock to t, never backwards.
	AutojumpTo(t time.Time)
}

// wakeable is implemented by clocks whose time or settings change from
// outside the loop; the loop hands them its wake function.
type wakeable interface {
	attach(l *Loop)
	detach(l *Loop)
}

// RealClock is the monotonic wall clock.
type RealClock struct{}

// Now returns time.Now(), which carries a monotonic reading.
func (RealClock) Now() time.Time { return time.Now() }

// Until returns time.Until(deadline).
func (RealClock) Until(deadline time.Time) time.Duration {
	d := time.Until(deadline)
	if d < 0 {
		return 0
	}
	return d
}

// MockClock is a clock for tests. Its time moves only by Jump, or, with
// autojump on, by the loop when every task is blocked. It is safe for use
// from any goroutine.
type MockClock struct {
	mu        sync.Mutex
	now       time.Time
	threshold time.Duration
	autojump  bool
	loops     map[*Loop]struct{}
}

// NewMockClock returns a stopped clock reading start.
func NewMockClock(start time.Time) *MockClock { return &MockClock{now: start} }

// Now returns the clock's time.
func (c *MockClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Until returns -1: the mock clock never reaches a deadline by itself.
func (c *MockClock) Until(deadline time.Time) time.Duration {
	if !deadline.After(c.Now()) {
		return 0
	}
	return -1
}

// Jump moves the clock forward by d and wakes the loops using it, so a
// sleeper whose deadline passed runs on their next pass. A negative d
// panics: a clock does not go back.
func (c *MockClock) Jump(d time.Duration) {
	if d < 0 {
		panic(fmt.Sprintf("loop: MockClock.Jump(%v): time cannot go backwards", d))
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	c.wakeLoops()
}

func (c *MockClock) wakeLoops() {
	c.mu.Lock()
	loops := make([]*Loop, 0, len(c.loops))
	for l := range c.loops {
		loops = append(loops, l)
	}
	c.mu.Unlock()
	for _, l := range loops {
		l.poller.Wake()
	}
}

// SetAutojump turns autojump on with the given real-time threshold (0
// jumps as soon as the loop is idle); a negative threshold turns it off.
// It takes effect at once, also in a loop that is already idle.
func (c *MockClock) SetAutojump(threshold time.Duration) {
	c.mu.Lock()
	c.threshold, c.autojump = threshold, threshold >= 0
	c.mu.Unlock()
	c.wakeLoops()
}

// AutojumpThreshold implements [Autojumper].
func (c *MockClock) AutojumpThreshold() (time.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.threshold, c.autojump
}

// AutojumpTo implements [Autojumper].
func (c *MockClock) AutojumpTo(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
}

func (c *MockClock) attach(l *Loop) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loops == nil {
		c.loops = make(map[*Loop]struct{})
	}
	c.loops[l] = struct{}{}
}

func (c *MockClock) detach(l *Loop) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.loops, l)
}
