//go:build darwin || freebsd

package reactor

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"
)

// kq is the kqueue backend, shared by darwin (reactor_darwin.go) and
// FreeBSD (reactor_freebsd.go): EVFILT_READ and EVFILT_WRITE
// added once per fd with EV_CLEAR, which makes them edge-triggered, and an
// EVFILT_USER event for Wake. kqueue drops an fd's events itself when the
// fd is closed, so no stale event can be queued for a reused number; the
// events of one kevent call are matched against the live registrations
// before it returns.
//
// This backend is compiled in CI but not run there: no machine in CI can
// execute darwin or FreeBSD binaries.
type kq struct {
	fd      int
	wake    wakeState
	regs    table
	kevents []unix.Kevent_t
	closed  bool
}

const wakeIdent = 0 // EVFILT_USER identifiers are their own namespace

// newKqueue makes the kqueue poller; reactor_darwin.go and
// reactor_freebsd.go enter it.
func newKqueue() (Poller, error) {
	fd, err := unix.Kqueue()
	if err != nil {
		return nil, opError("kqueue", 0, err)
	}
	unix.CloseOnExec(fd)
	ev := []unix.Kevent_t{{Ident: wakeIdent, Filter: unix.EVFILT_USER, Flags: unix.EV_ADD | unix.EV_CLEAR}}
	if _, err := unix.Kevent(fd, ev, nil, nil); err != nil {
		unix.Close(fd)
		return nil, opError("kevent add user", 0, err)
	}
	return &kq{fd: fd, kevents: make([]unix.Kevent_t, 128)}, nil
}

func (p *kq) change(fd uintptr, flags uint16) error {
	changes := make([]unix.Kevent_t, 2)
	unix.SetKevent(&changes[0], int(fd), unix.EVFILT_READ, int(flags))
	unix.SetKevent(&changes[1], int(fd), unix.EVFILT_WRITE, int(flags))
	_, err := unix.Kevent(p.fd, changes, nil, nil)
	return err
}

func (p *kq) Register(fd uintptr) error {
	if p.closed {
		return opError("register", fd, ErrClosed)
	}
	if _, err := p.regs.add(fd); err != nil {
		return err
	}
	if err := p.change(fd, unix.EV_ADD|unix.EV_CLEAR); err != nil {
		p.regs.remove(fd)
		return opError("register", fd, err)
	}
	return nil
}

func (p *kq) Unregister(fd uintptr) error {
	if p.closed {
		return opError("unregister", fd, ErrClosed)
	}
	if err := p.regs.remove(fd); err != nil {
		return err
	}
	err := p.change(fd, unix.EV_DELETE)
	if err != nil && !errors.Is(err, unix.EBADF) && !errors.Is(err, unix.ENOENT) {
		return opError("unregister", fd, err)
	}
	return nil
}

func (p *kq) Readiness(fd uintptr) Ready      { return p.regs.readiness(fd) }
func (p *kq) Consume(fd uintptr, r Ready)     { p.regs.consume(fd, r) }
func (p *kq) Probe(fd uintptr) (Ready, error) { return probe(fd) }

func (p *kq) Wait(events []Event, timeout time.Duration) (int, error) {
	if p.closed {
		return 0, ErrClosed
	}
	var ts *unix.Timespec
	if timeout >= 0 {
		t := unix.NsecToTimespec(int64(timeout)) // kqueue's unit is the nanosecond
		ts = &t
	}
	if len(p.kevents) < len(events) {
		p.kevents = make([]unix.Kevent_t, len(events))
	}
	n, err := unix.Kevent(p.fd, nil, p.kevents[:len(events)], ts)
	if err != nil {
		if errors.Is(err, unix.EINTR) {
			return 0, nil
		}
		return 0, opError("kevent", uintptr(p.fd), err)
	}
	out := 0
	for i := range n {
		kev := &p.kevents[i]
		if kev.Filter == unix.EVFILT_USER {
			p.wake.reset()
			continue
		}
		fd := uintptr(kev.Ident)
		reg := p.regs.lookup(fd)
		if reg == nil {
			continue
		}
		r, _ := p.regs.deliver(fd, reg.gen, kqueueReady(kev))
		if r != 0 {
			// One fd may appear twice (read and write filters): merge.
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

func kqueueReady(kev *unix.Kevent_t) Ready {
	var r Ready
	switch kev.Filter {
	case unix.EVFILT_READ:
		r |= Readable
	case unix.EVFILT_WRITE:
		r |= Writable
	}
	if kev.Flags&unix.EV_EOF != 0 {
		r |= HangUp
		if kev.Fflags != 0 { // the socket error, for EV_EOF
			r |= Error | Readable | Writable
		}
	}
	if kev.Flags&unix.EV_ERROR != 0 {
		r |= Error | Readable | Writable
	}
	return r
}

func (p *kq) Wake() error {
	return p.wake.wake(func() error {
		ev := []unix.Kevent_t{{Ident: wakeIdent, Filter: unix.EVFILT_USER, Fflags: unix.NOTE_TRIGGER}}
		if _, err := unix.Kevent(p.fd, ev, nil, nil); err != nil {
			return opError("wake", uintptr(p.fd), err)
		}
		return nil
	})
}

func (p *kq) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	p.wake.close()
	return unix.Close(p.fd)
}
