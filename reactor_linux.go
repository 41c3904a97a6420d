package reactor

import (
	"errors"
	"math"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// epoll is the Linux kernel of unixPoller. Each fd is added once with
// EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET; the event's data carries the fd and
// the registration's generation, so events queued for a file description
// that outlived its fd (a dup, or a close without unregistering) are
// recognised as stale and dropped.
type epoll struct {
	epfd    int
	wakefd  int // eventfd, edge-triggered
	kevents []unix.EpollEvent
}

// New returns the poller for this operating system: epoll.
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
	return &unixPoller{kern: &epoll{epfd: epfd, wakefd: wakefd, kevents: make([]unix.EpollEvent, 128)}}, nil
}

func (k *epoll) add(fd uintptr, gen uint32) error {
	ev := unix.EpollEvent{
		Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET,
		Fd:     int32(fd),
		Pad:    int32(gen),
	}
	return unix.EpollCtl(k.epfd, unix.EPOLL_CTL_ADD, int(fd), &ev)
}

func (k *epoll) del(fd uintptr) error {
	return unix.EpollCtl(k.epfd, unix.EPOLL_CTL_DEL, int(fd), nil)
}

func (k *epoll) wait(max int, timeout time.Duration) (int, error) {
	msec := roundUp(timeout, time.Millisecond)
	if msec > math.MaxInt32 {
		msec = math.MaxInt32
	}
	if len(k.kevents) < max {
		k.kevents = make([]unix.EpollEvent, max)
	}
	n, err := unix.EpollWait(k.epfd, k.kevents[:max], int(msec))
	if err != nil {
		return 0, opError("epoll_wait", uintptr(k.epfd), err)
	}
	return n, nil
}

func (k *epoll) event(i int) (fd uintptr, gen uint32, r Ready, wake bool) {
	kev := &k.kevents[i]
	if int(kev.Fd) == k.wakefd && kev.Pad == 0 {
		// Reset the counter, so that the next Wake's write is an edge.
		var buf [8]byte
		unix.Read(k.wakefd, buf[:])
		return 0, 0, 0, true
	}
	return uintptr(kev.Fd), uint32(kev.Pad), epollReady(kev.Events), false
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

func (k *epoll) signal() error {
	one := uint64(1)
	_, err := unix.Write(k.wakefd, (*[8]byte)(unsafe.Pointer(&one))[:])
	if err != nil && !errors.Is(err, unix.EAGAIN) { // EAGAIN: counter full, already readable
		return opError("wake", uintptr(k.wakefd), err)
	}
	return nil
}

func (k *epoll) close() error {
	return errors.Join(unix.Close(k.wakefd), unix.Close(k.epfd))
}
