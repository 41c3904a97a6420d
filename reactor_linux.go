package reactor

import (
	"errors"
	"math"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// epoll is the Linux backend. Each fd is added once with
// EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET; the event's data carries the fd and
// the registration's generation, so events queued for a file description
// that outlived its fd (a dup, or a close without unregistering) are
// recognised as stale and dropped.
type epoll struct {
	epfd    int
	wakefd  int // eventfd, edge-triggered
	wake    wakeState
	regs    table
	kevents []unix.EpollEvent
	closed  bool
}

// New returns the poller for this operating system.
func New() (Poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, opError("epoll_create1", 0, err)
	}
	wakefd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, opError("eventfd", 0, err)
	}
	// Generation 0 is never given to a registration: it marks the waker.
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLET, Fd: int32(wakefd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wakefd, &ev); err != nil {
		unix.Close(epfd)
		unix.Close(wakefd)
		return nil, opError("epoll_ctl add", uintptr(wakefd), err)
	}
	return &epoll{epfd: epfd, wakefd: wakefd, kevents: make([]unix.EpollEvent, 128)}, nil
}

func (p *epoll) Register(fd uintptr) error {
	if p.closed {
		return opError("register", fd, ErrClosed)
	}
	gen, err := p.regs.add(fd)
	if err != nil {
		return err
	}
	ev := unix.EpollEvent{
		Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET,
		Fd:     int32(fd),
		Pad:    int32(gen),
	}
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, int(fd), &ev); err != nil {
		p.regs.remove(fd)
		return opError("register", fd, err)
	}
	return nil
}

func (p *epoll) Unregister(fd uintptr) error {
	if p.closed {
		return opError("unregister", fd, ErrClosed)
	}
	if err := p.regs.remove(fd); err != nil {
		return err
	}
	err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, int(fd), nil)
	// A closed fd has already left the epoll set (EBADF, or ENOENT once the
	// number was reused); the registration is gone either way.
	if err != nil && !errors.Is(err, unix.EBADF) && !errors.Is(err, unix.ENOENT) {
		return opError("unregister", fd, err)
	}
	return nil
}

func (p *epoll) Readiness(fd uintptr) Ready      { return p.regs.readiness(fd) }
func (p *epoll) Consume(fd uintptr, r Ready)     { p.regs.consume(fd, r) }
func (p *epoll) Probe(fd uintptr) (Ready, error) { return probe(fd) }

func (p *epoll) Wait(events []Event, timeout time.Duration) (int, error) {
	if p.closed {
		return 0, ErrClosed
	}
	msec := roundUp(timeout, time.Millisecond)
	if msec > math.MaxInt32 {
		msec = math.MaxInt32
	}
	if len(p.kevents) < len(events) {
		p.kevents = make([]unix.EpollEvent, len(events))
	}
	n, err := unix.EpollWait(p.epfd, p.kevents[:len(events)], int(msec))
	if err != nil {
		if errors.Is(err, unix.EINTR) {
			return 0, nil
		}
		return 0, opError("epoll_wait", uintptr(p.epfd), err)
	}
	out := 0
	for i := range n {
		kev := &p.kevents[i]
		if int(kev.Fd) == p.wakefd && kev.Pad == 0 {
			p.drainWake()
			continue
		}
		r, ok := p.regs.deliver(uintptr(kev.Fd), uint32(kev.Pad), epollReady(kev.Events))
		if !ok || r == 0 {
			continue
		}
		events[out] = Event{FD: uintptr(kev.Fd), Ready: r}
		out++
	}
	return out, nil
}

func epollReady(ev uint32) Ready {
	var r Ready
	if ev&unix.EPOLLIN != 0 {
		r |= Readable
	}
	if ev&unix.EPOLLOUT != 0 {
		r |= Writable
	}
	if ev&(unix.EPOLLRDHUP|unix.EPOLLHUP) != 0 {
		r |= HangUp | Readable
	}
	if ev&unix.EPOLLHUP != 0 {
		r |= Writable // both directions are shut: a writer must learn it
	}
	if ev&unix.EPOLLERR != 0 {
		r |= Error | Readable | Writable
	}
	return r
}

// drainWake resets the eventfd counter, then lets the next Wake signal.
func (p *epoll) drainWake() {
	var buf [8]byte
	unix.Read(p.wakefd, buf[:])
	p.wake.reset()
}

func (p *epoll) Wake() error {
	return p.wake.wake(func() error {
		one := uint64(1)
		_, err := unix.Write(p.wakefd, (*[8]byte)(unsafe.Pointer(&one))[:])
		if err != nil && !errors.Is(err, unix.EAGAIN) { // EAGAIN: counter full, already readable
			return opError("wake", uintptr(p.wakefd), err)
		}
		return nil
	})
}

func (p *epoll) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	p.wake.close()
	err1 := unix.Close(p.wakefd)
	err2 := unix.Close(p.epfd)
	return errors.Join(err1, err2)
}
