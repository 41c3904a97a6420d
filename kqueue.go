//go:build darwin || freebsd

package reactor

import (
	"time"

	"golang.org/x/sys/unix"
)

// kq is the kqueue kernel of unixPoller, shared by darwin
// (reactor_darwin.go) and FreeBSD (reactor_freebsd.go): EVFILT_READ and
// EVFILT_WRITE added once per fd with EV_CLEAR, which makes them
// edge-triggered, and an EVFILT_USER event for Wake. kqueue drops an fd's
// events itself when the fd is closed, so no stale event can be queued
// for a reused number, and its events carry no generation.
//
// This backend is compiled in CI but not run there: no machine in CI can
// execute darwin or FreeBSD binaries.
type kq struct {
	fd      int
	kevents []unix.Kevent_t
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
	return &unixPoller{kern: &kq{fd: fd, kevents: make([]unix.Kevent_t, 128)}}, nil
}

// change applies flags to both of fd's filters.
func (k *kq) change(fd uintptr, flags uint16) error {
	var changes [2]unix.Kevent_t
	unix.SetKevent(&changes[0], int(fd), unix.EVFILT_READ, int(flags))
	unix.SetKevent(&changes[1], int(fd), unix.EVFILT_WRITE, int(flags))
	_, err := unix.Kevent(k.fd, changes[:], nil, nil)
	return err
}

func (k *kq) add(fd uintptr, _ uint32) error { return k.change(fd, unix.EV_ADD|unix.EV_CLEAR) }
func (k *kq) del(fd uintptr) error           { return k.change(fd, unix.EV_DELETE) }

func (k *kq) wait(max int, timeout time.Duration) (int, error) {
	var ts *unix.Timespec
	if timeout >= 0 {
		t := unix.NsecToTimespec(int64(timeout)) // kqueue's unit is the nanosecond
		ts = &t
	}
	if len(k.kevents) < max {
		k.kevents = make([]unix.Kevent_t, max)
	}
	n, err := unix.Kevent(k.fd, nil, k.kevents[:max], ts)
	if err != nil {
		return 0, opError("kevent", uintptr(k.fd), err)
	}
	return n, nil
}

func (k *kq) event(i int) (fd uintptr, gen uint32, r Ready, wake bool) {
	kev := &k.kevents[i]
	if kev.Filter == unix.EVFILT_USER {
		return 0, 0, 0, true // EV_CLEAR reset it
	}
	return uintptr(kev.Ident), 0, kqueueReady(kev), false
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

func (k *kq) signal() error {
	ev := []unix.Kevent_t{{Ident: wakeIdent, Filter: unix.EVFILT_USER, Fflags: unix.NOTE_TRIGGER}}
	if _, err := unix.Kevent(k.fd, ev, nil, nil); err != nil {
		return opError("wake", uintptr(k.fd), err)
	}
	return nil
}

func (k *kq) close() error { return unix.Close(k.fd) }
