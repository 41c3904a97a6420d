//go:build linux || darwin || freebsd

package reactor

import (
	"errors"

	"golang.org/x/sys/unix"
)

// probe asks poll(2) for fd's current readiness without blocking.
func probe(fd uintptr) (Ready, error) {
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN | unix.POLLOUT}}
	for {
		_, err := unix.Poll(pfd, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return 0, opError("probe", fd, err)
		}
		break
	}
	re := pfd[0].Revents
	if re&unix.POLLNVAL != 0 {
		return 0, opError("probe", fd, unix.EBADF)
	}
	var r Ready
	if re&(unix.POLLIN|unix.POLLHUP|unix.POLLERR) != 0 {
		r |= Readable
	}
	if re&(unix.POLLOUT|unix.POLLERR) != 0 {
		r |= Writable
	}
	if re&unix.POLLHUP != 0 {
		r |= HangUp
	}
	if re&unix.POLLERR != 0 {
		r |= Error
	}
	return r, nil
}
