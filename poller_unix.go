//go:build linux || darwin || freebsd

package reactor

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"
)

// unixPoller is the Poller of the Unix backends: everything epoll and
// kqueue share (the table of registrations with their readiness, Wake's
// coalescing, the closed state, the error rules), around a kernel that
// makes the backend's own system calls. A backend is its kernel; a new
// Unix one (io_uring's poll, say) is one more.
type unixPoller struct {
	regs   table
	wake   wakeState
	closed bool // Invariant: set once, by Close; then every method but Close fails
	kern   kernel
}

// kernel is what one Unix backend does with its kernel. Every method is
// called by unixPoller only, from the poller's goroutine, and only while
// the poller is open (close once, last).
type kernel interface {
	// add watches fd for read and write readiness, edge-triggered; gen
	// tags fd's events when the kernel can carry it (see event).
	add(fd uintptr, gen uint32) error
	// del stops watching fd. EBADF and ENOENT mean fd was closed first,
	// which took it out of the kernel's set.
	del(fd uintptr) error
	// wait blocks for up to max events or a wake-up, as Poller.Wait does
	// with timeout, and returns how many it received. EINTR comes back as
	// an error matching unix.EINTR.
	wait(max int, timeout time.Duration) (int, error)
	// event decodes the i-th event of the last wait: its fd, the tag of
	// the registration it is for (0: the kernel carries none, and drops a
	// closed fd's events itself), and the readiness it reports. wake
	// says it is Wake's signal instead, which event has drained.
	event(i int) (fd uintptr, gen uint32, r Ready, wake bool)
	// signal makes a concurrent or the next wait return (Wake's system
	// call).
	signal() error
	// close releases what the kernel holds.
	close() error
}

func (p *unixPoller) Register(fd uintptr) error {
	if p.closed {
		return opError("register", fd, ErrClosed)
	}
	gen, err := p.regs.add(fd)
	if err != nil {
		return err
	}
	if err := p.kern.add(fd, gen); err != nil {
		p.regs.remove(fd)
		return opError("register", fd, err)
	}
	return nil
}

func (p *unixPoller) Unregister(fd uintptr) error {
	if p.closed {
		return opError("unregister", fd, ErrClosed)
	}
	if err := p.regs.remove(fd); err != nil {
		return err
	}
	// A closed fd has already left the kernel's set (EBADF, or ENOENT once
	// the number was reused); the registration is gone either way.
	err := p.kern.del(fd)
	if err != nil && !errors.Is(err, unix.EBADF) && !errors.Is(err, unix.ENOENT) {
		return opError("unregister", fd, err)
	}
	return nil
}

func (p *unixPoller) Readiness(fd uintptr) Ready      { return p.regs.readiness(fd) }
func (p *unixPoller) Consume(fd uintptr, r Ready)     { p.regs.consume(fd, r) }
func (p *unixPoller) Probe(fd uintptr) (Ready, error) { return probe(fd) }

func (p *unixPoller) Wait(events []Event, timeout time.Duration) (int, error) {
	if p.closed {
		return 0, ErrClosed
	}
	n, err := p.kern.wait(len(events), timeout)
	if err != nil {
		if errors.Is(err, unix.EINTR) {
			return 0, nil
		}
		return 0, err
	}
	out := 0
	for i := range n {
		fd, gen, r, wake := p.kern.event(i)
		if wake {
			p.wake.reset()
			continue
		}
		if r, ok := p.regs.deliver(fd, gen, r); ok && r != 0 {
			// One fd may come twice in a row (kqueue's read and write
			// filters are two events): one Event says both.
			if out > 0 && events[out-1].FD == fd {
				events[out-1].Ready |= r
				continue
			}
			events[out] = Event{FD: fd, Ready: r}
			out++
		}
	}
	return out, nil
}

func (p *unixPoller) Wake() error { return p.wake.wake(p.kern.signal) }

func (p *unixPoller) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	p.wake.close()
	return p.kern.close()
}
