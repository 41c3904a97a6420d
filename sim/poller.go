package sim

import (
	"errors"
	"fmt"
	"time"

	"github.com/f04742a6/reactor"
	"github.com/f04742a6/reactor/task"
)

// simClock is the run's MockClock with autojump, which also runs the
// network: before it jumps to the loop's next timer it stops at every
// network event due earlier and runs it, and it stays there if one made
// a socket ready.
type simClock struct {
	*task.MockClock
	w *World
}

// AutojumpTo implements the loop's Autojumper.
func (c *simClock) AutojumpTo(t time.Time) {
	w := c.w
	for {
		at, ok := w.nextAt()
		if !ok || epoch.Add(at).After(t) {
			break
		}
		c.MockClock.AutojumpTo(epoch.Add(at))
		w.runDue()
		if len(w.poller.queue) > 0 {
			return
		}
	}
	c.MockClock.AutojumpTo(t)
}

// poller is the simulated reactor.Poller: its handles are the world's
// sockets, and their readiness is set by the simulated network. Wait
// never blocks on the operating system: when nothing is ready it moves
// the clock to the network's next event.
type poller struct {
	w      *World
	queue  []*socket // sockets with readiness to report, in order
	wake   chan struct{}
	closed bool
}

var _ reactor.Poller = (*poller)(nil)

// ErrStuck is what a run fails with when every task waits for the
// simulated network and nothing is in flight or scheduled, and no thread
// worker wakes the loop: the simulated system is deadlocked. It matches
// task.ErrDeadlock.
var ErrStuck = fmt.Errorf("sim: every task waits for the simulated network and nothing is in flight: %w", task.ErrDeadlock)

func (p *poller) sock(fd uintptr) *socket {
	i := int(fd) - fdBase
	if i < 0 || i >= len(p.w.socks) {
		return nil
	}
	return p.w.socks[i]
}

func (p *poller) Register(fd uintptr) error {
	if p.closed {
		return fmt.Errorf("sim: register fd %d: %w", fd, reactor.ErrClosed)
	}
	s := p.sock(fd)
	if s == nil {
		return fmt.Errorf("sim: register fd %d: not a simulated socket (a real fd cannot be polled in a simulation; open sockets with package streams inside a host)", fd)
	}
	if s.registered {
		return fmt.Errorf("sim: register fd %d: %w", fd, reactor.ErrRegistered)
	}
	s.registered = true
	s.ready = reactor.Readable | reactor.Writable
	return nil
}

func (p *poller) Unregister(fd uintptr) error {
	if s := p.sock(fd); s != nil {
		s.registered = false
		s.ready, s.pend = 0, 0
	}
	return nil
}

func (p *poller) Readiness(fd uintptr) reactor.Ready {
	if s := p.sock(fd); s != nil && s.registered {
		return s.ready
	}
	return 0
}

// Consume clears r; if the socket is still ready for it, the readiness
// comes back at the next Wait (a spurious wake-up rather than a lost one).
func (p *poller) Consume(fd uintptr, r reactor.Ready) {
	s := p.sock(fd)
	if s == nil || !s.registered {
		return
	}
	s.ready &^= r
	p.w.notify(s)
}

func (p *poller) Probe(fd uintptr) (reactor.Ready, error) {
	s := p.sock(fd)
	if s == nil {
		return 0, fmt.Errorf("sim: probe fd %d: not a simulated socket", fd)
	}
	return s.level() & (reactor.Readable | reactor.Writable), nil
}

func (p *poller) Wait(events []reactor.Event, timeout time.Duration) (int, error) {
	if p.closed {
		return 0, reactor.ErrClosed
	}
	w := p.w
	w.runDue()
	for len(p.queue) == 0 && timeout != 0 {
		at, ok := w.nextAt()
		if !ok {
			break
		}
		w.clock.MockClock.AutojumpTo(epoch.Add(at))
		w.runDue()
	}
	if len(p.queue) == 0 && timeout != 0 {
		// Only another goroutine can wake the loop now (a thread worker,
		// a Token): wait a while for it, else the system is stuck.
		t := time.NewTimer(w.cfg.stuck)
		defer t.Stop()
		select {
		case <-p.wake:
			return 0, nil
		case <-t.C:
			w.tr.event(w.now(), "", "stuck")
			return 0, ErrStuck
		}
	}
	n := 0
	for n < len(events) && n < len(p.queue) {
		s := p.queue[n]
		s.queued = false
		events[n] = reactor.Event{FD: s.fd, Ready: s.pend}
		s.pend = 0
		n++
	}
	m := copy(p.queue, p.queue[n:])
	clear(p.queue[m:])
	p.queue = p.queue[:m]
	return n, nil
}

func (p *poller) Wake() error {
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return nil
}

func (p *poller) Close() error {
	if p.closed {
		return errors.New("sim: poller closed twice")
	}
	p.closed = true
	return nil
}
